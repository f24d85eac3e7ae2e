package dev.ringmoe.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.chat.ChatTemplateException;
import dev.ringmoe.chat.JsonValues;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.tokenizer.Tokenizer;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns the JSON body of {@code /v1/completions} and {@code /v1/chat/completions} into a {@link
 * CompletionRequest}, refusing (with an {@link ApiException} naming the parameter) anything the
 * server would otherwise answer wrongly: a parameter OpenAI defines that we do not implement is an
 * error, never ignored. Stateless apart from the model's facts; thread-safe.
 */
final class RequestParser {
  /** Most stop sequences a request may give (OpenAI's limit). */
  static final int MAX_STOP_SEQUENCES = 4;

  // Text is held back while it could start a stop sequence: a bound keeps that, and matching,
  // small.
  static final int MAX_STOP_LENGTH = 1024;

  /** OpenAI's default {@code max_tokens} of the legacy completions endpoint. */
  static final int DEFAULT_COMPLETION_TOKENS = 16;

  // What both endpoints implement.
  private static final Set<String> COMMON =
      Set.of(
          "model",
          "max_tokens",
          "temperature",
          "top_p",
          "seed",
          "stop",
          "presence_penalty",
          "frequency_penalty",
          "stream",
          "stream_options",
          "n",
          "logprobs",
          "logit_bias",
          // extensions (llama.cpp and vLLM spell them so)
          "top_k",
          "min_p",
          "repetition_penalty",
          // accepted and ignored: they do not change what is generated
          "user",
          "metadata",
          "store",
          "service_tier",
          "safety_identifier",
          "prompt_cache_key");
  private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "suffix", "best_of");
  private static final Set<String> CHAT_ONLY =
      Set.of(
          "messages",
          "max_completion_tokens",
          "top_logprobs",
          "tools",
          "tool_choice",
          "parallel_tool_calls",
          "response_format",
          "functions",
          "function_call",
          "modalities",
          "audio",
          "prediction",
          "web_search_options",
          "reasoning_effort",
          "verbosity");

  private final String modelName;
  private final Tokenizer tokenizer;
  private final int vocabSize;
  private final int maxPositions;
  private final ChatTemplate template;

  RequestParser(
      String modelName,
      Tokenizer tokenizer,
      int vocabSize,
      int maxPositions,
      ChatTemplate template) {
    this.modelName = modelName;
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.maxPositions = maxPositions;
    this.template = template;
  }

  /** The body as a JSON object, or 400 saying why it is not one. */
  static JsonObject parseBody(String body) {
    if (body == null || body.isBlank()) {
      throw ApiException.badRequest(null, "the request body is empty; it must be a JSON object");
    }
    JsonElement root;
    try {
      JsonReader reader = new JsonReader(new StringReader(body));
      reader.setStrictness(Strictness.STRICT);
      root = JsonParser.parseReader(reader);
      if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
        throw new JsonParseException("trailing data after the JSON value");
      }
    } catch (JsonParseException | java.io.IOException | IllegalStateException e) {
      throw ApiException.badRequest(
          null,
          "the request body is not valid JSON ("
              + String.valueOf(e.getMessage()).replaceAll("\\s+", " ")
              + ")");
    }
    if (!root.isJsonObject()) {
      throw ApiException.badRequest(null, "the request body must be a JSON object");
    }
    return root.getAsJsonObject();
  }

  CompletionRequest completion(JsonObject body) {
    checkKnown(body, COMPLETION_ONLY);
    checkModel(body);
    refuseUnless(body, "echo", e -> e.isJsonPrimitive() && !bool(e, "echo"));
    refuseUnless(body, "suffix", e -> false);
    refuseUnless(body, "best_of", e -> integer(e, "best_of") == 1);
    // completions' logprobs is a count (0 to 5); only its absence is what we answer
    refuseUnless(body, "logprobs", e -> false);
    int[] ids = promptIds(body);
    GenerationOptions options =
        options(body, maxTokens(body, "max_tokens", DEFAULT_COMPLETION_TOKENS));
    return request(CompletionRequest.Kind.COMPLETION, body, ids, options);
  }

  CompletionRequest chat(JsonObject body) {
    checkKnown(body, CHAT_ONLY);
    checkModel(body);
    refuseUnless(body, "logprobs", e -> !bool(e, "logprobs"));
    refuseUnless(body, "top_logprobs", e -> false);
    refuseUnless(body, "functions", e -> false);
    refuseUnless(body, "function_call", e -> e.isJsonPrimitive() && e.getAsString().equals("none"));
    refuseUnless(body, "audio", e -> false);
    refuseUnless(body, "prediction", e -> false);
    refuseUnless(body, "web_search_options", e -> false);
    refuseUnless(
        body,
        "modalities",
        e -> e.isJsonArray() && e.getAsJsonArray().size() == 1 && isString(e, 0, "text"));
    refuseUnless(
        body,
        "response_format",
        e ->
            e.isJsonObject()
                && e.getAsJsonObject().has("type")
                && e.getAsJsonObject().get("type").isJsonPrimitive()
                && e.getAsJsonObject().get("type").getAsString().equals("text"));
    List<Map<String, ?>> tools = tools(body);
    if (template == null) {
      throw ApiException.badRequest(
          "messages",
          "model_has_no_chat_template",
          "the model '"
              + modelName
              + "' has no chat_template (neither in tokenizer_config.json nor in chat_template.jinja),"
              + " so /v1/chat/completions cannot format messages; use /v1/completions with a prompt");
    }
    List<ChatMessage> messages = messages(body);
    String prompt;
    try {
      prompt = template.render(messages, tools, true, Map.of());
    } catch (ChatTemplateException e) {
      if (e.raisedByTemplate()) {
        throw ApiException.badRequest(
            "messages", "the model's chat template refused the conversation: " + e.getMessage());
      }
      throw e; // the template itself is broken: an internal error
    }
    int[] ids = tokenizer.encode(prompt, false); // the rendered text holds its special tokens
    if (ids.length == 0) {
      throw ApiException.badRequest("messages", "the conversation renders to no tokens");
    }
    int maxTokens =
        body.has("max_completion_tokens") && !body.get("max_completion_tokens").isJsonNull()
            ? maxTokens(body, "max_completion_tokens", Integer.MAX_VALUE)
            : maxTokens(body, "max_tokens", Integer.MAX_VALUE);
    return request(CompletionRequest.Kind.CHAT, body, ids, options(body, maxTokens));
  }

  private CompletionRequest request(
      CompletionRequest.Kind kind, JsonObject body, int[] ids, GenerationOptions options) {
    checkContext(ids, kind == CompletionRequest.Kind.CHAT ? "messages" : "prompt");
    refuseUnless(body, "n", e -> integer(e, "n") == 1);
    refuseUnless(body, "logit_bias", e -> e.isJsonObject() && e.getAsJsonObject().size() == 0);
    boolean stream = has(body, "stream") && bool(body.get("stream"), "stream");
    boolean includeUsage = false;
    if (has(body, "stream_options")) {
      if (!stream) {
        throw ApiException.badRequest(
            "stream_options", "stream_options is only allowed when stream is true");
      }
      JsonElement so = body.get("stream_options");
      if (!so.isJsonObject()) {
        throw ApiException.badRequest("stream_options", "stream_options must be an object");
      }
      for (Map.Entry<String, JsonElement> e : so.getAsJsonObject().entrySet()) {
        if (e.getKey().equals("include_usage")) {
          includeUsage = !e.getValue().isJsonNull() && bool(e.getValue(), "stream_options");
        } else if (!e.getKey().equals("include_obfuscation")) {
          throw ApiException.badRequest(
              "stream_options." + e.getKey(),
              "unrecognized stream option '" + e.getKey() + "' (supported: include_usage)");
        }
      }
    }
    return new CompletionRequest(kind, ids, options, stream, includeUsage);
  }

  private void checkContext(int[] ids, String param) {
    if (ids.length > maxPositions) {
      throw ApiException.badRequest(
          param,
          "context_length_exceeded",
          "this model's maximum context length is "
              + maxPositions
              + " tokens, but the prompt has "
              + ids.length
              + " tokens");
    }
  }

  private static void checkKnown(JsonObject body, Set<String> own) {
    for (String key : body.keySet()) {
      if (!COMMON.contains(key) && !own.contains(key)) {
        throw ApiException.badRequest(key, "unrecognized request argument supplied: " + key);
      }
    }
  }

  private void checkModel(JsonObject body) {
    if (!has(body, "model")) {
      throw ApiException.badRequest("model", "you must provide a model parameter");
    }
    String model = string(body.get("model"), "model");
    if (!model.equals(modelName)) {
      throw ApiException.notFound(
          "model",
          "model_not_found",
          "the model '" + model + "' does not exist; this server serves '" + modelName + "'");
    }
  }

  /** Refuses {@code key} when present, not null and {@code acceptable} says no. */
  private static void refuseUnless(
      JsonObject body, String key, java.util.function.Predicate<JsonElement> acceptable) {
    if (has(body, key) && !acceptable.test(body.get(key))) {
      throw ApiException.badRequest(
          key,
          "'"
              + key
              + "' = "
              + abbreviate(body.get(key).toString())
              + " is not supported by this server");
    }
  }

  private int[] promptIds(JsonObject body) {
    if (!has(body, "prompt")) {
      throw ApiException.badRequest("prompt", "you must provide a prompt");
    }
    JsonElement p = body.get("prompt");
    if (p.isJsonPrimitive() && p.getAsJsonPrimitive().isString()) {
      return encode(p.getAsString());
    }
    if (p.isJsonArray()) {
      JsonArray a = p.getAsJsonArray();
      if (a.size() == 0) {
        throw ApiException.badRequest("prompt", "the prompt is an empty array");
      }
      JsonElement first = a.get(0);
      if (first.isJsonPrimitive() && first.getAsJsonPrimitive().isString() || first.isJsonArray()) {
        if (a.size() != 1) {
          throw ApiException.badRequest(
              "prompt",
              "a batch of " + a.size() + " prompts is not supported; send one prompt per request");
        }
        return first.isJsonArray() ? ids(first.getAsJsonArray()) : encode(first.getAsString());
      }
      return ids(a);
    }
    throw ApiException.badRequest(
        "prompt", "the prompt must be a string, an array of one string or an array of token ids");
  }

  private int[] encode(String text) {
    int[] ids = tokenizer.encode(text); // adds BOS as the checkpoint's tokenizer says, as generate
    if (ids.length == 0) { // does; a tokenizer without BOS encodes "" to nothing
      throw ApiException.badRequest("prompt", "the prompt encodes to no tokens");
    }
    return ids;
  }

  private int[] ids(JsonArray a) {
    if (a.size() == 0) {
      throw ApiException.badRequest("prompt", "the prompt has no token ids");
    }
    int[] ids = new int[a.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonElement e = a.get(i);
      long id;
      try {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
          throw new NumberFormatException();
        }
        id = e.getAsBigDecimal().longValueExact();
      } catch (NumberFormatException | ArithmeticException x) {
        throw ApiException.badRequest(
            "prompt", "prompt[" + i + "] = " + abbreviate(e.toString()) + " is not a token id");
      }
      if (id < 0 || id >= vocabSize) {
        throw ApiException.badRequest(
            "prompt",
            "prompt["
                + i
                + "] = "
                + id
                + " is outside the model's vocabulary [0, "
                + vocabSize
                + ")");
      }
      ids[i] = (int) id;
    }
    return ids;
  }

  private static List<ChatMessage> messages(JsonObject body) {
    if (!has(body, "messages")) {
      throw ApiException.badRequest("messages", "you must provide messages");
    }
    JsonElement m = body.get("messages");
    if (!m.isJsonArray() || m.getAsJsonArray().size() == 0) {
      throw ApiException.badRequest("messages", "messages must be a non-empty array");
    }
    List<ChatMessage> out = new ArrayList<>();
    JsonArray a = m.getAsJsonArray();
    for (int i = 0; i < a.size(); i++) {
      String where = "messages[" + i + "]";
      if (!a.get(i).isJsonObject()) {
        throw ApiException.badRequest(where, where + " must be an object");
      }
      JsonObject msg = a.get(i).getAsJsonObject();
      if (!has(msg, "role")) {
        throw ApiException.badRequest(where + ".role", where + " has no role");
      }
      String role = string(msg.get("role"), where + ".role");
      if (!Set.of("system", "developer", "user", "assistant", "tool").contains(role)) {
        throw ApiException.badRequest(
            where + ".role",
            where + ".role '" + role + "' is not one of system, developer, user, assistant, tool");
      }
      Map<String, Object> fields = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : msg.entrySet()) {
        fields.put(e.getKey(), JsonValues.of(e.getValue()));
      }
      // OpenAI's developer role is the system role of the templates, which know only that.
      fields.put("role", role.equals("developer") ? "system" : role);
      fields.put("content", content(msg.get("content"), where + ".content", role));
      out.add(ChatMessage.fromMap(fields));
    }
    return out;
  }

  /** A message's content as text: a string, or the concatenation of its text parts. */
  private static String content(JsonElement c, String where, String role) {
    if (c == null || c.isJsonNull()) {
      if (role.equals("assistant")) {
        return null; // an assistant turn that only calls tools
      }
      throw ApiException.badRequest(where, where + " is missing");
    }
    if (c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
      return c.getAsString();
    }
    if (c.isJsonArray()) {
      StringBuilder text = new StringBuilder();
      JsonArray parts = c.getAsJsonArray();
      for (int j = 0; j < parts.size(); j++) {
        String pw = where + "[" + j + "]";
        if (!parts.get(j).isJsonObject()) {
          throw ApiException.badRequest(pw, pw + " must be an object");
        }
        JsonObject part = parts.get(j).getAsJsonObject();
        String type = has(part, "type") ? string(part.get("type"), pw + ".type") : "";
        if (!type.equals("text")) {
          throw ApiException.badRequest(
              pw + ".type",
              pw + ".type '" + type + "' is not supported; this model takes text parts only");
        }
        if (!has(part, "text")) {
          throw ApiException.badRequest(pw + ".text", pw + " has no text");
        }
        text.append(string(part.get("text"), pw + ".text"));
      }
      return text.toString();
    }
    throw ApiException.badRequest(where, where + " must be a string or an array of text parts");
  }

  private static List<Map<String, ?>> tools(JsonObject body) {
    String choice = "auto";
    if (has(body, "tool_choice")) {
      JsonElement tc = body.get("tool_choice");
      if (!tc.isJsonPrimitive()
          || !(tc.getAsString().equals("auto") || tc.getAsString().equals("none"))) {
        throw ApiException.badRequest(
            "tool_choice",
            "tool_choice "
                + abbreviate(tc.toString())
                + " is not supported: this server cannot force a tool call (use auto or none)");
      }
      choice = tc.getAsString();
    }
    if (!has(body, "tools") || choice.equals("none")) {
      return null;
    }
    JsonElement t = body.get("tools");
    if (!t.isJsonArray()) {
      throw ApiException.badRequest("tools", "tools must be an array");
    }
    List<Map<String, ?>> tools = new ArrayList<>();
    for (JsonElement e : t.getAsJsonArray()) {
      if (!e.isJsonObject()) {
        throw ApiException.badRequest("tools", "every tool must be an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, ?> tool = (Map<String, ?>) JsonValues.of(e);
      tools.add(tool);
    }
    return tools.isEmpty() ? null : tools;
  }

  private GenerationOptions options(JsonObject body, int maxTokens) {
    GenerationOptions.Builder b = GenerationOptions.builder().maxNewTokens(maxTokens);
    double temperature = number(body, "temperature", 1.0, 0, 2);
    b.temperature(temperature);
    b.topP(number(body, "top_p", 1.0, Double.MIN_VALUE, 1));
    if (has(body, "top_k")) {
      long k = integer(body.get("top_k"), "top_k");
      // vLLM's -1 and llama.cpp's 0 both mean "no restriction"
      if (k < -1 || k > Integer.MAX_VALUE) {
        throw ApiException.badRequest("top_k", "top_k must be >= 0 (0 or -1: off), was " + k);
      }
      b.topK((int) Math.max(0, k));
    }
    b.minP(number(body, "min_p", 0, 0, 1));
    b.presencePenalty(number(body, "presence_penalty", 0, -2, 2));
    b.frequencyPenalty(number(body, "frequency_penalty", 0, -2, 2));
    if (has(body, "repetition_penalty")) {
      double p = number(body, "repetition_penalty", 1, 0, Double.MAX_VALUE);
      if (!(p > 0)) {
        throw ApiException.badRequest(
            "repetition_penalty", "repetition_penalty must be > 0 (1 = off), was " + p);
      }
      b.repetitionPenalty(p);
    }
    // Without a seed a sampled request differs each time, as OpenAI's do.
    b.seed(
        has(body, "seed")
            ? integer(body.get("seed"), "seed")
            : ThreadLocalRandom.current().nextLong());
    List<String> stop = stop(body);
    if (!stop.isEmpty()) {
      b.stop(stop);
    }
    return b.build();
  }

  private static List<String> stop(JsonObject body) {
    List<String> stop = new ArrayList<>();
    if (!has(body, "stop")) {
      return stop;
    }
    JsonElement s = body.get("stop");
    if (s.isJsonPrimitive() && s.getAsJsonPrimitive().isString()) {
      stop.add(s.getAsString());
    } else if (s.isJsonArray()) {
      for (int i = 0; i < s.getAsJsonArray().size(); i++) {
        stop.add(string(s.getAsJsonArray().get(i), "stop"));
      }
    } else {
      throw ApiException.badRequest("stop", "stop must be a string or an array of strings");
    }
    if (stop.size() > MAX_STOP_SEQUENCES) {
      throw ApiException.badRequest(
          "stop",
          "stop has " + stop.size() + " sequences; at most " + MAX_STOP_SEQUENCES + " are allowed");
    }
    if (stop.contains("")) {
      throw ApiException.badRequest("stop", "stop sequences must not be empty strings");
    }
    for (String sequence : stop) {
      if (sequence.length() > MAX_STOP_LENGTH) {
        throw ApiException.badRequest(
            "stop",
            "a stop sequence has "
                + sequence.length()
                + " characters; at most "
                + MAX_STOP_LENGTH
                + " are allowed");
      }
    }
    return stop;
  }

  private static int maxTokens(JsonObject body, String key, int dflt) {
    if (!has(body, key)) {
      return dflt;
    }
    long n = integer(body.get(key), key);
    if (n < 1) {
      throw ApiException.badRequest(key, key + " must be at least 1, was " + n);
    }
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  private static boolean has(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull();
  }

  private static double number(JsonObject body, String key, double dflt, double min, double max) {
    if (!has(body, key)) {
      return dflt;
    }
    JsonElement e = body.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw ApiException.badRequest(
          key, key + " must be a number, was " + abbreviate(e.toString()));
    }
    double v = e.getAsDouble();
    if (!(v >= min && v <= max)) {
      throw ApiException.badRequest(
          key,
          key
              + " must be in ["
              + (min == Double.MIN_VALUE ? "0 (exclusive)" : fmt(min))
              + ", "
              + fmt(max)
              + "], was "
              + e);
    }
    return v;
  }

  private static String fmt(double v) {
    return v == Double.MAX_VALUE ? "inf" : v == Math.rint(v) ? String.valueOf((long) v) : "" + v;
  }

  private static long integer(JsonElement e, String key) {
    try {
      if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
        return e.getAsBigDecimal().longValueExact();
      }
    } catch (ArithmeticException | NumberFormatException x) {
      // falls through to the error
    }
    throw ApiException.badRequest(
        key, key + " must be an integer, was " + abbreviate(e.toString()));
  }

  private static boolean bool(JsonElement e, String key) {
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
      return e.getAsBoolean();
    }
    throw ApiException.badRequest(key, key + " must be true or false, was " + abbreviate("" + e));
  }

  private static String string(JsonElement e, String key) {
    if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      return e.getAsString();
    }
    throw ApiException.badRequest(key, key + " must be a string, was " + abbreviate("" + e));
  }

  private static boolean isString(JsonElement array, int i, String value) {
    JsonElement e = array.getAsJsonArray().get(i);
    return e.isJsonPrimitive() && e.getAsString().equals(value);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
