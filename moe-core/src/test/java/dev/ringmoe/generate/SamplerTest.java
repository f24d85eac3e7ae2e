package dev.ringmoe.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    // Probabilities at T=1: ids 1 and 4 hold ~0.32 each, id 2 ~0.19: top-p 0.6 keeps exactly {1,
    // 4}.
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

  // Issue 8 item 4: at temperature 1e-308 logit / T overflowed to Infinity, the weights became NaN
  // and the least
  // likely token came out.
  @Test
  void tinyTemperaturesAreGreedy() {
    float[] unique = {1.0f, 3.0f, 2.5f, -1f, 2.9f, 0.5f};
    float[] large = {1000f, 999.5f, -1000f, 0f};
    for (double t : new double[] {Double.MIN_VALUE, 1e-308, 1e-300, 1e-45, 1e-10}) {
      for (GenerationOptions o :
          new GenerationOptions[] {
            GenerationOptions.builder().temperature(t).seed(7).build(),
            GenerationOptions.builder().temperature(t).topK(3).seed(7).build(),
            GenerationOptions.builder().temperature(t).topP(0.5).seed(7).build(),
            GenerationOptions.builder().temperature(t).topK(4).topP(0.9).seed(7).build()
          }) {
        Sampler s = new Sampler(o);
        for (int i = 0; i < 200; i++) {
          assertEquals(1, s.next(unique), "T=" + t + " " + o);
          assertEquals(0, s.next(large), "T=" + t + " " + o);
        }
      }
    }
  }

  @Test
  void tinyTemperatureSplitsTiesForTheMaximumEvenly() {
    // The limit of softmax(l / T) as T -> 0 is uniform over the maxima: ids 1 and 4 here.
    Sampler s =
        new Sampler(GenerationOptions.builder().temperature(Double.MIN_VALUE).seed(11).build());
    int[] counts = new int[logits.length];
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      counts[s.next(logits)]++;
    }
    assertEquals(n, counts[1] + counts[4]);
    assertChiSquare(counts, new double[] {0, 0.5, 0, 0, 0.5, 0});
  }

  @Test
  void moderateTemperatureFollowsTheSoftmaxOfLogitsOverT() {
    double t = 0.7;
    Sampler s = new Sampler(GenerationOptions.builder().temperature(t).seed(2024).build());
    int[] counts = new int[logits.length];
    for (int i = 0; i < 100_000; i++) {
      counts[s.next(logits)]++;
    }
    assertChiSquare(counts, softmax(logits, t, logits.length, 1.0));
  }

  @Test
  void topKAndTopPRenormaliseTheKeptTokens() {
    double t = 1.3;
    // Sorted by logit: ids 1, 4 (3.0 each), 2 (2.5), 0 (1.0), 5 (0.5), 3 (-1).
    Sampler topK = new Sampler(GenerationOptions.builder().temperature(t).topK(3).seed(5).build());
    int[] counts = new int[logits.length];
    for (int i = 0; i < 60_000; i++) {
      counts[topK.next(logits)]++;
    }
    assertChiSquare(counts, softmax(logits, t, 3, 1.0));
    // At T = 1.3 ids 1 and 4 hold 0.324 each (0.648 < 0.7) and id 2 brings it to 0.868: top-p 0.7
    // keeps those three.
    Sampler topP =
        new Sampler(GenerationOptions.builder().temperature(t).topP(0.7).seed(6).build());
    counts = new int[logits.length];
    for (int i = 0; i < 60_000; i++) {
      counts[topP.next(logits)]++;
    }
    assertChiSquare(counts, softmax(logits, t, logits.length, 0.7));
    assertEquals(0, counts[0] + counts[3] + counts[5]);
  }

  @Test
  void equalLogitsAndHugeTemperaturesAreUniform() {
    float[] flat = {0.25f, 0.25f, 0.25f, 0.25f};
    double[] uniform = {0.25, 0.25, 0.25, 0.25};
    Sampler s = new Sampler(GenerationOptions.builder().temperature(0.5).seed(3).build());
    int[] counts = new int[4];
    for (int i = 0; i < 40_000; i++) {
      counts[s.next(flat)]++;
    }
    assertChiSquare(counts, uniform);
    Sampler hot = new Sampler(GenerationOptions.builder().temperature(1e300).seed(4).build());
    counts = new int[4];
    for (int i = 0; i < 40_000; i++) {
      counts[hot.next(new float[] {10f, -10f, 3f, 0f})]++;
    }
    assertChiSquare(counts, uniform);
  }

  @Test
  void infiniteLogitsHaveADefinedMeaning() {
    float inf = Float.POSITIVE_INFINITY;
    float[] plus = {inf, 0f, inf, -inf, 5f};
    assertEquals(0, new Sampler(GenerationOptions.greedy(1)).next(plus));
    Sampler s = new Sampler(GenerationOptions.builder().temperature(1).seed(8).build());
    int[] counts = new int[plus.length];
    for (int i = 0; i < 20_000; i++) {
      counts[s.next(plus)]++;
    }
    assertChiSquare(counts, new double[] {0.5, 0, 0.5, 0, 0});

    float[] minus = {-inf, 1f, -inf, 2f};
    counts = new int[minus.length];
    for (int i = 0; i < 20_000; i++) {
      counts[s.next(minus)]++;
    }
    assertEquals(0, counts[0] + counts[2], "a -Infinity logit was drawn");
    assertChiSquare(counts, new double[] {0, 1 / (1 + Math.E), 0, Math.E / (1 + Math.E)});

    float[] none = {-inf, -inf, -inf};
    assertEquals(0, new Sampler(GenerationOptions.greedy(1)).next(none));
    counts = new int[none.length];
    for (int i = 0; i < 30_000; i++) {
      counts[s.next(none)]++;
    }
    assertChiSquare(counts, new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});
  }

  @Test
  void nanAndEmptyLogitsAreRefused() {
    float[] nan = {1f, 2f, Float.NaN, 0f};
    for (GenerationOptions o :
        new GenerationOptions[] {
          GenerationOptions.greedy(1), GenerationOptions.builder().temperature(0.8).seed(1).build()
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Sampler(o).next(nan));
      assertTrue(e.getMessage().contains("logit 2 of 4 is NaN"), e.getMessage());
      IllegalArgumentException empty =
          assertThrows(IllegalArgumentException.class, () -> new Sampler(o).next(new float[0]));
      assertTrue(empty.getMessage().contains("no logits"), empty.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Sampler.argmax(new float[] {Float.NaN, 1f}));
  }

  @Test
  void temperatureMustBeFiniteAndNonNegative() {
    for (double t : new double[] {-1e-300, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> GenerationOptions.builder().temperature(t));
      assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    }
  }

  /**
   * softmax(l / T) over the {@code keep} largest logits (stable order), then restricted to the
   * smallest prefix whose probability reaches {@code topP}, renormalised; 0 elsewhere.
   */
  private static double[] softmax(float[] l, double t, int keep, double topP) {
    Integer[] order = new Integer[l.length];
    for (int i = 0; i < l.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(l[b], l[a]));
    double[] w = new double[l.length];
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      w[order[i]] = Math.exp(l[order[i]] / t);
      sum += w[order[i]];
    }
    double cumulative = 0;
    boolean cut = false;
    double kept = 0;
    for (int i = 0; i < keep; i++) {
      if (cut) {
        w[order[i]] = 0;
        continue;
      }
      cumulative += w[order[i]] / sum;
      kept += w[order[i]];
      cut = topP < 1 && cumulative >= topP;
    }
    for (int i = 0; i < l.length; i++) {
      w[i] /= kept;
    }
    return w;
  }

  /**
   * Pearson's chi-square of the counts against {@code p}, below the 0.1% critical value for its
   * degrees of freedom (the draws are seeded, so this is deterministic); a count where {@code p} is
   * 0 fails outright.
   */
  private static void assertChiSquare(int[] counts, double[] p) {
    long n = 0;
    for (int c : counts) {
      n += c;
    }
    double chi = 0;
    int cells = 0;
    for (int i = 0; i < counts.length; i++) {
      if (p[i] == 0) {
        assertEquals(0, counts[i], "token " + i + " has probability 0 but was drawn");
        continue;
      }
      double expected = n * p[i];
      chi += (counts[i] - expected) * (counts[i] - expected) / expected;
      cells++;
    }
    // 0.1% upper critical values of chi-square for 1..6 degrees of freedom.
    double[] critical = {10.83, 13.82, 16.27, 18.47, 20.52, 22.46};
    int df = cells - 1;
    if (df == 0) {
      return;
    }
    assertTrue(
        chi < critical[df - 1],
        "chi-square "
            + chi
            + " with "
            + df
            + " degrees of freedom: counts "
            + java.util.Arrays.toString(counts)
            + " vs p "
            + java.util.Arrays.toString(p));
  }

  private static int[] draw(Sampler s, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = s.next(new float[] {0.1f, 0.2f, 0.3f, 0.15f, 0.25f});
    }
    return out;
  }
}
