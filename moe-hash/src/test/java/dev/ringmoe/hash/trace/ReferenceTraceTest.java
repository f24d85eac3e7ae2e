package dev.ringmoe.hash.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.ReferenceData;
import dev.ringmoe.tensor.VectorMath;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The recorded trace of moe-text-16x's 32 held-out sequences against Hugging Face's router outputs.
 */
class ReferenceTraceTest {
  private static final int SEQS = 32;
  private static final int T = 128;
  private static final int L = 6;
  private static final int E = 16;

  @Test
  void recordedRouterLogitsMatchHuggingFace() throws Exception {
    float[] ref = ReferenceData.readFloats(MoeText16xTraces.dir().resolve("ref/router_logits.bin"));
    byte[] routing = Files.readAllBytes(MoeText16xTraces.dir().resolve("ref/routing.bin"));
    assertEquals(SEQS * T * L * E, ref.length);
    List<int[]> ids = MoeText16xTraces.evalIds();
    double maxDiff = 0;
    int disagreements = 0;
    int excused = 0;
    try (RoutingTraceReader reader = RoutingTraceReader.open(MoeText16xTraces.heldout())) {
      TraceHeader h = reader.header();
      assertEquals(192, h.hidden());
      assertEquals(L, h.layers());
      assertEquals(E, h.experts());
      assertEquals(2, h.topK());
      assertTrue(h.hiddenStates());
      assertTrue(h.fingerprint().startsWith("moe-text-16x"), h.fingerprint());
      assertEquals(SEQS, reader.size());
      int s = 0;
      for (TraceSequence seq : reader) {
        assertArrayEquals(ids.get(s), seq.tokenIds());
        float[] logits = seq.routerLogits();
        for (int i = 0; i < logits.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(logits[i] - ref[s * T * L * E + i]));
        }
        for (int t = 0; t < T; t++) {
          for (int l = 0; l < L; l++) {
            int[] top = VectorMath.topK(logits, seq.logitsOffset(t, l), E, 3);
            int r = ((s * T + t) * L + l) * 2;
            if (top[0] != routing[r] || top[1] != routing[r + 1]) {
              disagreements++;
              // a near-tie of the reference: its 2nd and 3rd (or 1st and 2nd) probabilities within
              // 1e-4
              double[] p = softmax(ref, (s * T + t) * L * E + l * E);
              int[] refTop = VectorMath.topK(ref, (s * T + t) * L * E + l * E, E, 3);
              boolean tie =
                  p[refTop[1]] - p[refTop[2]] < 1e-4 || p[refTop[0]] - p[refTop[1]] < 1e-4;
              if (tie) {
                excused++;
              }
            }
          }
        }
        s++;
      }
    }
    System.out.printf(
        "trace vs HF: max |router logit diff| %.3g; %d of %d routing decisions differ, %d at near-ties;"
            + " recording took %d ms%n",
        maxDiff, disagreements, SEQS * T * L, excused, MoeText16xTraces.heldoutMillis());
    assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
    assertEquals(disagreements, excused, "routing differs from routing.bin away from near-ties");
    assertTrue(disagreements <= 72, disagreements + " disagreements, more than the 72 near-ties");
  }

  @Test
  void hiddenStatesAreRecorded() throws Exception {
    try (RoutingTraceReader reader = RoutingTraceReader.open(MoeText16xTraces.heldout())) {
      TraceSequence seq = reader.read(5);
      float[] hidden = seq.hiddenBeforeMoe();
      for (int l = 0; l < seq.layers(); l++) {
        double norm = 0;
        for (int i = 0; i < seq.hidden(); i++) {
          norm += Math.abs(hidden[seq.hiddenOffset(3, l) + i]);
        }
        assertTrue(norm > 0, "layer " + l + " hidden state is zero");
      }
      // layer 0's state entering the MoE = embeddings + attention output: differs from the
      // embeddings
      assertTrue(Math.abs(hidden[seq.hiddenOffset(3, 0)] - seq.embeddings()[3 * seq.hidden()]) > 0);
    }
  }

  private static double[] softmax(float[] logits, int off) {
    double max = Double.NEGATIVE_INFINITY;
    for (int e = 0; e < E; e++) {
      max = Math.max(max, logits[off + e]);
    }
    double[] p = new double[E];
    double sum = 0;
    for (int e = 0; e < E; e++) {
      p[e] = Math.exp(logits[off + e] - max);
      sum += p[e];
    }
    for (int e = 0; e < E; e++) {
      p[e] /= sum;
    }
    return p;
  }
}
