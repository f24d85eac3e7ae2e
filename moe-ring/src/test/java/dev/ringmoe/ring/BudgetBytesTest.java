package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 9: a 1-byte budget was printed as "0.0 KiB"; sizes below 1 KiB now print exactly.
 */
class BudgetBytesTest {
  @TempDir Path dir;

  @Test
  void sizesBelowOneKibPrintExactly() {
    assertEquals("0 B", ByteSizes.format(0));
    assertEquals("1 B", ByteSizes.format(1));
    assertEquals("1023 B", ByteSizes.format(1023));
    assertEquals("1.0 KiB", ByteSizes.format(1024));
    assertEquals("1.5 MiB", ByteSizes.format(3L << 19));
    assertEquals("2.00 GiB", ByteSizes.format(2L << 30));
  }

  @Test
  void aOneByteBudgetIsNamedAsOneByte() throws IOException {
    ModelConfig config =
        ModelConfig.builder(Architecture.MIXTRAL)
            .layers(2)
            .hiddenSize(32)
            .heads(4)
            .kvHeads(2)
            .experts(4)
            .topK(2)
            .intermediateSize(48)
            .vocabSize(300)
            .build();
    SyntheticCheckpoint.of(config).dtype(DType.BF16).seed(1).write(dir);
    for (boolean expertCache : new boolean[] {false, true}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  MoeModel.builder()
                      .checkpoint(dir)
                      .deviceMemory(1)
                      .expertCache(expertCache)
                      .build());
      assertTrue(e.getMessage().contains("1 B"), e.getMessage());
      assertTrue(!e.getMessage().contains("0.0 KiB"), e.getMessage());
    }
  }
}
