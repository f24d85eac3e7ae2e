package dev.ringmoe.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a checkpoint's chat template and special tokens among its tokenizer files, as transformers'
 * {@code PreTrainedTokenizerBase.from_pretrained} does: a {@code chat_template.jinja} file takes
 * priority over the {@code chat_template} entry of {@code tokenizer_config.json} ("If independent
 * chat template file(s) exist, they take priority over template entries in the tokenizer config").
 */
final class CheckpointTemplates {

  static final String CONFIG = "tokenizer_config.json";
  static final String JINJA = "chat_template.jinja";
  static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

  /** The special tokens transformers puts into {@code special_tokens_map}, in its order. */
  private static final List<String> TOKENS =
      List.of(
          "bos_token",
          "eos_token",
          "unk_token",
          "sep_token",
          "pad_token",
          "cls_token",
          "mask_token");

  private CheckpointTemplates() {}

  static Optional<ChatTemplate> load(Path dir) throws IOException {
    Path configFile = dir.resolve(CONFIG);
    JsonObject config = Files.isRegularFile(configFile) ? object(configFile) : null;
    Path jinjaFile = dir.resolve(JINJA);
    String source;
    String origin;
    if (Files.isRegularFile(jinjaFile)) {
      source = read(jinjaFile);
      origin = jinjaFile.toString();
    } else if (config != null
        && config.has("chat_template")
        && !config.get("chat_template").isJsonNull()) {
      source = templateEntry(configFile, config.get("chat_template"));
      origin = "chat_template in " + configFile;
    } else {
      return Optional.empty();
    }
    Map<String, Object> tokens = new LinkedHashMap<>();
    Path mapFile = dir.resolve(SPECIAL_TOKENS_MAP);
    JsonObject map = Files.isRegularFile(mapFile) ? object(mapFile) : null;
    for (String name : TOKENS) {
      String v = config == null ? null : token(configFile, config, name);
      if (v == null && map != null) {
        v = token(mapFile, map, name);
      }
      if (v != null) {
        tokens.put(name, v);
      }
    }
    return Optional.of(ChatTemplate.parse(source, origin, tokens));
  }

  private static String templateEntry(Path file, JsonElement e) {
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      return e.getAsString();
    }
    if (!e.isJsonArray()) {
      throw malformed(
          file, "'chat_template' must be a string or a list of {name, template} objects, got " + e);
    }
    List<String> names = new ArrayList<>();
    for (JsonElement item : e.getAsJsonArray()) {
      if (!item.isJsonObject()
          || !isString(item.getAsJsonObject().get("name"))
          || !isString(item.getAsJsonObject().get("template"))) {
        throw malformed(
            file,
            "each 'chat_template' list entry must be an object with string 'name' and 'template', got "
                + item);
      }
      String name = item.getAsJsonObject().get("name").getAsString();
      if (name.equals("default")) {
        return item.getAsJsonObject().get("template").getAsString();
      }
      names.add(name);
    }
    throw malformed(
        file, "'chat_template' lists the templates " + names + " but none named 'default'");
  }

  private static String token(Path file, JsonObject o, String name) {
    JsonElement e = o.get(name);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (isString(e)) {
      return e.getAsString();
    }
    if (e.isJsonObject() && isString(e.getAsJsonObject().get("content"))) {
      return e.getAsJsonObject().get("content").getAsString();
    }
    throw malformed(
        file,
        "'"
            + name
            + "' must be a string or an AddedToken object with a string 'content', got "
            + e);
  }

  private static boolean isString(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }

  private static JsonObject object(Path file) throws IOException {
    JsonElement e;
    try {
      e = JsonParser.parseString(read(file));
    } catch (JsonParseException ex) {
      throw new ChatTemplateException(
          file.toString(), "not valid JSON: " + ex.getMessage(), false, ex);
    }
    if (!e.isJsonObject()) {
      throw malformed(file, "expected a JSON object at the top level");
    }
    return e.getAsJsonObject();
  }

  private static String read(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new ChatTemplateException(file.toString(), "not valid UTF-8", false, e);
    }
  }

  private static ChatTemplateException malformed(Path file, String what) {
    return new ChatTemplateException(file.toString(), what, false, null);
  }
}
