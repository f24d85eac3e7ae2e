package dev.ringmoe.hash.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.eval.PredictorEvaluation;
import dev.ringmoe.hash.trace.MoeText16xTraces;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.LayerInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Frequency, gate lookahead and oracle on moe-text-16x's 32 held-out reference sequences. */
class BaselineEvaluationTest {
  private static FrequencyPredictor frequency;
  private static LookaheadPredictor lookahead;

  @BeforeAll
  static void fit() throws IOException {
    try (RoutingTraceReader train = RoutingTraceReader.open(MoeText16xTraces.train())) {
      assertEquals(MoeText16xTraces.TRAIN_WINDOWS, train.size());
      frequency = FrequencyPredictor.fit(train, train.header().topK());
    }
    lookahead = LookaheadPredictor.load(MoeText16xTraces.dir());
  }

  private static final java.util.Map<String, PredictorEvaluation> RESULTS =
      new java.util.HashMap<>();

  private static synchronized PredictorEvaluation evaluate(SequencePredictor p) throws IOException {
    PredictorEvaluation done = RESULTS.get(p.name());
    if (done != null) {
      return done;
    }
    try (RoutingTraceReader heldout = RoutingTraceReader.open(MoeText16xTraces.heldout())) {
      PredictorEvaluation ev = PredictorEvaluation.forTrace(heldout.header());
      for (TraceSequence seq : heldout) {
        ev.add(seq, p.predict(seq));
      }
      System.out.println(ev.table(p.name() + " on moe-text-16x held-out (32 x 128 tokens)"));
      Path out = Path.of("target", "routing-traces");
      Files.createDirectories(out);
      ev.writeJson(out.resolve("eval-" + p.name() + ".json"), p.name());
      RESULTS.put(p.name(), ev);
      return ev;
    }
  }

  @Test
  void oracleIsPerfect() throws IOException {
    PredictorEvaluation ev = evaluate(new OraclePredictor());
    for (int l = 0; l < ev.layers(); l++) {
      assertEquals(32 * 128, ev.decisions(l));
      assertEquals(1.0, ev.top1Accuracy(l));
      assertEquals(1.0, ev.hitRate(l, 2));
      assertEquals(1.0, ev.recall(l));
    }
  }

  @Test
  void frequencyIsFarBelow() throws IOException {
    PredictorEvaluation ev = evaluate(frequency);
    // near-uniform usage: hit@2 near 2/16, far below the oracle
    assertTrue(ev.averageHitRate(2) < 0.40, "frequency hit@2 " + ev.averageHitRate(2));
    assertTrue(ev.averageHitRate(4) < 0.60, "frequency hit@4 " + ev.averageHitRate(4));
    // and the counts are what the training trace says: every token contributes top-k choices per
    // layer
    long total = 0;
    for (long c : frequency.counts(0)) {
      total += c;
    }
    assertEquals(MoeText16xTraces.TRAIN_WINDOWS * 128L * 2, total);
  }

  @Test
  void lookaheadPredictsMostOfTheRouting() throws IOException {
    PredictorEvaluation ev = evaluate(lookahead);
    assertTrue(ev.averageHitRate(2) > 0.75, "lookahead hit@2 average " + ev.averageHitRate(2));
    assertTrue(ev.hitRate(0, 2) > 0.95, "layer 0 hit@2 " + ev.hitRate(0, 2));
    // the calibration of next-layer gate lookahead (hit@2 per layer, same definition):
    // within 2 points
    double[] calibration = {1.000, 0.319, 0.863, 0.893, 0.939, 0.917};
    for (int l = 0; l < ev.layers(); l++) {
      assertEquals(calibration[l], ev.hitRate(l, 2), 0.02, "layer " + l + " hit@2");
    }
    for (int l = 1; l < ev.layers(); l++) {
      assertTrue(ev.hitRate(l, 4) > ev.hitRate(l, 1), "layer " + l);
    }
    PredictorEvaluation freq = evaluate(frequency);
    for (int l = 0; l < ev.layers(); l++) {
      assertTrue(
          ev.hitRate(l, 2) > freq.hitRate(l, 2) + 0.10,
          "lookahead not above frequency at layer " + l);
    }
  }

  @Test
  void runtimePredictors() throws IOException {
    ModelConfig config = ModelConfig.load(MoeText16xTraces.dir());
    try (RoutingTraceReader heldout = RoutingTraceReader.open(MoeText16xTraces.heldout())) {
      TraceSequence seq = heldout.read(0);
      int h = config.hiddenSize();
      // one decoding step at position 10 of sequence 0, layer 3: the ring passes layer 2's residual
      // after attention
      float[] state = new float[h];
      System.arraycopy(seq.hiddenBeforeMoe(), seq.hiddenOffset(10, 2), state, 0, h);
      LayerInput input = input(config, 3, seq.tokenIds()[10], state);
      BitSet predicted = lookahead.predict(input);
      assertEquals(2, predicted.cardinality());
      int[] expected = lookahead.predict(seq).topK(10, 3, 2);
      assertTrue(predicted.get(expected[0]) && predicted.get(expected[1]));

      BitSet popular = frequency.predict(input);
      assertEquals(2, popular.cardinality());
      int[] ranking = frequency.ranking(3);
      assertTrue(popular.get(ranking[0]) && popular.get(ranking[1]));
      assertNull(frequency.predict(input(config, 99, 5, state)));
    }
  }

  private static LayerInput input(ModelConfig config, int layer, int token, float[] hidden) {
    return LayerInput.of(config, layer, new int[] {token}, 10, hidden, null);
  }
}
