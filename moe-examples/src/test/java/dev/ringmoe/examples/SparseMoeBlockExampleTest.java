package dev.ringmoe.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.model.ExpertWeights;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The hand-built sparse block against a naive double-precision Mixtral-style block written from the
 * definition.
 */
class SparseMoeBlockExampleTest {
  @Test
  void matchesNaiveImplementation() {
    int tokens = 5;
    try (SparseMoeBlockExample.Weights w = new SparseMoeBlockExample.Weights(7, tokens);
        INDArray out = SparseMoeBlockExample.run(w)) {
      double[][] x = w.input.toDoubleMatrix();
      double[][] router = w.router.toDoubleMatrix();
      double maxDiff = 0;
      double scale = 0;
      for (int t = 0; t < tokens; t++) {
        double[] logits = matVec(router, x[t]);
        double[] p = softmax(logits);
        int first = argmax(p, -1);
        int second = argmax(p, first);
        double norm = p[first] + p[second];
        double[] expected = new double[x[t].length];
        for (int e : new int[] {first, second}) {
          double[] y = swiglu(w.experts.get(e), x[t]);
          for (int i = 0; i < y.length; i++) {
            expected[i] += p[e] / norm * y[i];
          }
        }
        for (int i = 0; i < expected.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(out.getDouble(t, i) - expected[i]));
          scale = Math.max(scale, Math.abs(expected[i]));
        }
      }
      System.out.printf("max |output| %.3g, vs naive %.3g%n", scale, maxDiff);
      assertTrue(scale > 0.1, "degenerate output");
      assertTrue(
          maxDiff < 1e-5 * Math.max(1, scale), "block differs from the naive one by " + maxDiff);
    }
  }

  private static double[] swiglu(ExpertWeights w, double[] x) {
    double[] g = matVec(w.gate().toDoubleMatrix(), x);
    double[] u = matVec(w.up().toDoubleMatrix(), x);
    double[] h = new double[g.length];
    for (int i = 0; i < g.length; i++) {
      h[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
    }
    return matVec(w.down().toDoubleMatrix(), h);
  }

  private static double[] matVec(double[][] m, double[] v) {
    double[] out = new double[m.length];
    for (int r = 0; r < m.length; r++) {
      for (int c = 0; c < v.length; c++) {
        out[r] += m[r][c] * v[c];
      }
    }
    return out;
  }

  private static double[] softmax(double[] l) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : l) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] p = new double[l.length];
    for (int i = 0; i < l.length; i++) {
      p[i] = Math.exp(l[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < l.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private static int argmax(double[] p, int exclude) {
    int best = -1;
    for (int i = 0; i < p.length; i++) {
      if (i != exclude && (best < 0 || p[i] > p[best])) {
        best = i;
      }
    }
    return best;
  }
}
