package dev.ringmoe.hash.sida;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A tiny distillation problem with a learnable, context-dependent synthetic teacher. */
class HashTrainerTest {

  static List<SidaData.Sequence> synthetic(
      int n, int len, int vocab, int d, int layers, int experts, float[] table, long seed) {
    Random r = new Random(seed);
    // teacher: router logits = embedding · R_l (layer 0), and mix of current and previous embedding
    // deeper
    float[][] router = new float[layers][d * experts];
    for (float[] m : router) {
      for (int i = 0; i < m.length; i++) {
        m[i] = (float) r.nextGaussian();
      }
    }
    List<SidaData.Sequence> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      int[] ids = new int[len];
      for (int t = 0; t < len; t++) {
        ids[t] = r.nextInt(vocab);
      }
      float[] lg = new float[len * layers * experts];
      for (int t = 0; t < len; t++) {
        for (int l = 0; l < layers; l++) {
          for (int e = 0; e < experts; e++) {
            double acc = 0;
            for (int i = 0; i < d; i++) {
              double x = table[ids[t] * d + i];
              if (l > 0 && t > 0) {
                x = 0.7 * x + 0.3 * table[ids[t - 1] * d + i];
              }
              acc += x * router[l][i * experts + e];
            }
            lg[(t * layers + l) * experts + e] = (float) acc;
          }
        }
      }
      out.add(new SidaData.Sequence(ids, lg, layers, experts));
    }
    return out;
  }

  @Test
  void tinyTrainingReducesLossAndBeatsChance() {
    int d = 16;
    int vocab = 40;
    int layers = 2;
    int experts = 8;
    float[] table = SidaHashNetworkTest.randomTable(vocab, d, 9);
    List<SidaData.Sequence> data = synthetic(8, 12, vocab, d, layers, experts, table, 3);
    HashNetworkConfig cfg =
        new HashNetworkConfig(d, 32, layers, experts, 2, HashNetworkConfig.Attention.SPARSEMAX);
    SidaHashNetwork init = SidaHashNetwork.initialize(cfg, 1);
    double before = HashTrainer.loss(init, data, table);
    List<Double> losses = new ArrayList<>();
    List<Integer> steps = new ArrayList<>();
    SidaHashNetwork net =
        HashTrainer.builder()
            .learningRate(1e-2)
            .batchSize(4)
            .epochs(1000)
            .maxSteps(150)
            .halveLearningRateAfter(100)
            .logEvery(0)
            .seed(5)
            .onStep(
                (step, loss) -> {
                  steps.add(step);
                  if (!Double.isNaN(loss)) {
                    losses.add(loss);
                  }
                })
            .build()
            .train(init, data, table);
    double after = HashTrainer.loss(net, data, table);
    // one callback per step; the loss is sampled every LOSS_EVERY steps
    assertTrue(steps.size() == 150 && steps.get(149) == 150, "steps " + steps.size());
    assertTrue(losses.size() == 150 / HashTrainer.LOSS_EVERY, "loss samples " + losses.size());
    double first =
        losses.subList(0, 2).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double last =
        losses.subList(losses.size() - 2, losses.size()).stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    assertTrue(first > 0 && last < 0.7 * first, "reported step losses " + first + " -> " + last);
    assertTrue(after < 0.6 * before, "loss before " + before + " after " + after);
    SidaEvaluation.HitRate hr = SidaEvaluation.hitRate(net.predictor(table), data, 2);
    // uniform random top-2 of 8 experts contains the teacher's top-1 with probability 2/8
    assertTrue(hr.mean() > 0.6, "hit rate " + hr);
    SidaEvaluation.HitRate hr0 = SidaEvaluation.hitRate(init.predictor(table), data, 2);
    assertTrue(hr.mean() > hr0.mean() + 0.2, "trained " + hr + " vs untrained " + hr0);
  }
}
