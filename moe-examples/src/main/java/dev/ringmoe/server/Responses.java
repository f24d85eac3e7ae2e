package dev.ringmoe.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

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
      JsonObject choice = new JsonObject();
      choice.addProperty("index", 0);
      if (chat) {
        JsonObject message = new JsonObject();
        message.addProperty("role", "assistant");
        message.addProperty("content", text.toString());
        message.add("refusal", JsonNull.INSTANCE);
        choice.add("message", message);
      } else {
        choice.addProperty("text", text.toString());
      }
      choice.add("logprobs", JsonNull.INSTANCE);
      choice.addProperty("finish_reason", finishReason);
      JsonArray choices = new JsonArray();
      choices.add(choice);
      o.add("choices", choices);
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
   * Server-sent events in OpenAI's chunk format, written by the worker straight to the client; a
   * failed write ({@link IOException}) means the client went away.
   */
  static final class Streamed implements Job.Output {
    /** What the HTTP thread does before the first event: status and headers. */
    interface Opener {
      OutputStream open() throws IOException;
    }

    private final Header header;
    private final boolean includeUsage;
    private final Opener opener;
    private OutputStream out;
    private volatile ApiException failedBeforeStart;

    Streamed(Header header, boolean includeUsage, Opener opener) {
      this.header = header;
      this.includeUsage = includeUsage;
      this.opener = opener;
    }

    private boolean chat() {
      return header.kind == CompletionRequest.Kind.CHAT;
    }

    @Override
    public void start() throws IOException {
      out = opener.open();
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
      if (out == null) {
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
      JsonObject o = header.object("chat.completion.chunk");
      JsonObject choice = new JsonObject();
      choice.addProperty("index", 0);
      choice.add("delta", delta);
      choice.add("logprobs", JsonNull.INSTANCE);
      choice.addProperty("finish_reason", finishReason);
      return withChoice(o, choice);
    }

    private JsonObject chunk(String text, String finishReason) {
      JsonObject o = header.object("text_completion");
      JsonObject choice = new JsonObject();
      choice.addProperty("index", 0);
      choice.addProperty("text", text);
      choice.add("logprobs", JsonNull.INSTANCE);
      choice.addProperty("finish_reason", finishReason);
      return withChoice(o, choice);
    }

    private JsonObject withChoice(JsonObject o, JsonObject choice) {
      JsonArray choices = new JsonArray();
      choices.add(choice);
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
      out.write(s.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }
}
