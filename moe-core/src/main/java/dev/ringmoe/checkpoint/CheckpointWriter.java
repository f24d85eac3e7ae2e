package dev.ringmoe.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Writes a Hugging Face checkpoint's weights (F32, F16 or BF16) into a directory, sharded the way
 * {@code save_pretrained} shards: tensors go into shards in the given order, and a new shard starts
 * when the next tensor would push the current one past {@code maxShardBytes} (a tensor larger than
 * that gets a shard of its own). One shard is written as {@code model.safetensors}; several as
 * {@code model-00001-of-0000N.safetensors} plus {@code model.safetensors.index.json}, which is
 * written last so that an interrupted write leaves no index. Each shard's metadata is {@code
 * {"format": "pt"}}.
 *
 * <p>Values are pulled from a {@link TensorSource} in chunks of at most 1 M elements, so memory use
 * does not grow with the checkpoint. Stateless and thread-safe; each call writes its own directory.
 */
public final class CheckpointWriter {
  static final int CHUNK_ELEMENTS = 1 << 20;

  private CheckpointWriter() {}

  /**
   * Writes the checkpoint and returns the weight files written, in order.
   *
   * @param directory created if absent; an existing {@code model.safetensors} or index that the new
   *     layout does not use is deleted so that {@link Checkpoint#open} cannot pick up stale weights
   * @param tensors the tensors in file order; names must be unique
   * @param maxShardBytes the largest shard, counting tensor data bytes only (as Hugging Face does)
   * @param source supplies the values
   * @param progress receives the total tensor-data bytes written so far after each chunk; may be
   *     {@code null}
   */
  public static List<Path> write(
      Path directory,
      List<TensorSpec> tensors,
      long maxShardBytes,
      TensorSource source,
      LongConsumer progress)
      throws IOException {
    Objects.requireNonNull(source, "source");
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
    }
    List<List<TensorSpec>> shards = plan(List.copyOf(tensors), maxShardBytes);
    // Validate names and dtypes before any file is touched.
    SafetensorsWriter.header(List.copyOf(tensors), Map.of());
    Files.createDirectories(directory);
    int n = shards.size();
    List<Path> files = new ArrayList<>();
    Map<String, String> weightMap = new TreeMap<>();
    long total = 0;
    float[] chunk = new float[(int) Math.min(CHUNK_ELEMENTS, Math.max(1, maxElements(tensors)))];
    long written = 0;
    for (int i = 0; i < n; i++) {
      String name =
          n == 1
              ? Checkpoint.SINGLE_FILE
              : String.format("model-%05d-of-%05d.safetensors", i + 1, n);
      Path file = directory.resolve(name);
      try (SafetensorsWriter w =
          SafetensorsWriter.create(file, Map.of("format", "pt"), shards.get(i))) {
        for (TensorSpec s : shards.get(i)) {
          long count = s.elementCount();
          for (long first = 0; first < count; first += chunk.length) {
            int m = (int) Math.min(chunk.length, count - first);
            source.fill(s, first, chunk, m);
            w.write(chunk, 0, m);
            written += (long) m * s.dtype().byteSize();
            if (progress != null) {
              progress.accept(written);
            }
          }
          weightMap.put(s.name(), name);
          total += s.byteSize();
        }
      }
      files.add(file);
    }
    Path index = directory.resolve(Checkpoint.INDEX_FILE);
    if (n == 1) {
      Files.deleteIfExists(index);
    } else {
      Files.deleteIfExists(directory.resolve(Checkpoint.SINGLE_FILE));
      JsonObject root = new JsonObject();
      JsonObject md = new JsonObject();
      md.addProperty("total_size", total);
      root.add("metadata", md);
      JsonObject wm = new JsonObject();
      weightMap.forEach(wm::addProperty);
      root.add("weight_map", wm);
      String json =
          new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
      Files.writeString(index, json + "\n", StandardCharsets.UTF_8);
    }
    return List.copyOf(files);
  }

  /** As {@link #write(Path, List, long, TensorSource, LongConsumer)} without progress reports. */
  public static List<Path> write(
      Path directory, List<TensorSpec> tensors, long maxShardBytes, TensorSource source)
      throws IOException {
    return write(directory, tensors, maxShardBytes, source, null);
  }

  static List<List<TensorSpec>> plan(List<TensorSpec> tensors, long maxShardBytes) {
    List<List<TensorSpec>> shards = new ArrayList<>();
    List<TensorSpec> cur = new ArrayList<>();
    long curBytes = 0;
    for (TensorSpec s : tensors) {
      if (!cur.isEmpty() && curBytes + s.byteSize() > maxShardBytes) {
        shards.add(cur);
        cur = new ArrayList<>();
        curBytes = 0;
      }
      cur.add(s);
      curBytes += s.byteSize();
    }
    // An empty checkpoint still gets one (empty) model.safetensors so that it can be opened.
    shards.add(cur);
    return shards;
  }

  private static long maxElements(List<TensorSpec> tensors) {
    long max = 0;
    for (TensorSpec s : tensors) {
      max = Math.max(max, s.elementCount());
    }
    return max;
  }
}
