package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** {@code ringmoe logits}: writes the logits of every position as raw little-endian float32. */
final class LogitsCommand implements Command {
  @Override
  public String name() {
    return "logits";
  }

  @Override
  public String summary() {
    return "write the logits of every position of a token sequence";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe logits --model DIR --ids 1,2,3 --out FILE\n"
        + "                      [--device-memory SIZE|P% [--ring-slots K | --expert-cache] [--prefetch POLICY] [--direct-io]]\n"
        + "                      [--stats-json FILE]\n\n"
        + ModelOptions.USAGE
        + "  --ids LIST            comma-separated token ids, used as they are (no BOS is added)\n"
        + "  --out FILE            output: raw little-endian float32, row-major [positions, vocab], no header\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return ModelOptions.valuedWith("ids", "out");
  }

  @Override
  public Set<String> flags() {
    return ModelOptions.FLAGS;
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int[] ids = parseIds(args.required("ids"));
    Path file = args.path("out");
    try (MoeModel model = ModelOptions.builder(args, "ringmoe logits", () -> ids).build()) {
      if (ids.length > model.config().maxPositions()) {
        throw new UsageException(
            "ringmoe logits: --ids has "
                + ids.length
                + " ids, more than the model's "
                + model.config().maxPositions()
                + " positions (max_position_embeddings)");
      }
      for (int id : ids) {
        if (id >= model.config().vocabSize()) {
          throw new UsageException(
              "ringmoe logits: token id "
                  + id
                  + " is outside the vocabulary of "
                  + model.config().vocabSize());
        }
      }
      float[][] logits = model.logits(ids);
      ByteBuffer row = ByteBuffer.allocate(logits[0].length * 4).order(ByteOrder.LITTLE_ENDIAN);
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file))) {
        for (float[] r : logits) {
          row.clear();
          row.asFloatBuffer().put(r);
          os.write(row.array());
        }
      }
      err.printf("wrote %d x %d float32 logits to %s%n", logits.length, logits[0].length, file);
      ModelOptions.report(args, model, err);
    }
    return 0;
  }

  static int[] parseIds(String text) {
    try {
      int[] ids =
          Arrays.stream(text.split(","))
              .map(String::trim)
              .filter(s -> !s.isEmpty())
              .mapToInt(Integer::parseInt)
              .toArray();
      if (ids.length == 0) {
        throw new UsageException("ringmoe logits: --ids is empty");
      }
      for (int id : ids) {
        if (id < 0) {
          throw new UsageException("ringmoe logits: token id " + id + " is negative");
        }
      }
      return ids;
    } catch (NumberFormatException e) {
      throw new UsageException(
          "ringmoe logits: --ids must be comma-separated integers, was '" + text + "'");
    }
  }
}
