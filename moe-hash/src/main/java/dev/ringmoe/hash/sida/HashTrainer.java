package dev.ringmoe.hash.sida;

import dev.ringmoe.tensor.VectorMath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link SidaHashNetwork} by truncated knowledge distillation from recorded router logits:
 * {@code loss = 0.005 · CE(student, argmax teacher) + L1(softmax(student[T]),
 * softmax(teacher[T]))}, T the teacher's top min(30, E) experts, averaged over tokens and layers
 * (L1 summed over the experts), with Adam.
 *
 * <p>Defaults: Adam lr 1e-3, batch 16 windows, 1 epoch. The paper uses lr 5e-5 with batch 64 on a
 * GPU; on a few CPU cores and a ~20 minute budget that does not converge, so the default is a 20x
 * larger rate with smaller batches (more updates per second). Deterministic for a seed (weight
 * init, shuffling) up to ND4J's multithreaded float reductions.
 */
public final class HashTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(HashTrainer.class);

  /** Truncation of the distillation target: the teacher's top min(TRUNCATE, E) experts. */
  public static final int TRUNCATE = 30;

  /**
   * Steps between loss samples: the loss costs an extra forward pass, so it is sampled, not
   * computed every step.
   */
  public static final int LOSS_EVERY = 10;

  private final double learningRate;
  private final int halveAfter;
  private final int batchSize;
  private final int epochs;
  private final int maxSteps;
  private final long seed;
  private final int logEvery;
  private final Duration timeLimit;
  private final BiConsumer<Integer, Double> onStep;

  private HashTrainer(Builder b) {
    this.learningRate = b.learningRate;
    this.halveAfter = b.halveAfter;
    this.batchSize = b.batchSize;
    this.epochs = b.epochs;
    this.maxSteps = b.maxSteps;
    this.seed = b.seed;
    this.logEvery = b.logEvery;
    this.timeLimit = b.timeLimit;
    this.onStep = b.onStep;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Trains a fresh network (initialised from the trainer's seed). */
  public SidaHashNetwork train(
      HashNetworkConfig config, List<SidaData.Sequence> data, float[] embeddingTable) {
    return train(SidaHashNetwork.initialize(config, seed), data, embeddingTable);
  }

  /**
   * Trains a copy of {@code initial} on {@code data} (all sequences of one length) and returns it.
   * Stops after {@code epochs}, {@code maxSteps} or {@code timeLimit}, whichever comes first.
   */
  public SidaHashNetwork train(
      SidaHashNetwork initial, List<SidaData.Sequence> data, float[] embeddingTable) {
    if (data.isEmpty()) {
      throw new IllegalArgumentException("no training sequences");
    }
    int len = data.get(0).length();
    for (SidaData.Sequence s : data) {
      if (s.length() != len) {
        throw new IllegalArgumentException(
            "sequences must share one length: " + len + " vs " + s.length());
      }
    }
    SidaHashNetwork net = initial.copy();
    SameDiff sd = net.buildGraph(len, true);
    sd.setTrainingConfig(
        TrainingConfig.builder()
            .updater(
                halveAfter == Integer.MAX_VALUE
                    ? new Adam(learningRate)
                    : new Adam(
                        new MapSchedule.Builder(ScheduleType.ITERATION)
                            .add(0, learningRate)
                            .add(halveAfter, learningRate / 2)
                            .build()))
            .dataSetFeatureMapping(SidaHashNetwork.EMB)
            .dataSetLabelMapping(
                SidaHashNetwork.TEACHER_PROBS,
                SidaHashNetwork.TEACHER_ONEHOT,
                SidaHashNetwork.TRUNC_BIAS)
            .minimize(SidaHashNetwork.LOSS)
            .build());
    Random rnd = new Random(seed);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      order.add(i);
    }
    long start = System.nanoTime();
    long deadline = timeLimit == null ? Long.MAX_VALUE : start + timeLimit.toNanos();
    int step = 0;
    double runSum = 0;
    int runN = 0;
    outer:
    for (int epoch = 0; epoch < epochs; epoch++) {
      Collections.shuffle(order, rnd);
      for (int b = 0; b < order.size(); b += batchSize) {
        if (step >= maxSteps || System.nanoTime() > deadline) {
          break outer;
        }
        List<SidaData.Sequence> batch = new ArrayList<>();
        for (int i = b; i < Math.min(order.size(), b + batchSize); i++) {
          batch.add(data.get(order.get(i)));
        }
        INDArray[][] arrays = batchArrays(net.config(), batch, embeddingTable);
        // M2.1's fit reports no loss to listeners here, so the batch loss (before the update) is
        // computed with
        // one extra forward pass on the steps that need it
        boolean wantLoss = (step + 1) % LOSS_EVERY == 0;
        double batchLoss = wantLoss ? batchLoss(sd, arrays) : Double.NaN;
        sd.fit(new org.nd4j.linalg.dataset.MultiDataSet(arrays[0], arrays[1]));
        for (INDArray[] group : arrays) {
          for (INDArray a : group) {
            a.close(); // free the off-heap batch now rather than at some later GC
          }
        }
        step++;
        if (step % 20 == 0) {
          System.gc(); // SameDiff's per-step temporaries are off-heap; without this a long run
          // outgrows memory
        }
        if (wantLoss) {
          runSum += batchLoss;
          runN++;
        }
        if (onStep != null) {
          onStep.accept(step, batchLoss);
        }
        if (logEvery > 0 && step % logEvery == 0) {
          LOG.info(
              "step {} epoch {} loss {} (mean over {} sampled batches) {} s",
              step,
              epoch,
              String.format("%.4f", runSum / runN),
              runN,
              String.format("%.1f", (System.nanoTime() - start) / 1e9));
          runSum = 0;
          runN = 0;
        }
      }
    }
    net.updateFrom(sd);
    LOG.info(
        "trained {} steps in {} s", step, String.format("%.1f", (System.nanoTime() - start) / 1e9));
    return net;
  }

  private static double batchLoss(SameDiff sd, INDArray[][] a) {
    Map<String, INDArray> ph = new HashMap<>();
    ph.put(SidaHashNetwork.EMB, a[0][0]);
    ph.put(SidaHashNetwork.TEACHER_PROBS, a[1][0]);
    ph.put(SidaHashNetwork.TEACHER_ONEHOT, a[1][1]);
    ph.put(SidaHashNetwork.TRUNC_BIAS, a[1][2]);
    return sd.output(ph, SidaHashNetwork.LOSS).get(SidaHashNetwork.LOSS).getDouble(0);
  }

  /**
   * Mean distillation loss of {@code net} over {@code data} (batched through the SameDiff graph).
   */
  public static double loss(
      SidaHashNetwork net, List<SidaData.Sequence> data, float[] embeddingTable) {
    int len = data.get(0).length();
    SameDiff sd = net.buildGraph(len, true);
    double sum = 0;
    int n = 0;
    for (int b = 0; b < data.size(); b += 16) {
      List<SidaData.Sequence> batch = data.subList(b, Math.min(data.size(), b + 16));
      INDArray[][] a = batchArrays(net.config(), batch, embeddingTable);
      Map<String, INDArray> ph = new HashMap<>();
      ph.put(SidaHashNetwork.EMB, a[0][0]);
      ph.put(SidaHashNetwork.TEACHER_PROBS, a[1][0]);
      ph.put(SidaHashNetwork.TEACHER_ONEHOT, a[1][1]);
      ph.put(SidaHashNetwork.TRUNC_BIAS, a[1][2]);
      double l = sd.output(ph, SidaHashNetwork.LOSS).get(SidaHashNetwork.LOSS).getDouble(0);
      sum += l * batch.size();
      n += batch.size();
    }
    return sum / n;
  }

  /** {features: [emb]}, {labels: [teacher_probs, teacher_onehot, trunc_bias]} for a batch. */
  static INDArray[][] batchArrays(
      HashNetworkConfig c, List<SidaData.Sequence> batch, float[] table) {
    int bs = batch.size();
    int len = batch.get(0).length();
    int d = c.dModel();
    int layers = c.layers();
    int experts = c.experts();
    int keep = Math.min(TRUNCATE, experts);
    float[] emb = new float[bs * len * d];
    float[] probs = new float[bs * len * layers * experts];
    float[] onehot = new float[probs.length];
    float[] bias = new float[probs.length];
    for (int b = 0; b < bs; b++) {
      SidaData.Sequence s = batch.get(b);
      float[] tl = s.teacherLogits();
      for (int t = 0; t < len; t++) {
        System.arraycopy(table, s.ids()[t] * d, emb, (b * len + t) * d, d);
        for (int l = 0; l < layers; l++) {
          int off = ((b * len + t) * layers + l) * experts;
          int src = (t * layers + l) * experts;
          float[] row = java.util.Arrays.copyOfRange(tl, src, src + experts);
          int[] top = VectorMath.topK(row, 0, row.length, keep);
          onehot[off + top[0]] = 1f;
          java.util.Arrays.fill(bias, off, off + experts, SidaHashNetwork.MASK);
          float[] kept = new float[top.length];
          for (int j = 0; j < top.length; j++) {
            kept[j] = row[top[j]];
          }
          VectorMath.softmax(
              kept, 0, kept.length, kept, 0); // the teacher over its top experts only
          for (int j = 0; j < top.length; j++) {
            bias[off + top[j]] = 0f;
            probs[off + top[j]] = kept[j];
          }
        }
      }
    }
    long[] ls = {bs, len, layers, experts};
    return new INDArray[][] {
      {Nd4j.create(emb, new long[] {bs, len, d}, 'c')},
      {Nd4j.create(probs, ls, 'c'), Nd4j.create(onehot, ls, 'c'), Nd4j.create(bias, ls, 'c')}
    };
  }

  /** Training options. */
  public static final class Builder {
    private double learningRate = 1e-3;
    private int halveAfter = Integer.MAX_VALUE;
    private int batchSize = 16;
    private int epochs = 1;
    private int maxSteps = Integer.MAX_VALUE;
    private long seed = 42;
    private int logEvery = 50;
    private Duration timeLimit;
    private BiConsumer<Integer, Double> onStep;

    public Builder learningRate(double v) {
      this.learningRate = v;
      return this;
    }

    /**
     * Halves the learning rate after {@code steps} updates (a two-stage schedule; default: never).
     */
    public Builder halveLearningRateAfter(int steps) {
      this.halveAfter = steps;
      return this;
    }

    public Builder batchSize(int v) {
      this.batchSize = v;
      return this;
    }

    public Builder epochs(int v) {
      this.epochs = v;
      return this;
    }

    public Builder maxSteps(int v) {
      this.maxSteps = v;
      return this;
    }

    public Builder seed(long v) {
      this.seed = v;
      return this;
    }

    /** Log the mean loss every {@code v} steps at INFO (0: never). */
    public Builder logEvery(int v) {
      this.logEvery = v;
      return this;
    }

    public Builder timeLimit(Duration v) {
      this.timeLimit = v;
      return this;
    }

    /**
     * Called after every step with (step, loss of that batch before the update); the loss is
     * sampled every {@link #LOSS_EVERY} steps and NaN on the others.
     */
    public Builder onStep(BiConsumer<Integer, Double> v) {
      this.onStep = v;
      return this;
    }

    public HashTrainer build() {
      if (learningRate <= 0 || batchSize <= 0 || epochs <= 0 || maxSteps <= 0 || halveAfter < 0) {
        throw new IllegalArgumentException("bad training options");
      }
      return new HashTrainer(this);
    }
  }
}
