package dev.ringmoe.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ringmoe.ReferenceData;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The manifest names exactly the reference checkpoint's tensors, with their shapes, and sizes the
 * model.
 */
class WeightManifestTest {
  @Test
  void listsExactlyTheCheckpointsTensors() throws IOException {
    for (String variant : new String[] {"f32", "bf16"}) {
      Path dir = ReferenceData.mixtralTiny().resolve(variant);
      ModelConfig config = ModelConfig.load(dir);
      WeightManifest manifest = WeightManifest.of(config);
      Set<String> names = new HashSet<>();
      try (Checkpoint ckpt = Checkpoint.open(dir)) {
        for (Section s : manifest.sections()) {
          for (TensorEntry t : s.tensors()) {
            names.add(t.name());
            assertEquals(
                java.util.Arrays.toString(t.shape()),
                java.util.Arrays.toString(ckpt.tensor(t.name()).shape()),
                t.toString());
          }
        }
        assertEquals(ckpt.tensorNames(), names, variant);
      }
      assertEquals(13_900_000, manifest.parameters(), 100_000, "the README's 13.9 M parameters");
      assertEquals(config.globalParameters(), manifest.globals().parameters());
      assertEquals(config.denseLayerParameters(), manifest.dense(0).parameters());
      assertEquals(config.expertParameters(), manifest.expert(0, 0).parameters());
    }
  }

  @Test
  void layoutIsConsecutiveNativeTensorsInEntryOrder() throws IOException {
    ModelConfig config = ModelConfig.load(ReferenceData.mixtralTiny().resolve("f32"));
    Section expert = WeightManifest.of(config).expert(1, 3);
    long block = (long) config.intermediateSize() * config.hiddenSize();
    assertEquals(0, expert.offset(Role.EXPERT_GATE));
    assertEquals(block, expert.offset(Role.EXPERT_UP));
    assertEquals(2 * block, expert.offset(Role.EXPERT_DOWN));
    assertEquals(3 * block, expert.nativeFloats());
    Section dense = WeightManifest.of(config).dense(2);
    assertEquals(
        dense.parameters() - 2L * config.hiddenSize(),
        dense.nativeFloats(),
        "the norms live on the heap");
    assertThrows(IllegalArgumentException.class, () -> dense.offset(Role.INPUT_NORM));
    assertThrows(
        IllegalArgumentException.class,
        () -> WeightManifest.of(config).expert(0, config.experts()));
  }
}
