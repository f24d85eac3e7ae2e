package dev.ringmoe.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation as a chat template sees it: a role, an optional content and any
 * further fields ({@code tool_calls}, {@code thinking}, {@code name}, ...).
 *
 * <p>Immutable and thread-safe. {@link #fields()} keeps the key order it was given, because
 * templates that print a message with {@code tojson} print the keys in that order. Nested values
 * (lists, maps) are copied into unmodifiable collections at construction.
 */
public final class ChatMessage {

  private final Map<String, Object> fields;

  private ChatMessage(Map<String, Object> fields) {
    this.fields = fields;
  }

  /**
   * @param role the role ({@code system}, {@code user}, {@code assistant}, {@code tool}, ...)
   * @param content the text; may be null (for example an assistant message carrying only tool
   *     calls)
   * @return a message with exactly the fields {@code role} and {@code content}
   */
  public static ChatMessage of(String role, String content) {
    Objects.requireNonNull(role, "role");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return new ChatMessage(Collections.unmodifiableMap(m));
  }

  /**
   * @param content the system prompt
   * @return a {@code system} message
   */
  public static ChatMessage system(String content) {
    return of("system", content);
  }

  /**
   * @param content the user's text
   * @return a {@code user} message
   */
  public static ChatMessage user(String content) {
    return of("user", content);
  }

  /**
   * @param content the assistant's text
   * @return an {@code assistant} message
   */
  public static ChatMessage assistant(String content) {
    return of("assistant", content);
  }

  /**
   * @param fields the message's fields; must hold a string {@code role}. Values may be null,
   *     strings, numbers, booleans, lists and maps (nested freely); key order is kept. Numbers
   *     become Python ints or floats as JSON text would: integral types, and other numbers whose
   *     text is integral (BigDecimal "1", Gson's lazily parsed numbers), are ints; the rest floats
   * @return a message holding a deep, unmodifiable copy of the fields
   * @throws IllegalArgumentException if {@code role} is missing or not a string, or a value has
   *     another type
   */
  public static ChatMessage fromMap(Map<String, ?> fields) {
    Objects.requireNonNull(fields, "fields");
    if (!(fields.get("role") instanceof String)) {
      throw new IllegalArgumentException("a chat message needs a string 'role', got " + fields);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> copy = (Map<String, Object>) Values.deepCopy(fields);
    return new ChatMessage(copy);
  }

  /**
   * @return the role
   */
  public String role() {
    return (String) fields.get("role");
  }

  /**
   * @return the content when it is a string, else null (absent, null, or structured content)
   */
  public String content() {
    Object c = fields.get("content");
    return c instanceof String ? (String) c : null;
  }

  /**
   * @return all fields, unmodifiable, in their original order
   */
  public Map<String, Object> fields() {
    return fields;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChatMessage && ((ChatMessage) o).fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return fields.hashCode();
  }

  @Override
  public String toString() {
    return "ChatMessage" + fields;
  }
}
