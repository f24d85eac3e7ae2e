package dev.ringmoe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ringmoe.config.YarnScaling;
import org.junit.jupiter.api.Test;

/**
 * {@link Yarn} against Hugging Face's {@code _compute_yarn_parameters}, transcribed into numpy
 * float32 (the values below) for DeepSeek-V3's and gpt-oss's rope_scaling.
 */
class YarnTest {
  @Test
  void deepseekV3TruncatedRamp() {
    Yarn y =
        Yarn.compute(
            16, 10000.0, 163840, new YarnScaling(40.0, 4096, null, 1.0, 1.0, 32.0, 1.0, null));
    float[] expected = {
      1.0f,
      0.3162277638912201f,
      0.10000000149011612f,
      0.023914724588394165f,
      0.005124999675899744f,
      0.0008498621755279601f,
      2.499999936844688e-05f,
      7.905694474175107e-06f
    };
    assertArrayEquals(expected, y.inverseFrequencies(), 0f);
    // mscale == mscale_all_dim: the two cancel
    assertEquals(1.0, y.attentionFactor(), 0);
  }

  @Test
  void gptOssUntruncatedRamp() {
    Yarn y =
        Yarn.compute(
            64, 150000.0, 131072, new YarnScaling(32.0, 4096, null, null, null, null, null, false));
    float[] inv = y.inverseFrequencies();
    assertEquals(32, inv.length);
    assertEquals(0.6890442967414856f, inv[1], 0f);
    assertEquals(0.011592049151659012f, inv[11], 0f);
    assertEquals(0.00012931869423482567f, inv[17], 0f);
    assertEquals(3.023511396804679e-07f, inv[31], 0f);
    assertEquals(0.1 * Math.log(32) + 1, y.attentionFactor(), 1e-15);
  }

  @Test
  void factorIsTheRatioOfPositionsWhenTheOriginalIsGiven() {
    // max 32768 / original 4096 = 8, whatever `factor` says (Hugging Face's rule)
    Yarn a =
        Yarn.compute(
            16, 1e4, 32768, new YarnScaling(2.0, 4096, null, null, null, null, null, null));
    Yarn b =
        Yarn.compute(
            16, 1e4, 32768, new YarnScaling(8.0, 4096, null, null, null, null, null, null));
    assertArrayEquals(b.inverseFrequencies(), a.inverseFrequencies(), 0f);
    assertEquals(0.1 * Math.log(8) + 1, a.attentionFactor(), 1e-15);
    Yarn explicit =
        Yarn.compute(16, 1e4, 32768, new YarnScaling(8.0, 4096, 0.5, null, null, null, null, null));
    assertEquals(0.5, explicit.attentionFactor(), 0);
  }

  @Test
  void mscale() {
    assertEquals(1.0, Yarn.mscale(1.0, 0.707), 0);
    assertEquals(1.0, Yarn.mscale(0.5, 1), 0);
    assertEquals(0.1 * 0.707 * Math.log(40) + 1, Yarn.mscale(40, 0.707), 1e-15);
  }

  @Test
  void refusesOutOfRangeFields() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Yarn.compute(
                16, 1e4, 4096, new YarnScaling(0.0, null, null, null, null, null, null, null)));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Yarn.compute(
                16, 1e4, 4096, new YarnScaling(4.0, 0, null, null, null, null, null, null)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new YarnScaling(4.0, null, null, null, null, -1.0, null, null));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Yarn.compute(
                15, 1e4, 4096, new YarnScaling(4.0, null, null, null, null, null, null, null)));
  }
}
