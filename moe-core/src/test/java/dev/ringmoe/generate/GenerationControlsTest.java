package dev.ringmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.tensor.VectorMath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each generation control's effect on moe-text-16x, the reference model trained on the Python
 * documentation (greedy from "The Python interpreter" writes " is built with the interpreter's
 * interpreter. The interpreter is ..."; from "To install a package, use" it ends in a run of "X").
 */
@Timeout(300)
class GenerationControlsTest {
  private static final String PROMPT = "The Python interpreter";
  private static final String REPEATING = "To install a package, use";
  private static MoeModel model;

  @BeforeAll
  static void open() throws Exception {
    model = MoeModel.builder().checkpoint(ReferenceData.moeText16x()).build();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** A generation's tokens and the text each one released to the listener. */
  private record Run(GenerationResult result, List<Integer> ids, List<String> pieces) {
    String joined() {
      return String.join("", pieces);
    }
  }

  private static Run run(String prompt, GenerationOptions options) throws Exception {
    List<Integer> ids = new ArrayList<>();
    List<String> pieces = new ArrayList<>();
    GenerationResult r =
        model.generate(
            prompt,
            options,
            (id, text) -> {
              ids.add(id);
              pieces.add(text);
            });
    return new Run(r, ids, pieces);
  }

  @Test
  void aStopSequenceSpanningTwoTokensEndsGenerationWithoutItsText() throws Exception {
    Run plain = run(PROMPT, GenerationOptions.greedy(40));
    String text = plain.result().text();
    String stop = "interpreter."; // " interpreter" and "." are two tokens
    int at = text.indexOf(stop);
    assertTrue(at > 0, text);
    Run stopped = run(PROMPT, GenerationOptions.builder().maxNewTokens(40).stop(stop).build());
    GenerationResult r = stopped.result();
    assertEquals(GenerationResult.StopReason.STOP_SEQUENCE, r.stopReason());
    assertEquals(text.substring(0, at), r.text());
    assertEquals(r.text(), stopped.joined(), "the listener saw exactly the result's text");
    // The ids keep every generated token up to the one that completed the stop text.
    int[] ids = r.generatedIds();
    int[] plainIds = plain.result().generatedIds();
    assertArrayEquals(Arrays.copyOf(plainIds, ids.length), ids);
    String upToLast = model.tokenizer().decode(concat(r.promptIds(), ids));
    String upToBeforeLast =
        model.tokenizer().decode(concat(r.promptIds(), Arrays.copyOf(ids, ids.length - 1)));
    String prompt = model.tokenizer().decode(r.promptIds());
    assertTrue(upToLast.substring(prompt.length()).contains(stop), "the last token completes it");
    String before = upToBeforeLast.substring(prompt.length());
    assertTrue(
        !before.contains(stop) && before.endsWith("interpreter"),
        "the stop text starts in an earlier token: " + before);
    assertEquals(ids.length, stopped.ids().size());
  }

  @Test
  void heldBackTextIsReleasedWhenItCannotCompleteAStop() throws Exception {
    Run plain = run(PROMPT, GenerationOptions.greedy(12));
    // "interpreter!" never comes: each " interpreter" is held back until the next token shows
    // that it does not continue with "!".
    Run held =
        run(PROMPT, GenerationOptions.builder().maxNewTokens(12).stop("interpreter!").build());
    assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, held.result().stopReason());
    assertEquals(plain.result().text(), held.result().text());
    assertEquals(plain.result().text(), held.joined());
    assertEquals(plain.ids(), held.ids());
    int interpreter = plain.pieces().indexOf(" interpreter");
    assertTrue(interpreter >= 0, plain.pieces().toString());
    assertEquals(" ", held.pieces().get(interpreter), "\"interpreter\" could start the stop");
    assertEquals(
        "interpreter" + plain.pieces().get(interpreter + 1),
        held.pieces().get(interpreter + 1),
        "released with the next token");
    // Ending on a possible start: the generation's end releases it with the last token.
    Run end =
        run(
            PROMPT,
            GenerationOptions.builder().maxNewTokens(interpreter + 1).stop("interpreter!").build());
    assertEquals(
        plain.result().text().substring(0, end.result().text().length()), end.result().text());
    assertTrue(end.result().text().endsWith(" interpreter"), end.result().text());
    assertEquals(" interpreter", end.pieces().get(interpreter));
  }

  @Test
  void aStopInTheFirstTokenLeavesNoTextAndStopsListIsMatchedByEarliest() throws Exception {
    Run plain = run(PROMPT, GenerationOptions.greedy(40));
    GenerationResult first =
        model.generate(PROMPT, GenerationOptions.builder().maxNewTokens(40).stop(" is").build());
    assertEquals(GenerationResult.StopReason.STOP_SEQUENCE, first.stopReason());
    assertEquals("", first.text());
    assertEquals(1, first.generatedIds().length);
    String text = plain.result().text();
    GenerationResult two =
        model.generate(
            PROMPT, GenerationOptions.builder().maxNewTokens(40).stop("Python", "with").build());
    assertEquals(text.substring(0, text.indexOf("with")), two.text());
  }

  @Test
  void repetitionPenaltyIsAppliedToTheModelsLogitsAndStopsRepeats() throws Exception {
    int[] prompt = model.tokenizer().encode(REPEATING);
    GenerationResult plain = model.generate(prompt, GenerationOptions.greedy(30));
    assertTrue(maxRepeats(plain.generatedIds()) >= 10, "the plain run repeats a token");
    double p = 1e4;
    GenerationOptions options =
        GenerationOptions.builder().maxNewTokens(30).repetitionPenalty(p).build();
    GenerationResult penalised = model.generate(prompt, options);
    assertEquals(30, penalised.generatedIds().length);
    int[] all = penalised.allIds();
    assertEquals(
        all.length, Arrays.stream(all).distinct().count(), "no id of prompt or output repeats");
    assertGreedyFollowsPenalisedLogits(prompt, penalised.generatedIds(), options);
  }

  @Test
  void presenceAndFrequencyPenaltiesAreAppliedToTheModelsLogits() throws Exception {
    int[] prompt = model.tokenizer().encode(REPEATING);
    GenerationResult plain = model.generate(prompt, GenerationOptions.greedy(30));
    GenerationOptions frequency =
        GenerationOptions.builder().maxNewTokens(30).frequencyPenalty(2).build();
    GenerationResult f = model.generate(prompt, frequency);
    assertTrue(
        maxRepeats(f.generatedIds()) < maxRepeats(plain.generatedIds()),
        "fewer repeats: "
            + maxRepeats(f.generatedIds())
            + " vs "
            + maxRepeats(plain.generatedIds()));
    assertGreedyFollowsPenalisedLogits(prompt, f.generatedIds(), frequency);
    GenerationOptions presence =
        GenerationOptions.builder()
            .maxNewTokens(30)
            .presencePenalty(2)
            .frequencyPenalty(0.5)
            .build();
    GenerationResult pr = model.generate(prompt, presence);
    assertNotEquals(Arrays.toString(plain.generatedIds()), Arrays.toString(pr.generatedIds()));
    assertGreedyFollowsPenalisedLogits(prompt, pr.generatedIds(), presence);
  }

  @Test
  void theLoopHandsTheSamplerTheModelsLogitsAndThePenaltiesTransformThemExactly() throws Exception {
    int[] prompt = model.tokenizer().encode(REPEATING);
    GenerationOptions options =
        GenerationOptions.builder()
            .maxNewTokens(12)
            .temperature(0.8)
            .seed(7)
            .repetitionPenalty(1.3)
            .presencePenalty(0.4)
            .frequencyPenalty(0.7)
            .build();
    Sampler sampler = new Sampler(options);
    List<float[]> used = new ArrayList<>();
    sampler.usedLogits = used::add;
    List<float[]> raw = new ArrayList<>();
    int[][] sequence = {prompt};
    GenerationLoop.Model fullPasses =
        new GenerationLoop.Model() {
          @Override
          public float[] prefill() {
            return last(sequence[0]);
          }

          @Override
          public float[] next(int token) {
            sequence[0] = concat(sequence[0], new int[] {token});
            return last(sequence[0]);
          }

          @Override
          public boolean full() {
            return false;
          }

          private float[] last(int[] ids) {
            float[][] logits = model.logits(ids);
            raw.add(logits[logits.length - 1]);
            return logits[logits.length - 1];
          }
        };
    GenerationResult r =
        GenerationLoop.run(
            prompt, prompt, options, fullPasses, id -> false, null, TokenListener.NONE, sampler);
    int[] generated = r.generatedIds();
    assertEquals(12, generated.length);
    for (int t = 0; t < generated.length; t++) {
      float[] expected = penalise(raw.get(t), prompt, Arrays.copyOf(generated, t), options);
      assertArrayEquals(expected, used.get(t), "step " + t);
    }
  }

  @Test
  void minPNeverSamplesATokenBelowTheFractionOfTheMostLikely() throws Exception {
    int[] prompt = model.tokenizer().encode(PROMPT);
    double minP = 0.3;
    double temperature = 1.5;
    int below = 0;
    int belowWithout = 0;
    int checked = 0;
    for (int seed = 0; seed < 12; seed++) {
      GenerationOptions.Builder b =
          GenerationOptions.builder().maxNewTokens(8).temperature(temperature).seed(seed);
      GenerationResult with = model.generate(prompt, b.minP(minP).build());
      GenerationResult without = model.generate(prompt, b.minP(0).build());
      below += countBelow(prompt, with.generatedIds(), temperature, minP);
      belowWithout += countBelow(prompt, without.generatedIds(), temperature, minP);
      checked += with.generatedIds().length;
    }
    assertEquals(0, below, "tokens below min-p among " + checked);
    assertTrue(belowWithout > 0, "without min-p some drawn tokens are below the threshold");
  }

  @Test
  void aListenerCancelsWithGenerationCancelledException() throws Exception {
    GenerationResult plain = model.generate(PROMPT, GenerationOptions.greedy(20));
    List<String> pieces = new ArrayList<>();
    GenerationResult r =
        model.generate(
            PROMPT,
            GenerationOptions.greedy(20),
            (id, text) -> {
              if (pieces.size() == 3) {
                throw new GenerationCancelledException("enough");
              }
              pieces.add(text);
            });
    assertEquals(GenerationResult.StopReason.CANCELLED, r.stopReason());
    assertArrayEquals(Arrays.copyOf(plain.generatedIds(), 3), r.generatedIds());
    assertEquals(String.join("", pieces), r.text());
    // The model is free and unchanged.
    assertArrayEquals(
        plain.generatedIds(), model.generate(PROMPT, GenerationOptions.greedy(20)).generatedIds());
  }

  /**
   * Greedy decoding with penalties picks, at every step, the maximum of the model's logits (a full
   * forward pass over the prefix, independent of the KV-cache path generate took) transformed by
   * the penalty formulas; steps whose top two are closer than float rounding between the two paths
   * are not judged.
   */
  private static void assertGreedyFollowsPenalisedLogits(
      int[] prompt, int[] generated, GenerationOptions options) {
    int judged = 0;
    for (int t = 0; t < generated.length; t++) {
      int[] prefix = Arrays.copyOf(generated, t);
      float[][] logits = model.logits(concat(prompt, prefix));
      float[] penalised = penalise(logits[logits.length - 1], prompt, prefix, options);
      int[] top = VectorMath.topK(penalised, 0, penalised.length, 2);
      if (penalised[top[0]] - penalised[top[1]] < 1e-3) {
        continue;
      }
      judged++;
      assertEquals(top[0], generated[t], "step " + t);
    }
    assertTrue(judged >= generated.length - 2, "judged " + judged + " of " + generated.length);
  }

  /** The formulas, written out: Hugging Face's repetition penalty, then OpenAI's two. */
  private static float[] penalise(
      float[] logits, int[] prompt, int[] generated, GenerationOptions o) {
    float[] out = logits.clone();
    boolean[] seen = new boolean[out.length];
    int[] counts = new int[out.length];
    for (int id : prompt) {
      seen[id] = true;
    }
    for (int id : generated) {
      seen[id] = true;
      counts[id]++;
    }
    for (int id = 0; id < out.length; id++) {
      if (!seen[id]) {
        continue;
      }
      double p = o.repetitionPenalty();
      if (p != 1) {
        out[id] = out[id] > 0 ? (float) (out[id] / p) : (float) (out[id] * p);
      }
      if (counts[id] > 0 && (o.presencePenalty() != 0 || o.frequencyPenalty() != 0)) {
        out[id] = (float) (out[id] - (o.frequencyPenalty() * counts[id] + o.presencePenalty()));
      }
    }
    return out;
  }

  /** Generated tokens whose probability at temperature t was below minP times the top one's. */
  private static int countBelow(int[] prompt, int[] generated, double t, double minP) {
    int below = 0;
    for (int i = 0; i < generated.length; i++) {
      float[][] logits = model.logits(concat(prompt, Arrays.copyOf(generated, i)));
      float[] scaled = logits[logits.length - 1].clone();
      for (int v = 0; v < scaled.length; v++) {
        scaled[v] /= (float) t;
      }
      double[] probs = new double[scaled.length];
      VectorMath.softmax(scaled, 0, scaled.length, probs, 0);
      double max = Arrays.stream(probs).max().orElseThrow();
      // The slack covers float rounding between the full pass here and generate's KV-cache path.
      if (probs[generated[i]] < minP * max * (1 - 1e-3)) {
        below++;
      }
    }
    return below;
  }

  private static int maxRepeats(int[] ids) {
    int[] counts = new int[model.config().vocabSize()];
    int max = 0;
    for (int id : ids) {
      max = Math.max(max, ++counts[id]);
    }
    return max;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
