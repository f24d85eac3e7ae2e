package dev.ringmoe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A running server on a free localhost port over a small synthesized checkpoint (with a tokenizer
 * and, optionally, a chat template), plus a second, resident copy of the model as the reference for
 * what greedy generation must produce.
 */
final class ServerFixture implements AutoCloseable {
  static final String MODEL = "tiny-moe";

  /** A small chat template in the Hugging Face style: turns, generation prompt, a refusal. */
  static final String TEMPLATE =
      "{% if messages[0]['role'] == 'assistant' %}"
          + "{{ raise_exception('Conversations must start with a system or user turn') }}"
          + "{% endif %}"
          + "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n"
          + "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

  final Path dir;
  final OpenAiServer server;
  final MoeModel reference;
  final HttpClient http = HttpClient.newHttpClient();

  private ServerFixture(Path dir, OpenAiServer server, MoeModel reference) {
    this.dir = dir;
    this.server = server;
    this.reference = reference;
  }

  /** 2 layers, hidden 64, 4 experts top-2, vocab 512, 1024 positions; weights seeded. */
  static Path synthesize(Path dir, boolean withTemplate) throws IOException {
    return synthesize(dir, withTemplate ? TEMPLATE : null);
  }

  /** As {@link #synthesize(Path, boolean)} with {@code template} as its chat template (or none). */
  static Path synthesize(Path dir, String template) throws IOException {
    ModelConfig config =
        ModelConfig.builder(Architecture.MIXTRAL)
            .layers(2)
            .hiddenSize(64)
            .heads(4)
            .kvHeads(2)
            .experts(4)
            .topK(2)
            .intermediateSize(96)
            .vocabSize(512)
            .maxPositions(1024)
            .build();
    SyntheticCheckpoint.of(config).seed(12).write(dir);
    // Synthesized checkpoints come with a Mistral-style template; this one is ours, or none.
    Path file = dir.resolve("tokenizer_config.json");
    JsonObject c =
        JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    c.remove("chat_template");
    if (template != null) {
      c.addProperty("chat_template", template);
    }
    Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    Files.writeString(file, gson.toJson(c), StandardCharsets.UTF_8);
    Files.deleteIfExists(dir.resolve("chat_template.jinja"));
    return dir;
  }

  /** Serves {@code dir} (its chat template if it has one) with a queue of {@code queue}. */
  static ServerFixture start(Path dir, int queue) throws IOException {
    return start(dir, queue, false);
  }

  /**
   * As {@link #start(Path, int)}; with {@code ring} the served model streams its weights through a
   * device budget of half their size (the reference stays resident).
   */
  static ServerFixture start(Path dir, int queue, boolean ring) throws IOException {
    return start(dir, queue, b -> ring ? b.deviceMemory(1_250_000) : b);
  }

  /** As {@link #start(Path, int)}, the served model's builder adjusted by {@code configure}. */
  static ServerFixture start(Path dir, int queue, UnaryOperator<MoeModel.Builder> configure)
      throws IOException {
    MoeModel model =
        configure.apply(MoeModel.builder().checkpoint(dir).requireTokenizer(true)).build();
    MoeModel reference = MoeModel.builder().checkpoint(dir).requireTokenizer(true).build();
    OpenAiServer server =
        OpenAiServer.start(
            model,
            templateOf(dir),
            OpenAiServer.Options.builder().port(0).queueCapacity(queue).modelName(MODEL).build());
    return new ServerFixture(dir, server, reference);
  }

  static ChatTemplate templateOf(Path dir) throws IOException {
    return ChatTemplate.fromCheckpoint(dir).orElse(null);
  }

  String url(String path) {
    return server.url() + path;
  }

  /** What greedy decoding of {@code prompt} (BOS added as the tokenizer says) gives. */
  String greedy(String prompt, int maxTokens) throws IOException {
    return reference.generate(prompt, GenerationOptions.greedy(maxTokens)).text();
  }

  /** What greedy decoding of the chat template's rendering of {@code messages} gives. */
  String greedyChat(List<ChatMessage> messages, int maxTokens) throws IOException {
    String text = templateOf(dir).render(messages, true);
    int[] ids = reference.tokenizer().encode(text, false);
    return reference.generate(ids, GenerationOptions.greedy(maxTokens)).text();
  }

  HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url(path)))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url(path))).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The error object of an OpenAI error response, after checking its status and shape. */
  static JsonObject error(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(
        "application/json", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
    JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
    assertEquals(1, body.size(), r.body());
    JsonObject e = body.getAsJsonObject("error");
    assertEquals(
        List.of("message", "type", "param", "code"), List.copyOf(e.keySet()), "fields of " + e);
    return e;
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      reference.close();
    }
  }
}
