package dev.ringmoe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.chat.ChatMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few hundred bounded requests (completions and chat, whole and streamed, greedy and sampled)
 * from several client threads: every response complete and well-formed, greedy ones exactly the
 * reference text, and the server's memory (heap after GC, JavaCPP's native bytes) flat.
 */
class OpenAiServerLoadTest {
  private static final int THREADS = 6;
  private static final int PER_THREAD = 50;
  private static final String[] PROMPTS = {"The quick brown fox", "Hello", "Once upon a time"};

  @TempDir static Path tmp;
  private static ServerFixture fixture;
  private static final List<String> GREEDY = new ArrayList<>();
  private static final List<String> GREEDY_CHAT = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Path dir = ServerFixture.synthesize(tmp.resolve("model"), true);
    fixture = ServerFixture.start(dir, 16);
    for (String p : PROMPTS) {
      GREEDY.add(fixture.greedy(p, 4));
      GREEDY_CHAT.add(fixture.greedyChat(List.of(ChatMessage.user(p)), 4));
    }
  }

  @AfterAll
  static void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Request {@code i}: which endpoint, streamed or not, greedy or sampled, from {@code i}. */
  private static String body(int i) {
    String prompt = PROMPTS[i % PROMPTS.length];
    boolean greedy = i % 4 != 3;
    String common =
        "\"model\": \""
            + ServerFixture.MODEL
            + "\", \"max_tokens\": 4"
            + (greedy ? ", \"temperature\": 0" : ", \"temperature\": 0.8, \"seed\": " + i)
            + (i % 5 == 0 || i % 7 == 0 ? ", \"stream\": true" : "")
            + (i % 5 == 0 ? ", \"stream_options\": {\"include_usage\": true}" : "");
    return i % 2 == 1
        ? "{" + common + ", \"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}]}"
        : "{" + common + ", \"prompt\": \"" + prompt + "\"}";
  }

  /** Checks one response completely; returns its completion tokens. */
  private static int check(int i, String body, HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), body + " -> " + r.body());
    boolean isChat = body.contains("\"messages\"");
    boolean greedy = body.contains("\"temperature\": 0,") || body.endsWith("\"temperature\": 0}");
    String expected = (isChat ? GREEDY_CHAT : GREEDY).get(i % PROMPTS.length);
    String text;
    int completion;
    if (body.contains("\"stream\": true")) {
      String[] events = r.body().split("\n\n");
      assertEquals("data: [DONE]", events[events.length - 1], r.body());
      StringBuilder b = new StringBuilder();
      int finishes = 0;
      completion = -1;
      for (int e = 0; e < events.length - 1; e++) {
        assertTrue(events[e].startsWith("data: {"), events[e]);
        JsonObject chunk = JsonParser.parseString(events[e].substring(6)).getAsJsonObject();
        if (chunk.has("usage") && !chunk.get("usage").isJsonNull()) {
          completion = chunk.getAsJsonObject("usage").get("completion_tokens").getAsInt();
        }
        if (chunk.getAsJsonArray("choices").size() == 0) {
          continue;
        }
        JsonObject choice = chunk.getAsJsonArray("choices").get(0).getAsJsonObject();
        if (isChat) {
          JsonObject delta = choice.getAsJsonObject("delta");
          if (delta.has("content")) {
            b.append(delta.get("content").getAsString());
          }
        } else {
          b.append(choice.get("text").getAsString());
        }
        if (!choice.get("finish_reason").isJsonNull()) {
          finishes++;
          assertTrue(Set.of("stop", "length").contains(choice.get("finish_reason").getAsString()));
        }
      }
      assertEquals(1, finishes, r.body());
      if (body.contains("include_usage")) {
        assertTrue(completion >= 1 && completion <= 4, r.body());
      } else {
        completion = 0;
      }
      text = b.toString();
    } else {
      JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
      assertEquals(isChat ? "chat.completion" : "text_completion", o.get("object").getAsString());
      JsonObject choice = o.getAsJsonArray("choices").get(0).getAsJsonObject();
      text =
          isChat
              ? choice.getAsJsonObject("message").get("content").getAsString()
              : choice.get("text").getAsString();
      assertTrue(Set.of("stop", "length").contains(choice.get("finish_reason").getAsString()));
      JsonObject usage = o.getAsJsonObject("usage");
      completion = usage.get("completion_tokens").getAsInt();
      assertTrue(completion >= 1 && completion <= 4, r.body());
      assertEquals(
          usage.get("prompt_tokens").getAsInt() + completion, usage.get("total_tokens").getAsInt());
    }
    if (greedy) {
      assertEquals(expected, text, body);
    }
    return completion;
  }

  private static void run(int first, int count, int threads) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int k = 0; k < count; k++) {
                    int i = first + thread * count + k;
                    String body = body(i);
                    HttpResponse<String> r =
                        client.send(
                            HttpRequest.newBuilder(
                                    URI.create(
                                        fixture.url(
                                            body.contains("\"messages\"")
                                                ? "/v1/chat/completions"
                                                : "/v1/completions")))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                    check(i, body, r);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The process's resident bytes less the heap the JVM has committed: G1 grows the committed heap
   * under allocation pressure, which is not a leak; what stays is native memory (JavaCPP, malloc,
   * thread stacks, code).
   */
  private static long nonHeapPhysicalBytes() {
    return Pointer.physicalBytes() - Runtime.getRuntime().totalMemory();
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  @Test
  void hundredsOfConcurrentRequestsAllCompleteAndMemoryStaysFlat() throws Exception {
    // Warm-up, as many requests again: JIT, thread pools, malloc arenas, ND4J's per-thread state.
    run(0, PER_THREAD, THREADS);
    long heapBefore = heapAfterGc();
    long physicalBefore = nonHeapPhysicalBytes();
    long nativeBefore = Pointer.totalBytes();
    run(1000, PER_THREAD, THREADS);
    long heapAfter = heapAfterGc();
    long physicalAfter = nonHeapPhysicalBytes();
    long nativeAfter = Pointer.totalBytes();
    System.out.printf(
        Locale.ROOT,
        "load: %d requests from %d threads after as many to warm up; heap %.1f -> %.1f MB, JavaCPP total %.1f -> %.1f MB,"
            + " resident beyond the committed heap %.1f -> %.1f MB%n",
        THREADS * PER_THREAD,
        THREADS,
        heapBefore / 1e6,
        heapAfter / 1e6,
        nativeBefore / 1e6,
        nativeAfter / 1e6,
        physicalBefore / 1e6,
        physicalAfter / 1e6);
    assertEquals(
        2L * THREADS * PER_THREAD,
        fixture.server.counters().generations("stop")
            + fixture.server.counters().generations("length"));
    assertEquals(0, fixture.server.counters().generations("error"));
    // Generous bounds, since resident memory moves with malloc arenas in a JVM shared with other
    // tests; a leak of 100 KB of native or 200 KB of heap memory per request, or 1 MB of resident
    // memory, would exceed them.
    assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + (heapAfter - heapBefore));
    assertTrue(
        nativeAfter - nativeBefore < 32L << 20, "native grew by " + (nativeAfter - nativeBefore));
    assertTrue(
        physicalAfter - physicalBefore < 256L << 20,
        "resident memory beyond the heap grew by " + (physicalAfter - physicalBefore));
  }
}
