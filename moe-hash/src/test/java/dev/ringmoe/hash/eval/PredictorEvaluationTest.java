package dev.ringmoe.hash.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.tensor.VectorMath;
import org.junit.jupiter.api.Test;

/** The metrics on a hand-made example whose answers are worked out below. */
class PredictorEvaluationTest {
  private static final double EPS = 1e-12;

  /** 2 tokens, 2 layers, 5 experts, top-2. */
  private static PredictorEvaluation example() {
    float[] router = {
      // token 0, layer 0: top-1 = 4, top-2 = {4, 1}
      0f, 3f, 1f, -1f, 5f,
      // token 0, layer 1: top-1 = 0, top-2 = {0, 2}
      9f, 1f, 8f, 0f, 0f,
      // token 1, layer 0: top-1 = 2, top-2 = {2, 3}
      0f, 0f, 7f, 6f, 1f,
      // token 1, layer 1: top-1 = 3, top-2 = {3, 4}; 2nd and 3rd exactly tied? no: 4 > 1
      0f, 1f, 0f, 9f, 4f,
    };
    float[] predicted = {
      // t0 l0 ranks 4,1,0,2,3: top-1 right (hit@1..4), recall {4,1} = 2/2
      0.3f, 0.4f, 0.2f, 0.1f, 0.9f,
      // t0 l1 ranks 1,2,3,0,4: top-1 0 at rank 4 (hit@4 only), recall {1,2}∩{0,2} = 1/2
      0.1f, 0.9f, 0.8f, 0.5f, 0f,
      // t1 l0 ranks 3,2,...: top-1 2 at rank 2 (hit@2..4), recall {3,2} = 2/2
      0f, 0f, 0.5f, 0.7f, 0.1f,
      // t1 l1 scores 1,1,1,0,0.5 rank 0,1,2 (ties go to the lower id),4,3
      //   top-1 3 at rank 5: no hit; recall {0,1}∩{3,4} = 0
      1f, 1f, 1f, 0f, 0.5f,
    };
    PredictorEvaluation ev = new PredictorEvaluation(2, 5, 2);
    ev.add(router, new RoutingPrediction(2, 2, 5, predicted));
    return ev;
  }

  @Test
  void handMadeExample() {
    PredictorEvaluation ev = example();
    assertEquals(4, ev.maxK());
    assertEquals(2, ev.decisions(0));
    // layer 0: t0 hit at rank 1, t1 at rank 2
    assertEquals(0.5, ev.top1Accuracy(0), EPS);
    assertEquals(1.0, ev.hitRate(0, 2), EPS);
    assertEquals(1.0, ev.hitRate(0, 4), EPS);
    assertEquals(1.0, ev.recall(0), EPS);
    // layer 1: t0 hit at rank 4, t1 never
    assertEquals(0.0, ev.top1Accuracy(1), EPS);
    assertEquals(0.0, ev.hitRate(1, 3), EPS);
    assertEquals(0.5, ev.hitRate(1, 4), EPS);
    assertEquals(0.25, ev.recall(1), EPS);
    // averages over layers
    assertEquals(0.25, ev.averageTop1Accuracy(), EPS);
    assertEquals(0.5, ev.averageHitRate(2), EPS);
    assertEquals(0.75, ev.averageHitRate(4), EPS);
    assertEquals(0.625, ev.averageRecall(), EPS);
    assertEquals(0, ev.top1Ties(0) + ev.topKTies(0) + ev.top1Ties(1) + ev.topKTies(1));
  }

  @Test
  void accumulatesOverSequences() {
    PredictorEvaluation ev = new PredictorEvaluation(1, 3, 1);
    ev.add(new float[] {1, 2, 3}, new RoutingPrediction(1, 1, 3, new float[] {0, 0, 1}));
    ev.add(
        new float[] {3, 2, 1, 0, 5, 0},
        new RoutingPrediction(2, 1, 3, new float[] {0, 1, 0, 0, 1, 0}));
    assertEquals(3, ev.decisions(0));
    assertEquals(
        2.0 / 3, ev.top1Accuracy(0), EPS); // seq 1 right; seq 2: token 0 wrong, token 1 right
    assertEquals(1.0, ev.hitRate(0, 2), EPS);
    assertEquals(2.0 / 3, ev.recall(0), EPS); // top-1 models: recall = top-1 accuracy
    assertEquals(3, ev.maxK());
  }

  @Test
  void nearTiesAreScoredByArgmaxAndCounted() {
    // router: experts 1 and 2 tie within 1e-4 in probability (1e-5 apart in logit); argmax = 1
    PredictorEvaluation ev = new PredictorEvaluation(1, 4, 2);
    ev.add(
        new float[] {0f, 2.00001f, 2f, -3f},
        new RoutingPrediction(1, 1, 4, new float[] {0, 0.5f, 1, 0}));
    assertEquals(
        0.0, ev.top1Accuracy(0), EPS); // predicted 2, router's argmax is 1: a miss, not excused
    assertEquals(1.0, ev.hitRate(0, 2), EPS);
    assertEquals(1, ev.top1Ties(0));
    assertEquals(0, ev.topKTies(0));
  }

  @Test
  void topKOrdersAndBreaksTies() {
    assertArrayEquals(new int[] {2, 0, 1}, VectorMath.topK(new float[] {9, 1, 1, 5, 1}, 1, 4, 3));
    assertArrayEquals(new int[] {1, 0}, VectorMath.topK(new float[] {Float.NaN, 2}, 0, 2, 2));
  }

  @Test
  void tableAndJson() {
    PredictorEvaluation ev = example();
    String table = ev.table("example");
    assertTrue(table.contains("average"), table);
    assertTrue(table.contains("62.50"), table); // average recall
    JsonObject json = JsonParser.parseString(ev.toJson("hand \"made\"")).getAsJsonObject();
    assertEquals("hand \"made\"", json.get("predictor").getAsString());
    assertEquals(2, json.getAsJsonArray("layers").size());
    assertEquals(
        0.5,
        json.getAsJsonArray("layers")
            .get(1)
            .getAsJsonObject()
            .getAsJsonArray("hit_at_k")
            .get(3)
            .getAsDouble(),
        1e-9);
    assertEquals(0.625, json.getAsJsonObject("average").get("recall").getAsDouble(), 1e-9);
  }
}
