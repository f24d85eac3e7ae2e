package dev.ringmoe.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
  private final float[] logits = {1.0f, 3.0f, 2.5f, -1f, 3.0f, 0.5f};

  @Test
  void greedyTakesFirstMaximum() {
    assertEquals(1, new Sampler(GenerationOptions.greedy(1)).next(logits));
  }

  @Test
  void topKOneIsGreedy() {
    Sampler s = new Sampler(GenerationOptions.builder().temperature(5).topK(1).seed(3).build());
    for (int i = 0; i < 50; i++) {
      int id = s.next(logits);
      assertTrue(id == 1 || id == 4, "got " + id);
    }
  }

  @Test
  void sameSeedSameTokensOtherSeedOtherTokens() {
    GenerationOptions a = GenerationOptions.builder().temperature(1).seed(42).build();
    GenerationOptions b = GenerationOptions.builder().temperature(1).seed(43).build();
    int[] x = draw(new Sampler(a), 64);
    int[] y = draw(new Sampler(a), 64);
    int[] z = draw(new Sampler(b), 64);
    assertEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(y));
    assertNotEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(z));
  }

  @Test
  void frequenciesFollowTheSoftmax() {
    Sampler s = new Sampler(GenerationOptions.builder().temperature(1).seed(1).build());
    int n = 200_000;
    int[] counts = new int[logits.length];
    for (int i = 0; i < n; i++) {
      counts[s.next(logits)]++;
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l);
    }
    for (int i = 0; i < logits.length; i++) {
      double expected = Math.exp(logits[i]) / sum;
      assertEquals(expected, counts[i] / (double) n, 0.005, "token " + i);
    }
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    // Probabilities at T=1: ids 1 and 4 hold ~0.32 each, id 2 ~0.19: top-p 0.6 keeps exactly {1, 4}.
    Sampler s = new Sampler(GenerationOptions.builder().temperature(1).topP(0.6).seed(9).build());
    boolean saw1 = false;
    boolean saw4 = false;
    for (int i = 0; i < 2000; i++) {
      int id = s.next(logits);
      assertTrue(id == 1 || id == 4, "token " + id + " is outside the nucleus");
      saw1 |= id == 1;
      saw4 |= id == 4;
    }
    assertTrue(saw1 && saw4);
  }

  private static int[] draw(Sampler s, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = s.next(new float[] {0.1f, 0.2f, 0.3f, 0.15f, 0.25f});
    }
    return out;
  }
}
