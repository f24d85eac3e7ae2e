package dev.ringmoe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;

/**
 * Locates {@code ../shared/reference} (system property {@code ringmoe.reference.dir}, set by
 * Surefire) and reads its raw float32 files. Missing data fails the test rather than skipping it.
 */
public final class ReferenceData {
  private ReferenceData() {}

  public static Path root() {
    String configured = System.getProperty("ringmoe.reference.dir");
    Path dir = configured != null ? Path.of(configured) : Path.of("../../shared/reference");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("../shared/reference");
    }
    if (!Files.isRegularFile(dir.resolve("README.md"))) {
      Assertions.fail(
          "reference data not found at "
              + dir.toAbsolutePath()
              + "; set -Dringmoe.reference.dir to the shared/reference folder");
    }
    return dir.toAbsolutePath().normalize();
  }

  public static Path mixtralTiny() {
    return root().resolve("mixtral-tiny");
  }

  public static Path mixtralF32() {
    return mixtralTiny().resolve("f32");
  }

  public static Path mixtralBf16() {
    return mixtralTiny().resolve("bf16");
  }

  /** A family's reference checkpoint, for example {@code family("qwen2_moe", "f32")}. */
  public static Path family(String family, String variant) {
    return root().resolve(family).resolve(variant);
  }

  public static Path moeText16x() {
    return root().resolve("moe-text-16x");
  }

  /** Reads raw little-endian float32 values. */
  public static float[] readFloats(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(out);
    return out;
  }

  /**
   * The largest absolute difference between {@code actual} rows and the flat row-major {@code
   * expected}.
   */
  public static double maxAbsDiff(float[][] actual, float[] expected) {
    double max = 0;
    int width = actual[0].length;
    if (actual.length * width != expected.length) {
      throw new AssertionError(
          "shape mismatch: " + actual.length + "x" + width + " vs " + expected.length);
    }
    for (int r = 0; r < actual.length; r++) {
      for (int c = 0; c < width; c++) {
        max = Math.max(max, Math.abs(actual[r][c] - expected[r * width + c]));
      }
    }
    return max;
  }

  /** The largest absolute difference between two [rows][columns] arrays of the same shape. */
  public static double maxAbsDiff(float[][] actual, float[][] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("row count mismatch: " + actual.length + " vs " + expected.length);
    }
    double max = 0;
    for (int r = 0; r < actual.length; r++) {
      if (actual[r].length != expected[r].length) {
        throw new AssertionError(
            "row " + r + " length mismatch: " + actual[r].length + " vs " + expected[r].length);
      }
      for (int c = 0; c < actual[r].length; c++) {
        max = Math.max(max, Math.abs(actual[r][c] - expected[r][c]));
      }
    }
    return max;
  }
}
