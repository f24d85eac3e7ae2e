package dev.ringmoe.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The JSON shapes OpenAI's API answers with (completion, chat completion, their stream chunks,
 * usage, errors), and the two {@link Job.Output}s that produce them. Nulls are written, as OpenAI
 * writes them ({@code "finish_reason": null} in a chunk).
 */
final class Responses {
  static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  private Responses() {}

  /** OpenAI's error object. */
  static JsonObject error(ApiException e) {
    JsonObject inner = new JsonObject();
    inner.addProperty("message", e.getMessage());
    inner.addProperty("type", e.type());
    inner.addProperty("param", e.param());
    inner.addProperty("code", e.code());
    JsonObject o = new JsonObject();
    o.add("error", inner);
    return o;
  }

  static JsonObject usage(int prompt, int completion) {
    JsonObject u = new JsonObject();
    u.addProperty("prompt_tokens", prompt);
    u.addProperty("completion_tokens", completion);
    u.addProperty("total_tokens", prompt + completion);
    return u;
  }

  /** The identity of one response: its id, creation time and model, shared by all its chunks. */
  static final class Header {
    final CompletionRequest.Kind kind;
    final String id;
    final long created;
    final String model;

    Header(CompletionRequest.Kind kind, String model) {
      this.kind = kind;
      String hex = UUID.randomUUID().toString().replace("-", "");
      this.id = (kind == CompletionRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + hex;
      this.created = System.currentTimeMillis() / 1000;
      this.model = model;
    }

    JsonObject object(String object) {
      JsonObject o = new JsonObject();
      o.addProperty("id", id);
      o.addProperty("object", object);
      o.addProperty("created", created);
      o.addProperty("model", model);
      return o;
    }
  }

  /**
   * The one-element {@code choices} array of every response and chunk: {@code index} 0, the content
   * under {@code field} ({@code message}, {@code delta} or {@code text}), {@code logprobs} null and
   * {@code finish_reason} (null while a stream goes on), in OpenAI's field order.
   */
  private static JsonArray choices(String field, JsonElement content, String finishReason) {
    JsonObject choice = new JsonObject();
    choice.addProperty("index", 0);
    choice.add(field, content);
    choice.add("logprobs", JsonNull.INSTANCE);
    choice.addProperty("finish_reason", finishReason);
    JsonArray choices = new JsonArray();
    choices.add(choice);
    return choices;
  }

  /** A whole (non-streamed) response, built when generation ends. */
  static final class Buffered implements Job.Output {
    private final Header header;
    private final StringBuilder text = new StringBuilder();
    private volatile int status;
    private volatile String body;

    Buffered(Header header) {
      this.header = header;
    }

    @Override
    public void start() {}

    @Override
    public void text(String piece) {
      text.append(piece);
    }

    @Override
    public void finish(String finishReason, int promptTokens, int completionTokens) {
      boolean chat = header.kind == CompletionRequest.Kind.CHAT;
      JsonObject o = header.object(chat ? "chat.completion" : "text_completion");
      JsonElement content;
      if (chat) {
        JsonObject message = new JsonObject();
        message.addProperty("role", "assistant");
        message.addProperty("content", text.toString());
        message.add("refusal", JsonNull.INSTANCE);
        content = message;
      } else {
        content = new JsonPrimitive(text.toString());
      }
      o.add("choices", choices(chat ? "message" : "text", content, finishReason));
      o.add("usage", usage(promptTokens, completionTokens));
      body = GSON.toJson(o);
      status = 200;
    }

    @Override
    public void fail(ApiException error) {
      body = GSON.toJson(error(error));
      status = error.status();
    }

    /** 0 when the job never reached an end (it should always: the worker completes every job). */
    int status() {
      return status;
    }

    String body() {
      return body;
    }
  }

  /**
   * Server-sent events in OpenAI's chunk format. The worker formats the events and hands them over
   * through a small bounded buffer; the request's own HTTP thread ({@link #pump}) writes them to
   * the client. So the worker never blocks on the network: a client that stops reading fills the
   * buffer, and after {@link #STALL_SECONDS} the worker's next event fails with {@link
   * IOException}, which cancels the generation, as a client that went away (a failed write) does.
   */
  static final class Streamed implements Job.Output {
    /** How long the worker waits for a client that reads nothing before it gives up on it. */
    static final long STALL_SECONDS = 30;

    private static final int BUFFERED_EVENTS = 64;
    private static final String OPEN = new String("open"); // compared by identity

    /** What the HTTP thread does before the first event: status and headers. */
    interface Opener {
      OutputStream open() throws IOException;
    }

    private final Header header;
    private final boolean includeUsage;
    private final Opener opener;
    private final BlockingQueue<String> events = new ArrayBlockingQueue<>(BUFFERED_EVENTS);
    private volatile boolean started;
    private volatile boolean clientGone;
    private volatile ApiException failedBeforeStart;

    Streamed(Header header, boolean includeUsage, Opener opener) {
      this.header = header;
      this.includeUsage = includeUsage;
      this.opener = opener;
    }

    /**
     * On the request's HTTP thread: writes the events as the worker produces them until {@code
     * done} and the buffer is empty. A failed write marks the client gone (the worker then cancels)
     * and stops writing.
     */
    void pump(CompletableFuture<Void> done) throws InterruptedException {
      OutputStream out = null;
      try {
        while (true) {
          String event = events.poll(50, TimeUnit.MILLISECONDS);
          if (event == null) {
            if (done.isDone() && events.isEmpty()) {
              return;
            }
            continue;
          }
          if (event == OPEN) {
            out = opener.open();
          } else {
            out.write(event.getBytes(StandardCharsets.UTF_8));
            if (events.isEmpty()) {
              out.flush(); // a burst of events goes out in one flush
            }
          }
        }
      } catch (IOException gone) {
        clientGone = true;
        events.clear(); // a worker waiting for room sees the client gone at once
        done.join(); // the worker cancels at its next event
      }
    }

    private boolean chat() {
      return header.kind == CompletionRequest.Kind.CHAT;
    }

    @Override
    public void start() throws IOException {
      hand(OPEN);
      started = true;
      if (chat()) {
        JsonObject delta = new JsonObject();
        delta.addProperty("role", "assistant");
        delta.addProperty("content", "");
        send(chunk(delta, null));
      }
    }

    @Override
    public void text(String piece) throws IOException {
      if (chat()) {
        JsonObject delta = new JsonObject();
        delta.addProperty("content", piece);
        send(chunk(delta, null));
      } else {
        send(chunk(piece, null));
      }
    }

    @Override
    public void finish(String finishReason, int promptTokens, int completionTokens)
        throws IOException {
      send(chat() ? chunk(new JsonObject(), finishReason) : chunk("", finishReason));
      if (includeUsage) {
        JsonObject o = header.object(chat() ? "chat.completion.chunk" : "text_completion");
        o.add("choices", new JsonArray());
        o.add("usage", usage(promptTokens, completionTokens));
        send(o);
      }
      write("data: [DONE]\n\n");
    }

    @Override
    public void fail(ApiException error) {
      if (!started) {
        failedBeforeStart = error;
        return;
      }
      try {
        send(error(error));
      } catch (IOException gone) {
        // nobody left to tell
      }
    }

    /** The error to answer with as plain JSON, when the stream never started. */
    ApiException failedBeforeStart() {
      return failedBeforeStart;
    }

    private JsonObject chunk(JsonObject delta, String finishReason) {
      return withChoice(
          header.object("chat.completion.chunk"), choices("delta", delta, finishReason));
    }

    private JsonObject chunk(String text, String finishReason) {
      return withChoice(
          header.object("text_completion"), choices("text", new JsonPrimitive(text), finishReason));
    }

    private JsonObject withChoice(JsonObject o, JsonArray choices) {
      o.add("choices", choices);
      if (includeUsage) {
        o.add("usage", JsonNull.INSTANCE); // OpenAI: null on every chunk but the last
      }
      return o;
    }

    private void send(JsonObject event) throws IOException {
      write("data: " + GSON.toJson(event) + "\n\n");
    }

    private void write(String s) throws IOException {
      hand(s);
    }

    @Override
    public void abort() {
      clientGone = true;
      events.clear();
    }

    /**
     * Hands {@code event} to the HTTP thread, or fails when the client is gone or reads nothing.
     */
    private void hand(String event) throws IOException {
      try {
        if (clientGone || !events.offer(event, STALL_SECONDS, TimeUnit.SECONDS)) {
          clientGone = true;
          throw new IOException("the client went away or read nothing for " + STALL_SECONDS + " s");
        }
        if (clientGone) { // went away while this event was queued: nobody will write it
          throw new IOException("the client went away");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while handing an event to the client");
      }
    }
  }
}
