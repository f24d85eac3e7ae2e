package dev.ringmoe.hash.sida;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidaHashNetworkTest {

  static float[] randomTable(int vocab, int d, long seed) {
    Random r = new Random(seed);
    float[] t = new float[vocab * d];
    for (int i = 0; i < t.length; i++) {
      t[i] = (float) r.nextGaussian() * 0.5f;
    }
    return t;
  }

  static float[][] rows(float[] table, int d, int[] ids) {
    float[][] out = new float[ids.length][];
    for (int i = 0; i < ids.length; i++) {
      out[i] = java.util.Arrays.copyOfRange(table, ids[i] * d, (ids[i] + 1) * d);
    }
    return out;
  }

  @Test
  void parameterCountMatchesFormula() {
    HashNetworkConfig c = HashNetworkConfig.forModel(192, 6, 16, 2);
    SidaHashNetwork net = SidaHashNetwork.initialize(c, 1);
    long h = 256;
    long expected = (192 * h + h) + 2 * (4 * h * (2 * h) + 4 * h) + (h * h + h) + 6 * (h * 16 + 16);
    assertEquals(expected, c.parameterCount());
    assertEquals(expected, net.parameterCount());
    assertEquals(1_190_496L, expected);
    assertEquals(c, HashNetworkConfig.fromText(c.toText()));
  }

  @Test
  void javaPredictorMatchesGraphAndStreamingIsCausal() {
    for (HashNetworkConfig.Attention a : HashNetworkConfig.Attention.values()) {
      HashNetworkConfig c = new HashNetworkConfig(8, 16, 3, 4, 2, a);
      SidaHashNetwork net = SidaHashNetwork.initialize(c, 7);
      float[] table = randomTable(50, 8, 3);
      int[] ids = new int[12];
      Random r = new Random(5);
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.nextInt(50);
      }
      float[][] graph = net.forwardGraph(rows(table, 8, ids));
      HashPredictor p = net.predictor(table);
      float[][] jv = p.logitsFromEmbeddings(rows(table, 8, ids));
      for (int t = 0; t < ids.length; t++) {
        for (int j = 0; j < graph[t].length; j++) {
          assertEquals(graph[t][j], jv[t][j], 1e-4, a + " t=" + t + " j=" + j);
        }
      }
      // streaming prefix == full sequence
      float[][][] full = p.predict(ids);
      HashPredictor.Session s = p.newSession();
      s.prefill(java.util.Arrays.copyOf(ids, 5));
      for (int t = 5; t < ids.length; t++) {
        float[][] step = s.step(ids[t]);
        for (int l = 0; l < c.layers(); l++) {
          for (int e = 0; e < c.experts(); e++) {
            assertEquals(full[t][l][e], step[l][e], 1e-5);
          }
        }
      }
      // causality in the graph: changing a later token leaves earlier positions unchanged
      int[] ids2 = ids.clone();
      ids2[9] = (ids2[9] + 1) % 50;
      float[][] graph2 = net.forwardGraph(rows(table, 8, ids2));
      for (int t = 0; t < 9; t++) {
        for (int j = 0; j < graph[t].length; j++) {
          assertEquals(graph[t][j], graph2[t][j], 1e-5);
        }
      }
    }
  }

  @Test
  void sparsemaxIsExact() {
    float[] p = HashPredictor.sparsemax(new float[] {3f, 1f, 2.5f, -1f});
    assertEquals(0.75f, p[0], 1e-6);
    assertEquals(0f, p[1], 1e-6);
    assertEquals(0.25f, p[2], 1e-6);
    assertEquals(0f, p[3], 1e-6);
  }

  @Test
  void saveLoadRoundTripAndFingerprintCheck(@TempDir Path dir) throws Exception {
    HashNetworkConfig c =
        new HashNetworkConfig(16, 16, 3, 4, 2, HashNetworkConfig.Attention.SPARSEMAX);
    SidaHashNetwork net = SidaHashNetwork.initialize(c, 11);
    Path f = dir.resolve("hash.zip");
    net.save(f, "modelA");
    assertTrue(Files.size(f) > net.parameterCount() * 4);
    ModelConfig mc =
        ModelConfig.builder(Architecture.MIXTRAL)
            .hiddenSize(16)
            .heads(2)
            .kvHeads(1)
            .layers(3)
            .experts(4)
            .topK(2)
            .build();
    SidaHashNetwork back = SidaHashNetwork.load(f, mc, "modelA");
    assertEquals(c, back.config());
    float[] table = randomTable(20, 16, 1);
    int[] ids = {1, 5, 7, 19, 0, 3};
    float[][][] a = net.predictor(table).predict(ids);
    float[][][] b = back.predictor(table).predict(ids);
    for (int t = 0; t < ids.length; t++) {
      for (int l = 0; l < 3; l++) {
        assertTrue(java.util.Arrays.equals(a[t][l], b[t][l]));
      }
    }
    IllegalArgumentException ex =
        assertThrows(IllegalArgumentException.class, () -> SidaHashNetwork.load(f, mc, "modelB"));
    assertTrue(
        ex.getMessage().contains("modelA") && ex.getMessage().contains("modelB"), ex.getMessage());
  }
}
