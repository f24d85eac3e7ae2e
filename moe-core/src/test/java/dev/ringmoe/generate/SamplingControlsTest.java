package dev.ringmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The penalties, min-p, the stop matcher and the options' validation on hand-made inputs, each
 * checked against its formula.
 */
class SamplingControlsTest {

  private static Sampler recording(GenerationOptions options, List<float[]> used) {
    Sampler s = new Sampler(options);
    s.usedLogits = used::add;
    return s;
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfContextAndPickedIds() {
    float[] logits = {2.0f, -1.0f, 0.5f, 3.0f, -0.25f, 0f};
    List<float[]> used = new ArrayList<>();
    Sampler s = recording(GenerationOptions.builder().repetitionPenalty(2).build(), used);
    s.context(new int[] {0, 1, 1, 5}); // repeated ids count once
    assertEquals(3, s.next(logits)); // id 3 is not penalised: 3.0 beats 2.0 / 2
    assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 3.0f, -0.25f, 0f}, used.get(0));
    // Now id 3 was picked too: 3.0 / 2 = 1.5, below id 2's 0.5? no: 1.5 > 1.0 > 0.5, so 3 again.
    assertEquals(3, s.next(logits));
    assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 1.5f, -0.25f, 0f}, used.get(1));
    // The input logits are never modified.
    assertArrayEquals(new float[] {2.0f, -1.0f, 0.5f, 3.0f, -0.25f, 0f}, logits);
  }

  @Test
  void repetitionPenaltyBelowOneEncouragesRepeats() {
    float[] logits = {1.0f, 1.2f, -3f};
    List<float[]> used = new ArrayList<>();
    Sampler s = recording(GenerationOptions.builder().repetitionPenalty(0.5).build(), used);
    s.context(new int[] {0, 2});
    assertEquals(0, s.next(logits)); // 1.0 / 0.5 = 2.0 beats 1.2
    assertArrayEquals(new float[] {2.0f, 1.2f, -1.5f}, used.get(0));
  }

  @Test
  void presenceAndFrequencyPenaltiesCountOnlyGeneratedTokens() {
    float[] logits = {5f, 4.5f, 4f, 1f};
    List<float[]> used = new ArrayList<>();
    double presence = 0.25;
    double frequency = 0.5;
    Sampler s =
        recording(
            GenerationOptions.builder()
                .presencePenalty(presence)
                .frequencyPenalty(frequency)
                .build(),
            used);
    s.context(new int[] {0, 1, 2, 3}); // the prompt does not count for these penalties
    int[] picked = new int[6];
    int[] counts = new int[logits.length];
    for (int step = 0; step < picked.length; step++) {
      picked[step] = s.next(logits);
      float[] expected = logits.clone();
      for (int id = 0; id < logits.length; id++) {
        if (counts[id] > 0) {
          expected[id] = (float) (logits[id] - (frequency * counts[id] + presence));
        }
      }
      assertArrayEquals(expected, used.get(step), "step " + step);
      assertEquals(Sampler.argmax(expected), picked[step], "greedy sees the penalties");
      counts[picked[step]]++;
    }
    // 5 -> 4.25 after one pick, so 4.5 wins; 4.25 beats 3.75 and 4; 5 - 2 * 0.5 - 0.25 = 3.75
    // ties 3.75 and loses to 4; then the tie of 3.75 goes to the lower id; 3.25 < 3.75.
    assertArrayEquals(new int[] {0, 1, 0, 2, 0, 1}, picked);
  }

  @Test
  void negativePresencePenaltyRewardsRepeats() {
    float[] logits = {1f, 1.5f};
    Sampler s = new Sampler(GenerationOptions.builder().presencePenalty(-1).build());
    s.context(new int[] {0});
    assertEquals(1, s.next(logits));
    assertEquals(1, s.next(logits));
  }

  @Test
  void repetitionThenPresenceAndFrequencyOnTheSameLogit() {
    float[] logits = {3f, 2f};
    List<float[]> used = new ArrayList<>();
    Sampler s =
        recording(
            GenerationOptions.builder()
                .repetitionPenalty(1.5)
                .presencePenalty(0.5)
                .frequencyPenalty(1)
                .build(),
            used);
    s.next(logits); // picks 0
    s.next(logits);
    // id 0: 3 / 1.5 = 2, then 2 - (1 * 1 + 0.5) = 0.5; id 1 untouched
    assertArrayEquals(new float[] {0.5f, 2f}, used.get(1));
  }

  @Test
  void penaltiesKeepInfiniteLogitsAndTheNanRule() {
    float inf = Float.POSITIVE_INFINITY;
    List<float[]> used = new ArrayList<>();
    Sampler s =
        recording(
            GenerationOptions.builder().repetitionPenalty(3).frequencyPenalty(2).build(), used);
    s.context(new int[] {0, 1});
    assertEquals(0, s.next(new float[] {inf, -inf, 1f}));
    assertArrayEquals(new float[] {inf, -inf, 1f}, used.get(0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> s.next(new float[] {0f, Float.NaN, 1f}));
    assertTrue(e.getMessage().contains("logit 1 of 3 is NaN"), e.getMessage());
  }

  @Test
  void minPDropsTokensBelowTheFractionOfTheTopProbability() {
    // Probabilities at T = 1: 0.5, 0.3, 0.15, 0.05. min-p 0.35 keeps p >= 0.175: ids 0 and 1.
    float[] logits = {
      (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)
    };
    Sampler s = new Sampler(GenerationOptions.builder().temperature(1).minP(0.35).seed(5).build());
    int n = 40_000;
    int[] counts = new int[4];
    for (int i = 0; i < n; i++) {
      counts[s.next(logits)]++;
    }
    assertEquals(0, counts[2] + counts[3], "a token below min-p was drawn");
    assertEquals(0.625, counts[0] / (double) n, 0.01);
    // After temperature: at T = 0.5 the probabilities are 0.5^2 : 0.3^2 : ... = 25 : 9 : 2.25 :
    // 0.25, so min-p 0.35 (ratio >= 0.35) keeps only id 0 (9 / 25 = 0.36 keeps id 1 too): use 0.37.
    Sampler cold =
        new Sampler(GenerationOptions.builder().temperature(0.5).minP(0.37).seed(6).build());
    for (int i = 0; i < 2000; i++) {
      assertEquals(0, cold.next(logits));
    }
    Sampler cool =
        new Sampler(GenerationOptions.builder().temperature(0.5).minP(0.35).seed(6).build());
    boolean sawOne = false;
    for (int i = 0; i < 2000; i++) {
      int id = cool.next(logits);
      assertTrue(id <= 1, "got " + id);
      sawOne |= id == 1;
    }
    assertTrue(sawOne, "id 1 (ratio 0.36) is kept at min-p 0.35");
  }

  @Test
  void minPAndTopPCutTheSameRankedListAndIntersect() {
    // Probabilities 0.4, 0.3, 0.2, 0.1. top-p 0.8 keeps {0, 1, 2}; min-p 0.6 keeps ratio >= 0.6:
    // {0, 1}; together {0, 1}.
    float[] logits = {
      (float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.1)
    };
    Sampler s =
        new Sampler(GenerationOptions.builder().temperature(1).topP(0.8).minP(0.6).seed(2).build());
    int[] counts = new int[4];
    for (int i = 0; i < 20_000; i++) {
      counts[s.next(logits)]++;
    }
    assertEquals(0, counts[2] + counts[3]);
    assertEquals(4 / 7.0, counts[0] / 20_000.0, 0.015);
  }

  @Test
  void minPOneKeepsOnlyTheMaximaAndZeroKeepsAll() {
    float[] logits = {1f, 3f, 3f, 2.9f};
    Sampler one = new Sampler(GenerationOptions.builder().temperature(1).minP(1).seed(1).build());
    boolean[] seen = new boolean[4];
    for (int i = 0; i < 1000; i++) {
      seen[one.next(logits)] = true;
    }
    assertArrayEquals(new boolean[] {false, true, true, false}, seen);
    Sampler zero = new Sampler(GenerationOptions.builder().temperature(1).minP(0).seed(1).build());
    seen = new boolean[4];
    for (int i = 0; i < 5000; i++) {
      seen[zero.next(logits)] = true;
    }
    assertArrayEquals(new boolean[] {true, true, true, true}, seen);
  }

  @Test
  void stopMatcherFindsStopsAcrossPiecesAndHoldsBackPossibleStarts() {
    StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
    assertEquals("abc", m.accept("abc"));
    assertEquals("x", m.accept("xE")); // "E" could start "END"
    assertEquals("", m.accept("N")); // "EN" still could
    assertEquals("ENd ", m.accept("d ")); // "ENd" cannot: released
    assertEquals("line", m.accept("line\n")); // "\n" could start "\n\n"
    assertFalse(m.stopped());
    assertEquals("", m.accept("\nrest"));
    assertTrue(m.stopped());
    assertEquals("", m.accept("more"));
    assertEquals("", m.flush());

    StopMatcher earliest = new StopMatcher(List.of("cd", "b"));
    assertEquals("a", earliest.accept("abcd")); // the earliest occurrence of any stop wins
    StopMatcher end = new StopMatcher(List.of("END"));
    assertEquals("the ", end.accept("the EN"));
    assertEquals("EN", end.flush()); // the generation ended: the held-back text is released
    StopMatcher none = new StopMatcher(List.of());
    assertEquals("E", none.accept("E"));
  }

  @Test
  void optionsRefuseBadValuesWithClearMessages() {
    assertRefused(() -> GenerationOptions.builder().stop(""), "stop sequence 0 is empty");
    assertRefused(() -> GenerationOptions.builder().stop("a", null), "stop sequence 1 is null");
    assertRefused(() -> GenerationOptions.builder().stop((List<String>) null), "must not be null");
    for (double p : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertRefused(
          () -> GenerationOptions.builder().repetitionPenalty(p),
          "repetition penalty must be a finite number > 0 (1 = off), was " + p);
    }
    for (double p : new double[] {-2.01, 2.5, Double.NaN}) {
      assertRefused(
          () -> GenerationOptions.builder().presencePenalty(p),
          "presence penalty must be in [-2, 2] (0 = off), was " + p);
      assertRefused(
          () -> GenerationOptions.builder().frequencyPenalty(p),
          "frequency penalty must be in [-2, 2] (0 = off), was " + p);
    }
    for (double p : new double[] {-0.1, 1.01, Double.NaN}) {
      assertRefused(
          () -> GenerationOptions.builder().minP(p), "minP must be in [0, 1] (0 = off), was " + p);
    }
  }

  @Test
  void optionsKeepTheirValuesAndDescribeThemselves() {
    GenerationOptions o =
        GenerationOptions.builder()
            .maxNewTokens(16)
            .temperature(0.7)
            .minP(0.05)
            .stop(List.of("\n", "END"))
            .repetitionPenalty(1.1)
            .presencePenalty(0.5)
            .frequencyPenalty(-0.5)
            .build();
    assertEquals(List.of("\n", "END"), o.stop());
    assertThrows(UnsupportedOperationException.class, () -> o.stop().add("x"));
    assertEquals(1.1, o.repetitionPenalty());
    assertEquals(0.5, o.presencePenalty());
    assertEquals(-0.5, o.frequencyPenalty());
    assertEquals(0.05, o.minP());
    assertEquals(
        "temperature 0.7, top-k 0, top-p 1.0, min-p 0.05, seed 0, max 16, repetition penalty 1.1,"
            + " presence penalty 0.5, frequency penalty -0.5, stop [\"\\n\", \"END\"]",
        o.toString());
    GenerationOptions plain = GenerationOptions.greedy(8);
    assertEquals("greedy, max 8", plain.toString());
    assertEquals(List.of(), plain.stop());
    assertEquals(1, plain.repetitionPenalty());
    assertEquals(0, plain.presencePenalty());
    assertEquals(0, plain.frequencyPenalty());
    assertEquals(0, plain.minP());
  }

  private static void assertRefused(Executable call, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @FunctionalInterface
  private interface Executable {
    void run();
  }
}
