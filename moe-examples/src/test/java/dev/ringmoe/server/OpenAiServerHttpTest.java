package dev.ringmoe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server over plain HTTP: the error format and codes, server-sent events, the full queue, a
 * client that disconnects mid-stream, health and metrics. The served model streams its weights
 * through a device budget, so that {@code /metrics} has ring statistics.
 */
class OpenAiServerHttpTest {
  private static final int QUEUE = 2;

  @TempDir static Path tmp;
  private static ServerFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture =
        ServerFixture.start(ServerFixture.synthesize(tmp.resolve("model"), true), QUEUE, true);
  }

  @AfterAll
  static void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String completion(String extra) {
    return "{\"model\": \"" + ServerFixture.MODEL + "\", \"prompt\": \"Hello\"" + extra + "}";
  }

  private static JsonObject refusal(String body, int status) throws Exception {
    return ServerFixture.error(fixture.post("/v1/completions", body), status);
  }

  @Test
  void malformedJsonIsAnInvalidRequestInOpenAisErrorFormat() throws Exception {
    JsonObject e = refusal("{\"model\": ", 400);
    assertEquals("invalid_request_error", e.get("type").getAsString());
    assertTrue(e.get("param").isJsonNull());
    assertTrue(e.get("code").isJsonNull());
    assertTrue(
        e.get("message").getAsString().startsWith("the request body is not valid JSON"), "" + e);
    assertTrue(
        refusal("[1, 2]", 400).get("message").getAsString().contains("must be a JSON object"));
  }

  @Test
  void unsupportedOrBadParametersAreNamed() throws Exception {
    String[][] cases = {
      {", \"n\": 2", "n", "'n' = 2 is not supported"},
      {", \"logprobs\": 3", "logprobs", "is not supported"},
      {", \"echo\": true", "echo", "is not supported"},
      {", \"best_of\": 3", "best_of", "is not supported"},
      {", \"frobnicate\": 1", "frobnicate", "unrecognized request argument supplied: frobnicate"},
      {", \"max_tokens\": 0", "max_tokens", "max_tokens must be at least 1, was 0"},
      {", \"max_tokens\": 2.5", "max_tokens", "max_tokens must be an integer"},
      {", \"top_p\": 0", "top_p", "top_p must be in"},
      {", \"presence_penalty\": 2.5", "presence_penalty", "presence_penalty must be in [-2, 2]"},
      {", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]", "stop", "at most 4"},
      {", \"stop\": \"\"", "stop", "must not be empty"},
      {", \"stream_options\": {\"include_usage\": true}", "stream_options", "only allowed when"},
    };
    for (String[] c : cases) {
      JsonObject e = refusal(completion(c[0]), 400);
      assertEquals(c[1], e.get("param").getAsString(), c[0]);
      assertTrue(e.get("message").getAsString().contains(c[2]), c[0] + ": " + e);
    }
    JsonObject ids =
        refusal("{\"model\": \"" + ServerFixture.MODEL + "\", \"prompt\": [1, 2, 512]}", 400);
    assertEquals(
        "prompt[2] = 512 is outside the model's vocabulary [0, 512)",
        ids.get("message").getAsString());
    JsonObject batch =
        refusal("{\"model\": \"" + ServerFixture.MODEL + "\", \"prompt\": [\"a\", \"b\"]}", 400);
    assertTrue(batch.get("message").getAsString().contains("a batch of 2 prompts"));
    String chat =
        "{\"model\": \""
            + ServerFixture.MODEL
            + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
    for (String[] c :
        new String[][] {
          {
            ", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}],"
                + " \"tool_choice\": \"required\"",
            "tool_choice"
          },
          {", \"logprobs\": true", "logprobs"},
          {", \"response_format\": {\"type\": \"json_object\"}", "response_format"},
        }) {
      JsonObject e =
          ServerFixture.error(fixture.post("/v1/chat/completions", chat + c[0] + "}"), 400);
      assertEquals(c[1], e.get("param").getAsString(), c[0]);
    }
  }

  @Test
  void chatMessagesAreCheckedAndTheTemplatesRefusalIsABadRequest() throws Exception {
    String head =
        "{\"model\": \"" + ServerFixture.MODEL + "\", \"max_tokens\": 3, \"temperature\": 0, ";
    JsonObject refused =
        ServerFixture.error(
            fixture.post(
                "/v1/chat/completions",
                head + "\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}"),
            400);
    assertEquals("messages", refused.get("param").getAsString());
    assertTrue(
        refused
            .get("message")
            .getAsString()
            .contains("Conversations must start with a system or user turn"),
        "" + refused);
    JsonObject image =
        ServerFixture.error(
            fixture.post(
                "/v1/chat/completions",
                head
                    + "\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                    + " \"image_url\": {\"url\": \"x\"}}]}]}"),
            400);
    assertEquals("messages[0].content[0].type", image.get("param").getAsString());
    JsonObject role =
        ServerFixture.error(
            fixture.post(
                "/v1/chat/completions",
                head + "\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}"),
            400);
    assertEquals("messages[0].role", role.get("param").getAsString());
    // text parts and the developer role are what the template sees as a string and "system"
    HttpResponse<String> parts =
        fixture.post(
            "/v1/chat/completions",
            head
                + "\"messages\": [{\"role\": \"developer\", \"content\": \"Be terse.\"},"
                + " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi \"},"
                + " {\"type\": \"text\", \"text\": \"there\"}]}]}");
    assertEquals(200, parts.statusCode(), parts.body());
    String content =
        JsonParser.parseString(parts.body())
            .getAsJsonObject()
            .getAsJsonArray("choices")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("message")
            .get("content")
            .getAsString();
    assertEquals(
        fixture.greedyChat(
            List.of(
                dev.ringmoe.chat.ChatMessage.system("Be terse."),
                dev.ringmoe.chat.ChatMessage.user("Hi there")),
            3),
        content);
  }

  @Test
  void chatWithoutATemplateIsABadRequestSayingSo() throws Exception {
    try (ServerFixture plain =
        ServerFixture.start(ServerFixture.synthesize(tmp.resolve("plain"), false), 1)) {
      JsonObject e =
          ServerFixture.error(
              plain.post(
                  "/v1/chat/completions",
                  "{\"model\": \""
                      + ServerFixture.MODEL
                      + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"),
              400);
      assertEquals("model_has_no_chat_template", e.get("code").getAsString());
      assertTrue(e.get("message").getAsString().contains("has no chat_template"), "" + e);
      // completions still work
      assertEquals(
          200,
          plain
              .post(
                  "/v1/completions",
                  "{\"model\": \""
                      + ServerFixture.MODEL
                      + "\", \"prompt\": \"a\", \"max_tokens\": 2}")
              .statusCode());
    }
  }

  @Test
  void aTemplateThatFailsIsAnInternalErrorWithoutStackTrace() throws Exception {
    // adding a number to a string fails while rendering, not while parsing
    try (ServerFixture broken =
        ServerFixture.start(
            ServerFixture.synthesize(tmp.resolve("broken"), "{{ messages[0]['content'] + 1 }}"),
            1)) {
      JsonObject e =
          ServerFixture.error(
              broken.post(
                  "/v1/chat/completions",
                  "{\"model\": \""
                      + ServerFixture.MODEL
                      + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"),
              500);
      assertEquals("server_error", e.get("type").getAsString());
      String message = e.get("message").getAsString();
      assertTrue(message.startsWith("internal error: "), message);
      assertTrue(!message.contains("\n") && !message.contains("\tat "), message);
      // the server goes on serving
      assertEquals(
          200,
          broken
              .post(
                  "/v1/completions",
                  "{\"model\": \""
                      + ServerFixture.MODEL
                      + "\", \"prompt\": \"a\", \"max_tokens\": 1}")
              .statusCode());
    }
  }

  @Test
  void promptBeyondThePositionsIsContextLengthExceeded() throws Exception {
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < 1025; i++) {
      ids.append(i == 0 ? "" : ",").append(100 + i % 300);
    }
    JsonObject e =
        refusal("{\"model\": \"" + ServerFixture.MODEL + "\", \"prompt\": [" + ids + "]}", 400);
    assertEquals("context_length_exceeded", e.get("code").getAsString());
    assertEquals("prompt", e.get("param").getAsString());
    assertTrue(e.get("message").getAsString().contains("maximum context length is 1024 tokens"));
  }

  @Test
  void theKvPositionsOfADeviceBudgetAreTheContextLength() throws Exception {
    try (ServerFixture budget =
        ServerFixture.start(
            tmp.resolve("model"), 2, b -> b.deviceMemory(1_250_000).kvPositions(40))) {
      StringBuilder ids = new StringBuilder();
      for (int i = 0; i < 41; i++) {
        ids.append(i == 0 ? "" : ",").append(100 + i);
      }
      HttpResponse<String> tooLong =
          budget.post(
              "/v1/completions",
              "{\"model\": \"" + ServerFixture.MODEL + "\", \"prompt\": [" + ids + "]}");
      JsonObject e = ServerFixture.error(tooLong, 400); // refused before queueing, not a 500
      assertEquals("context_length_exceeded", e.get("code").getAsString());
      assertTrue(e.get("message").getAsString().contains("maximum context length is 40 tokens"));
      HttpResponse<String> fits =
          budget.post(
              "/v1/completions",
              "{\"model\": \""
                  + ServerFixture.MODEL
                  + "\", \"prompt\": ["
                  + ids.substring(0, ids.lastIndexOf(","))
                  + "], \"max_tokens\": 8, \"temperature\": 0}");
      assertEquals(200, fits.statusCode(), fits.body());
      JsonObject choice =
          JsonParser.parseString(fits.body())
              .getAsJsonObject()
              .getAsJsonArray("choices")
              .get(0)
              .getAsJsonObject();
      assertEquals("length", choice.get("finish_reason").getAsString()); // the KV cache is full
    }
  }

  @Test
  void aStopSequenceLongerThanTheLimitIsRefused() throws Exception {
    String stop = "x".repeat(RequestParser.MAX_STOP_LENGTH + 1);
    JsonObject e = refusal(completion(", \"stop\": \"" + stop + "\""), 400);
    assertEquals("stop", e.get("param").getAsString());
  }

  @Test
  void unknownModelAndRouteAre404() throws Exception {
    JsonObject model =
        ServerFixture.error(
            fixture.post("/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404);
    assertEquals("model_not_found", model.get("code").getAsString());
    assertEquals("model", model.get("param").getAsString());
    assertEquals(404, fixture.get("/v1/models/gpt-4").statusCode());
    JsonObject route = ServerFixture.error(fixture.get("/v1/engines"), 404);
    assertEquals("unknown_url", route.get("code").getAsString());
    assertEquals("unknown request URL: GET /v1/engines", route.get("message").getAsString());
  }

  @Test
  void streamedCompletionIsServerSentEventsEndingInDone() throws Exception {
    HttpResponse<String> r =
        fixture.post(
            "/v1/completions",
            completion(
                ", \"max_tokens\": 9, \"temperature\": 0, \"stream\": true,"
                    + " \"stream_options\": {\"include_usage\": true}"));
    assertEquals(200, r.statusCode());
    assertEquals(
        "text/event-stream", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
    String[] events = r.body().split("\n\n");
    assertEquals("data: [DONE]", events[events.length - 1]);
    StringBuilder text = new StringBuilder();
    List<String> reasons = new ArrayList<>();
    JsonObject usage = null;
    String id = null;
    for (int i = 0; i < events.length - 1; i++) {
      assertTrue(events[i].startsWith("data: {"), events[i]);
      JsonObject chunk = JsonParser.parseString(events[i].substring(6)).getAsJsonObject();
      assertEquals("text_completion", chunk.get("object").getAsString());
      id = id == null ? chunk.get("id").getAsString() : id;
      assertEquals(id, chunk.get("id").getAsString(), "one id for all chunks");
      JsonArray choices = chunk.getAsJsonArray("choices");
      if (choices.size() == 0) {
        usage = chunk.getAsJsonObject("usage"); // the last chunk
        assertEquals(events.length - 2, i);
        continue;
      }
      assertTrue(chunk.get("usage").isJsonNull());
      JsonObject choice = choices.get(0).getAsJsonObject();
      text.append(choice.get("text").getAsString());
      JsonElement reason = choice.get("finish_reason");
      if (!reason.isJsonNull()) {
        reasons.add(reason.getAsString());
      }
    }
    assertEquals(fixture.greedy("Hello", 9), text.toString());
    assertEquals(List.of("length"), reasons);
    assertEquals(9, usage.get("completion_tokens").getAsInt());
    assertEquals(usage.get("prompt_tokens").getAsInt() + 9, usage.get("total_tokens").getAsInt());
  }

  @Test
  void fullQueueIsRefusedAtOnceWith503() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    fixture.server.holdWorker(release);
    List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
    try {
      for (int i = 0; i < QUEUE; i++) {
        queued.add(
            fixture.http.sendAsync(
                HttpRequest.newBuilder(URI.create(fixture.url("/v1/completions")))
                    .POST(HttpRequest.BodyPublishers.ofString(completion(", \"max_tokens\": 2")))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      while (fixture.server.queueDepth() < QUEUE) {
        Thread.sleep(5); // waits for the requests to arrive; no time is asserted
      }
      HttpResponse<String> busy = fixture.post("/v1/completions", completion(""));
      JsonObject e = ServerFixture.error(busy, 503);
      assertEquals("server_busy", e.get("code").getAsString());
      assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
      assertTrue(e.get("message").getAsString().contains("2 requests are already queued"), "" + e);
    } finally {
      release.countDown();
    }
    for (CompletableFuture<HttpResponse<String>> f : queued) {
      HttpResponse<String> r = f.get();
      assertEquals(200, r.statusCode(), r.body());
      JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
      assertEquals(2, body.getAsJsonObject("usage").get("completion_tokens").getAsInt());
    }
  }

  @Test
  void aClientThatDisconnectsMidStreamCancelsItsGeneration() throws Exception {
    long cancelledBefore = fixture.server.counters().generations("cancelled");
    long tokensBefore = fixture.server.counters().generatedTokens();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<InputStream> r =
        client.send(
            HttpRequest.newBuilder(URI.create(fixture.url("/v1/completions")))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        completion(
                            ", \"max_tokens\": 100000, \"temperature\": 0, \"stream\": true")))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    try (InputStream in = r.body()) {
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      assertTrue(reader.readLine().startsWith("data: {"));
    } // closing the body mid-stream drops the connection
    // The next request is served: the worker is free again.
    HttpResponse<String> next = fixture.post("/v1/completions", completion(", \"max_tokens\": 3"));
    assertEquals(200, next.statusCode(), next.body());
    assertEquals(cancelledBefore + 1, fixture.server.counters().generations("cancelled"));
    long cancelledTokens = fixture.server.counters().generatedTokens() - tokensBefore - 3;
    int promptTokens = fixture.reference.tokenizer().encode("Hello").length;
    assertTrue(
        cancelledTokens >= 1 && cancelledTokens < 1024 - promptTokens,
        "the cancelled generation stopped early: " + cancelledTokens + " tokens");
  }

  @Test
  void closeAnswersTheQueuedRequestsWith503AndStopsListening() throws Exception {
    try (ServerFixture closing =
        ServerFixture.start(ServerFixture.synthesize(tmp.resolve("closing"), false), 2)) {
      closing.server.holdWorker(new CountDownLatch(1)); // never released: close() must not wait
      List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        queued.add(
            closing.http.sendAsync(
                HttpRequest.newBuilder(URI.create(closing.url("/v1/completions")))
                    .POST(HttpRequest.BodyPublishers.ofString(completion("")))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      while (closing.server.queueDepth() < 2) {
        Thread.sleep(5); // waits for the requests to arrive; no time is asserted
      }
      closing.server.close();
      for (CompletableFuture<HttpResponse<String>> f : queued) {
        JsonObject e = ServerFixture.error(f.get(), 503);
        assertEquals("the server is shutting down", e.get("message").getAsString());
      }
      assertThrows(java.io.IOException.class, () -> closing.get("/health"));
    }
  }

  @Test
  void healthAndMetrics() throws Exception {
    HttpResponse<String> health = fixture.get("/health");
    assertEquals(200, health.statusCode());
    assertEquals("{\"status\":\"ok\"}", health.body());
    assertEquals(
        200, fixture.post("/v1/completions", completion(", \"max_tokens\": 2")).statusCode());
    HttpResponse<String> m = fixture.get("/metrics");
    assertEquals(200, m.statusCode());
    assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = m.body();
    assertTrue(
        metric(text, "ringmoe_http_requests_total{endpoint=\"/health\",status=\"200\"}") >= 1);
    assertTrue(
        metric(text, "ringmoe_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}")
            >= 1);
    assertEquals(QUEUE, metric(text, "ringmoe_queue_capacity"));
    assertEquals(0, metric(text, "ringmoe_queue_depth"));
    assertTrue(metric(text, "ringmoe_generated_tokens_total") >= 2);
    assertEquals(1, metric(text, "ringmoe_ring_enabled"));
    assertTrue(metric(text, "ringmoe_ring_device_bytes_written_total") > 0, text);
    assertTrue(metric(text, "ringmoe_ring_peak_device_bytes") > 0, text);
    double hitRate = metric(text, "ringmoe_ring_hit_rate");
    assertTrue(hitRate >= 0 && hitRate <= 1, text);
    assertTrue(metric(text, "ringmoe_ring_stall_seconds_total") >= 0, text);
    // every sample line is NAME{LABELS} VALUE, every family announced by HELP and TYPE
    for (String line : text.split("\n")) {
      assertTrue(
          line.startsWith("# HELP ringmoe_")
              || line.startsWith("# TYPE ringmoe_")
              || line.matches("ringmoe_[a-z_]+(\\{[^}]*\\})? -?[0-9.e+-]+"),
          line);
    }
  }

  private static double metric(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
    assertTrue(m.find(), name + " missing in\n" + text);
    return Double.parseDouble(m.group(1));
  }
}
