package dev.ringmoe.checkpoint;

import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Strict JSON reading for the checkpoint's own files (safetensors headers, {@code
 * model.safetensors.index.json}), with every failure a {@link CheckpointFormatException} naming the
 * file.
 *
 * <p>STRICT (RFC 8259) rather than Gson's default: raw control characters (U+0000..U+001F) in
 * strings, single quotes, NaN and Infinity, comments, unquoted names and data after the top-level
 * value are refused, as serde_json (the safetensors reference's parser) refuses them; so are
 * unpaired surrogate escapes, which serde_json refuses, and a leading byte order mark, which
 * serde_json and Python's {@code json} refuse and Gson alone would skip. Whitespace around the
 * value is allowed. Gson's nesting limit (255) bounds the recursion.
 *
 * <p>Stateless apart from the file it reports; one instance per file read.
 */
final class StrictJson {
  private final Path file;
  private final String subject;

  /**
   * @param file the file being read, named by every error
   * @param subject what the text is, for messages: "header" gives {@code "header is not valid JSON:
   *     ..."}
   */
  StrictJson(Path file, String subject) {
    this.file = file;
    this.subject = subject;
  }

  /**
   * Decodes UTF-8, refusing malformed input with the byte offset of the first bad sequence (Java's
   * decoder also refuses encoded surrogates and overlong forms, as Rust's {@code str::from_utf8}
   * does).
   */
  String decodeUtf8(ByteBuffer bytes) throws CheckpointFormatException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    int start = bytes.position();
    CharBuffer out = CharBuffer.allocate(bytes.remaining());
    CoderResult r = decoder.decode(bytes, out, true);
    if (r.isUnderflow()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      throw new CheckpointFormatException(
          file,
          null,
          subject
              + " is not valid UTF-8: malformed byte sequence"
              + " at byte "
              + (bytes.position() - start)
              + " of the "
              + subject);
    }
    return out.flip().toString();
  }

  JsonReader reader(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    return reader;
  }

  /**
   * Reads the whole text as one JSON value, refusing any syntax error; duplicates are left to the
   * caller.
   */
  void checkSyntax(String text) throws CheckpointFormatException {
    // Gson's reader would skip it; serde_json and Python's json (reading a str) refuse it.
    if (text.startsWith("\ufeff")) {
      throw new CheckpointFormatException(
          file, null, subject + " is not valid JSON: it starts with a byte order mark (U+FEFF)");
    }
    try {
      JsonReader reader = reader(text);
      skip(reader, false);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new CheckpointFormatException(file, null, subject + " has data after the JSON value");
      }
    } catch (CheckpointFormatException e) {
      throw e;
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw syntaxError(e);
    }
  }

  /**
   * The exception for a Gson syntax error (a MalformedJsonException, EOFException or
   * JsonParseException).
   */
  CheckpointFormatException syntaxError(Exception e) {
    if (e instanceof CheckpointFormatException) {
      return (CheckpointFormatException) e;
    }
    // Gson's messages continue with troubleshooting links on later lines; the first names the
    // position.
    String detail = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return new CheckpointFormatException(file, null, subject + " is not valid JSON: " + detail, e);
  }

  /**
   * An object member name; duplicates are the caller's to detect, since only it knows the object.
   */
  String name(JsonReader reader) throws IOException {
    return checkSurrogates(reader.nextName());
  }

  String string(JsonReader reader) throws IOException {
    return checkSurrogates(reader.nextString());
  }

  private String checkSurrogates(String s) throws CheckpointFormatException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        // Only a backslash-u escape can produce one: the UTF-8 decoding refuses encoded surrogates.
        throw new CheckpointFormatException(
            file,
            null,
            String.format(
                "%s is not valid JSON: a string contains an unpaired surrogate \\u%04X",
                subject, (int) c));
      }
    }
    return s;
  }

  /**
   * Reads and discards one value, checking what {@link JsonReader#skipValue} would not: the
   * strings' contents and, if asked, duplicate names in its objects.
   */
  void skip(JsonReader reader, boolean checkDuplicates) throws IOException {
    switch (reader.peek()) {
      case BEGIN_OBJECT:
        {
          Set<String> names = new HashSet<>();
          reader.beginObject();
          while (reader.hasNext()) {
            String key = name(reader);
            if (checkDuplicates && !names.add(key)) {
              throw new CheckpointFormatException(
                  file,
                  null,
                  subject
                      + " has the name '"
                      + key
                      + "' twice in one object, at "
                      + reader.getPath());
            }
            skip(reader, checkDuplicates);
          }
          reader.endObject();
          break;
        }
      case BEGIN_ARRAY:
        reader.beginArray();
        while (reader.hasNext()) {
          skip(reader, checkDuplicates);
        }
        reader.endArray();
        break;
      case STRING:
        string(reader);
        break;
      case NUMBER:
        reader.nextString();
        break;
      case BOOLEAN:
        reader.nextBoolean();
        break;
      case NULL:
        reader.nextNull();
        break;
      default:
        throw new CheckpointFormatException(
            file,
            null,
            subject
                + " is not valid JSON: unexpected "
                + reader.peek()
                + " at "
                + reader.getPath());
    }
  }
}
