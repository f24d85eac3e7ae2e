package dev.ringmoe.checkpoint;

import com.google.gson.JsonParseException;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face checkpoint directory: either one {@code model.safetensors}, or
 * shards listed by {@code model.safetensors.index.json} (whose {@code weight_map} is then
 * authoritative: tensors a shard holds but the index does not name are not part of the checkpoint).
 *
 * <p>{@link #open} validates every shard's header (see {@link SafetensorsFile}) and the index:
 * UTF-8, strict JSON (control characters in strings, comments, single quotes and a byte order mark
 * are refused), at most 100,000,000 bytes, one {@code weight_map} object naming each tensor once,
 * with a plain file name in this directory as its shard (no path separators, {@code .}, {@code ..},
 * control characters or names the platform cannot represent), and each named tensor present in its
 * shard. Every refusal is a {@link CheckpointFormatException} naming the index or shard.
 *
 * <p>Sizes are in bytes. Thread-safe for concurrent reads. The checkpoint owns its shards: {@link
 * #close()} (idempotent) closes them all and invalidates every buffer {@link #map} returned.
 */
public final class Checkpoint implements AutoCloseable {
  static final String INDEX_FILE = "model.safetensors.index.json";
  static final String SINGLE_FILE = "model.safetensors";

  private final Path directory;
  private final Map<String, TensorInfo> tensors; // sorted by name
  private final Map<Path, SafetensorsFile> files;

  private Checkpoint(
      Path directory, Map<String, TensorInfo> tensors, Map<Path, SafetensorsFile> files) {
    this.directory = directory;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.files = files;
  }

  /**
   * Opens the checkpoint in {@code dir}, preferring {@code model.safetensors.index.json} over
   * {@code model.safetensors} when both exist, as Hugging Face does.
   *
   * @throws CheckpointFormatException if there is neither file, the index is malformed or names a
   *     missing shard or a tensor its shard lacks, or a shard is not valid safetensors
   */
  public static Checkpoint open(Path dir) throws IOException {
    Path index = dir.resolve(INDEX_FILE);
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(dir, index);
    }
    if (Files.isRegularFile(single)) {
      SafetensorsFile f = SafetensorsFile.open(single);
      Map<String, TensorInfo> tensors = new TreeMap<>();
      for (TensorInfo t : f.tensors()) {
        tensors.put(t.name(), t);
      }
      return new Checkpoint(dir, tensors, Map.of(f.path(), f));
    }
    throw CheckpointFormatException.withMessage(
        dir, null, "no " + SINGLE_FILE + " or " + INDEX_FILE + " in " + dir);
  }

  private static Checkpoint openSharded(Path dir, Path index) throws IOException {
    Map<String, String> weightMap = readWeightMap(dir, index);
    Map<String, SafetensorsFile> shards = new TreeMap<>();
    Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
    try {
      for (String shard : new TreeSet<>(weightMap.values())) {
        Path p = dir.resolve(shard);
        if (!Files.isRegularFile(p)) {
          throw new CheckpointFormatException(
              index, null, "missing shard " + shard + " named by " + INDEX_FILE);
        }
        SafetensorsFile f = SafetensorsFile.open(p);
        shards.put(shard, f);
        files.put(f.path(), f);
      }
      Map<String, TensorInfo> tensors = new TreeMap<>();
      for (Map.Entry<String, String> e : weightMap.entrySet()) {
        SafetensorsFile f = shards.get(e.getValue());
        Optional<TensorInfo> t = f.find(e.getKey());
        if (t.isEmpty()) {
          throw new CheckpointFormatException(
              f.path(),
              e.getKey(),
              "named by " + INDEX_FILE + " but absent from the shard " + e.getValue());
        }
        tensors.put(e.getKey(), t.get());
      }
      return new Checkpoint(dir, tensors, Collections.unmodifiableMap(files));
    } catch (IOException | RuntimeException e) {
      for (SafetensorsFile f : files.values()) {
        try {
          f.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * Reads the index's {@code weight_map} (tensor name to shard file name). The index is UTF-8,
   * strict JSON (see {@link StrictJson}), at most {@link SafetensorsFile#MAX_HEADER_BYTES} bytes,
   * an object with one {@code weight_map} object whose values are strings; other members (such as
   * {@code metadata}) are ignored. A tensor named twice is refused: Python's {@code json} would
   * keep the last, but which shard holds it is then ambiguous.
   */
  private static Map<String, String> readWeightMap(Path dir, Path index) throws IOException {
    long size = Files.size(index);
    if (size > SafetensorsFile.MAX_HEADER_BYTES) {
      throw new CheckpointFormatException(
          index,
          null,
          "is "
              + size
              + " bytes, over the limit of "
              + SafetensorsFile.MAX_HEADER_BYTES
              + " bytes");
    }
    StrictJson json = new StrictJson(index, "index");
    String text = json.decodeUtf8(ByteBuffer.wrap(Files.readAllBytes(index)));
    json.checkSyntax(text);
    Map<String, String> out = new LinkedHashMap<>();
    boolean sawWeightMap = false;
    try {
      JsonReader reader = json.reader(text);
      if (reader.peek() != JsonToken.BEGIN_OBJECT) {
        throw new CheckpointFormatException(index, null, "has no 'weight_map' object");
      }
      reader.beginObject();
      while (reader.hasNext()) {
        String member = json.name(reader);
        if (!member.equals("weight_map")) {
          json.skip(reader, false);
          continue;
        }
        if (sawWeightMap) {
          throw new CheckpointFormatException(index, null, "has 'weight_map' twice");
        }
        sawWeightMap = true;
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
          throw new CheckpointFormatException(index, null, "has no 'weight_map' object");
        }
        reader.beginObject();
        while (reader.hasNext()) {
          String tensor = json.name(reader);
          if (out.containsKey(tensor)) {
            throw new CheckpointFormatException(index, tensor, "appears twice in weight_map");
          }
          if (reader.peek() != JsonToken.STRING) {
            throw new CheckpointFormatException(
                index, tensor, "weight_map value is not a file name");
          }
          String shard = json.string(reader);
          checkShardName(dir, index, tensor, shard);
          out.put(tensor, shard);
        }
        reader.endObject();
      }
      reader.endObject();
    } catch (JsonParseException | IllegalStateException | IOException e) {
      throw json.syntaxError(e);
    }
    if (!sawWeightMap) {
      throw new CheckpointFormatException(index, null, "has no 'weight_map' object");
    }
    if (out.isEmpty()) {
      throw new CheckpointFormatException(index, null, "weight_map is empty");
    }
    return out;
  }

  /**
   * Shards are plain file names in the checkpoint directory; anything else could read files outside
   * it. Control characters (NUL among them) and names the platform cannot represent as a path are
   * refused here rather than as an unchecked {@link InvalidPathException} later.
   */
  private static void checkShardName(Path dir, Path index, String tensor, String shard)
      throws CheckpointFormatException {
    String problem = null;
    if (shard.isEmpty() || shard.equals(".") || shard.equals("..")) {
      problem = "not a file name";
    } else if (shard.contains("/") || shard.contains("\\")) {
      problem = "a path, not a file name in the checkpoint directory";
    } else {
      for (int i = 0; i < shard.length(); i++) {
        char c = shard.charAt(i);
        if (c < 0x20 || c == 0x7F) {
          problem = String.format("contains the control character U+%04X", (int) c);
          break;
        }
      }
    }
    if (problem == null) {
      try {
        Path p = dir.resolve(shard);
        // Catches what the checks above cannot know per platform, such as "C:x" on Windows
        // (drive-relative).
        Path parent = p.getParent();
        boolean inDir = parent == null ? dir.toString().isEmpty() : parent.equals(dir);
        if (!inDir || !shard.equals(String.valueOf(p.getFileName()))) {
          problem = "does not name a file in the checkpoint directory";
        }
      } catch (InvalidPathException e) {
        problem = "not a valid file name here (" + e.getReason() + ")";
      }
    }
    if (problem != null) {
      throw new CheckpointFormatException(
          index, tensor, "invalid shard name '" + printable(shard) + "': " + problem);
    }
  }

  /**
   * The name with control characters written as backslash-u escapes, so that a message stays one
   * clean line.
   */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        sb.append(String.format("\\u%04X", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** The checkpoint directory, as given to {@link #open}. */
  public Path directory() {
    return directory;
  }

  /** Names of all tensors, sorted; unmodifiable. */
  public Set<String> tensorNames() {
    return tensors.keySet();
  }

  /** The tensor with this name, if the checkpoint has one. */
  public Optional<TensorInfo> find(String name) {
    return Optional.ofNullable(tensors.get(name));
  }

  /**
   * The tensor with this name.
   *
   * @throws CheckpointFormatException {@code "checkpoint DIR has no tensor 'X'"} if there is none
   */
  public TensorInfo tensor(String name) throws CheckpointFormatException {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw CheckpointFormatException.withMessage(
          directory, name, "checkpoint " + directory + " has no tensor '" + name + "'");
    }
    return t;
  }

  /**
   * The open shard holding {@code t}.
   *
   * @throws IllegalArgumentException if {@code t} does not come from this checkpoint
   */
  public SafetensorsFile fileOf(TensorInfo t) {
    SafetensorsFile f = files.get(t.file());
    if (f == null) {
      throw new IllegalArgumentException("tensor " + t + " is not from checkpoint " + directory);
    }
    return f;
  }

  /**
   * {@link SafetensorsFile#map} on the tensor's shard; the buffer is invalid after {@link
   * #close()}.
   */
  public ByteBuffer map(TensorInfo t) throws IOException {
    return fileOf(t).map(t);
  }

  /** {@link SafetensorsFile#readFloat32} on the tensor's shard. */
  public void readFloat32(TensorInfo t, FloatBuffer dst) throws IOException {
    fileOf(t).readFloat32(t, dst);
  }

  /**
   * A {@link TensorReader} of this checkpoint's raw tensor bytes ({@link TensorReader#open}): by
   * memory mappings, or by direct I/O through a host staging area of {@code stagingBytes}. Close
   * the reader before the checkpoint.
   */
  public TensorReader reader(Storage storage, long stagingBytes) throws IOException {
    return TensorReader.open(this, storage, stagingBytes);
  }

  /**
   * Sum of all tensors' data sizes in bytes (headers excluded), as {@code total_size} in an index
   * counts it.
   */
  public long totalBytes() {
    long sum = 0;
    for (TensorInfo t : tensors.values()) {
      sum += t.byteSize();
    }
    return sum;
  }

  /** Closes every shard; idempotent. */
  @Override
  public void close() throws IOException {
    IOException first = null;
    for (SafetensorsFile f : files.values()) {
      try {
        f.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "Checkpoint["
        + directory
        + ", "
        + tensors.size()
        + " tensors in "
        + files.size()
        + " file(s)]";
  }
}
