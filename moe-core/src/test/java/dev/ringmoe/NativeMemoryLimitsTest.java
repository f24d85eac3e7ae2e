package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 9: a host JVM without the JavaCPP memory flags failed on a large model with
 * JavaCPP's "Physical memory usage is too high" and a stack trace from deep inside the load;
 * build() now checks first.
 */
class NativeMemoryLimitsTest {
  private static final long MIB = 1L << 20;

  @Test
  void weightsThatCannotFitUnderThePhysicalLimitAreRefusedNamingBothFlags() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> NativeMemoryLimits.check(700 * MIB, 300 * MIB, 800 * MIB, "the weights"));
    String m = e.getMessage();
    assertTrue(m.contains("-Dorg.bytedeco.javacpp.maxbytes=0"), m);
    assertTrue(m.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=0"), m);
    assertTrue(m.contains("700.0 MiB (734,003,200 bytes)"), m);
    assertTrue(m.contains("800.0 MiB") && m.contains("300.0 MiB are in use"), m);
    assertTrue(m.startsWith("the weights need"), m);
  }

  @Test
  void weightsThatFitOrNoLimitPass() {
    assertDoesNotThrow(() -> NativeMemoryLimits.check(500 * MIB, 300 * MIB, 800 * MIB, "w"));
    assertDoesNotThrow(
        () -> NativeMemoryLimits.check(Long.MAX_VALUE, 300 * MIB, 0, "w")); // 0: no limit
    assertDoesNotThrow(
        () -> NativeMemoryLimits.check(500 * MIB, 0, 800 * MIB, "w")); // usage unknown
    assertThrows(
        IllegalStateException.class,
        () -> NativeMemoryLimits.check(Long.MAX_VALUE, 1, 800 * MIB, "w"));
  }

  @Test
  void smallSizesPrintExactly() {
    assertEquals("1 B", ByteSizes.format(1));
    assertEquals("1023 B", ByteSizes.format(1023));
    assertEquals("1.0 KiB", ByteSizes.format(1024));
  }

  /**
   * End to end in a JVM with a physical limit below mixtral-tiny's 27.8 MB of bfloat16 weights
   * (held as they are; this test JVM runs without limits, the probe's uses about 48 MiB before
   * loading): the build is refused before any weight is loaded, naming both flags and the bytes.
   */
  @Test
  void aJvmWithASmallPhysicalLimitIsToldWhichFlagsToSet() throws Exception {
    Path model = ReferenceData.mixtralBf16();
    long weights = ModelConfig.load(model).weightBytes(2);
    assertTrue(weights > 25 * MIB, "mixtral-tiny has " + weights + " bfloat16 weight bytes");
    String line = probe(model, "-Dorg.bytedeco.javacpp.maxphysicalbytes=40m");
    assertTrue(line.startsWith("REFUSED java.lang.IllegalStateException: "), line);
    assertTrue(line.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=0"), line);
    assertTrue(line.contains("-Dorg.bytedeco.javacpp.maxbytes=0"), line);
    assertTrue(line.contains(String.format("%,d bytes", weights)), line);
    assertTrue(line.contains(model.toString()), line);
    assertEquals("LOADED", probe(model, "-Dorg.bytedeco.javacpp.maxphysicalbytes=0"));
  }

  private static String probe(Path model, String limit) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                limit,
                "-cp",
                System.getProperty("java.class.path")));
    String extension = System.getProperty("org.bytedeco.javacpp.platform.extension");
    if (extension != null) {
      command.add("-Dorg.bytedeco.javacpp.platform.extension=" + extension);
    }
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=error");
    command.add(NativeMemoryLimitsProbe.class.getName());
    command.add(model.toString());
    Path output = Files.createTempFile("native-limits-probe", ".txt");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("probe JVM did not finish in 120 s: " + Files.readString(output));
      }
      return resultLine(Files.readString(output, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static String resultLine(String text) {
    return text.lines()
        .filter(l -> l.startsWith("LOADED") || l.startsWith("REFUSED"))
        .findFirst()
        .orElse("no result line in: " + text);
  }
}
