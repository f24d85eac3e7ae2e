package dev.ringmoe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.ringmoe.chat.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The official OpenAI Java SDK against the running server. */
class OpenAiSdkTest {
  private static final String PROMPT = "The quick brown fox";

  @TempDir static Path tmp;
  private static ServerFixture fixture;
  private static OpenAIClient client;

  @BeforeAll
  static void start() throws Exception {
    fixture = ServerFixture.start(ServerFixture.synthesize(tmp.resolve("model"), true), 4);
    client =
        OpenAIOkHttpClient.builder()
            .baseUrl(fixture.server.url() + "/v1")
            .apiKey("unused")
            .maxRetries(0)
            .build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private static ChatCompletionCreateParams.Builder chat(int maxTokens) {
    return ChatCompletionCreateParams.builder()
        .model(ServerFixture.MODEL)
        .addSystemMessage("You are terse.")
        .addUserMessage("Name a colour.")
        .maxCompletionTokens(maxTokens)
        .temperature(0.0);
  }

  private static final List<ChatMessage> CHAT =
      List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a colour."));

  @Test
  void listsTheModel() {
    List<Model> models = client.models().list().data();
    assertEquals(1, models.size());
    assertEquals(ServerFixture.MODEL, models.get(0).id());
    assertEquals(ServerFixture.MODEL, client.models().retrieve(ServerFixture.MODEL).id());
  }

  @Test
  void completionIsTheGreedyContinuation() throws Exception {
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(ServerFixture.MODEL)
                    .prompt(PROMPT)
                    .maxTokens(12)
                    .temperature(0.0)
                    .build());
    CompletionChoice choice = c.choices().get(0);
    assertEquals(fixture.greedy(PROMPT, 12), choice.text());
    assertEquals(CompletionChoice.FinishReason.LENGTH, choice.finishReason());
    int promptTokens = fixture.reference.tokenizer().encode(PROMPT).length;
    assertEquals(promptTokens, c.usage().orElseThrow().promptTokens());
    assertEquals(12, c.usage().orElseThrow().completionTokens());
    assertEquals(promptTokens + 12, c.usage().orElseThrow().totalTokens());
    assertEquals(ServerFixture.MODEL, c.model());
    assertTrue(c.id().startsWith("cmpl-"), c.id());
  }

  @Test
  void chatCompletionRendersTheTemplate() throws Exception {
    ChatCompletion c = client.chat().completions().create(chat(10).build());
    assertEquals(
        fixture.greedyChat(CHAT, 10), c.choices().get(0).message().content().orElseThrow());
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
    assertEquals(10, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void streamedChatDeltasConcatenateToTheGreedyText() throws Exception {
    List<String> deltas = new ArrayList<>();
    List<ChatCompletionChunk.Choice.FinishReason> reasons = new ArrayList<>();
    long[] usage = {-1};
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                chat(10)
                    .streamOptions(
                        com.openai.models.chat.completions.ChatCompletionStreamOptions.builder()
                            .includeUsage(true)
                            .build())
                    .build())) {
      stream.stream()
          .forEach(
              chunk -> {
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                  choice.delta().content().ifPresent(deltas::add);
                  choice.finishReason().ifPresent(reasons::add);
                }
              });
    }
    String streamed = String.join("", deltas);
    assertEquals(fixture.greedyChat(CHAT, 10), streamed);
    String whole =
        client
            .chat()
            .completions()
            .create(chat(10).build())
            .choices()
            .get(0)
            .message()
            .content()
            .orElseThrow();
    assertEquals(whole, streamed);
    assertTrue(deltas.size() > 2, "token by token: " + deltas);
    assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.LENGTH), reasons);
    assertEquals(10, usage[0]);
  }

  @Test
  void stopSequenceEndsTheTextBeforeIt() throws Exception {
    String full = fixture.greedy(PROMPT, 24);
    // a stop sequence the greedy text really contains, first met past its start
    String stop = null;
    for (int i = 3; i + 2 <= full.length() && stop == null; i++) {
      String s = full.substring(i, i + 2);
      if (full.indexOf(s) == i && !s.isBlank()) {
        stop = s;
      }
    }
    assertTrue(stop != null, "no usable stop sequence in " + full);
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(ServerFixture.MODEL)
                    .prompt(PROMPT)
                    .maxTokens(24)
                    .temperature(0.0)
                    .stop(stop)
                    .build());
    CompletionChoice choice = c.choices().get(0);
    assertEquals(full.substring(0, full.indexOf(stop)), choice.text());
    assertFalse(choice.text().contains(stop));
    assertEquals(CompletionChoice.FinishReason.STOP, choice.finishReason());
  }

  @Test
  void badRequestCarriesOurMessage() {
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () ->
                client
                    .completions()
                    .create(
                        CompletionCreateParams.builder()
                            .model(ServerFixture.MODEL)
                            .prompt(PROMPT)
                            .temperature(3.5)
                            .build()));
    assertEquals(400, e.statusCode());
    assertEquals("temperature", e.param().orElseThrow());
    assertEquals("invalid_request_error", e.type().orElseThrow());
    assertTrue(e.getMessage().contains("temperature must be in [0, 2], was 3.5"), e.getMessage());
  }

  @Test
  void unknownModelIsNotFound() {
    NotFoundException e =
        assertThrows(
            NotFoundException.class,
            () -> client.chat().completions().create(chat(4).model("gpt-4o").build()));
    assertEquals(404, e.statusCode());
    assertEquals("model_not_found", e.code().orElseThrow());
    assertTrue(e.getMessage().contains("the model 'gpt-4o' does not exist"), e.getMessage());
  }
}
