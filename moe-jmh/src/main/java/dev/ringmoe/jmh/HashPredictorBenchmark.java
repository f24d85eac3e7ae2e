package dev.ringmoe.jmh;

import dev.ringmoe.hash.sida.HashNetworkConfig;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The SiDA hash network's serving latency for moe-text-16x's shape (hidden 192, 6 MoE layers, 16
 * experts; LSTM 256): one decode step (one token's predictions for every layer, the work the {@code
 * ringmoe-hash} thread does for each sampled token; the session restarts every 128 tokens so the
 * attention history stays 0..127) and a 128-token prefill, with the matrix products on ND4J or in
 * plain Java.
 *
 * <p>Why: a prediction only helps if it reaches the store before the router of the layer it is for
 * has run; this is the time to compare with a decode step.
 *
 * <p>Units: microseconds per operation (one step, or one whole prefill). Weights are random: the
 * cost does not depend on them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class HashPredictorBenchmark {
  private static final int VOCAB = 4096;

  /** Where the matrix products run. */
  @Param({"ND4J", "JAVA"})
  public HashPredictor.Engine engine;

  private HashPredictor predictor;
  private HashPredictor.Session session;
  private int[] prompt;
  private final SplittableRandom random = new SplittableRandom(3);

  @Setup
  public void setUp() {
    HashNetworkConfig config = HashNetworkConfig.forModel(192, 6, 16, 2);
    float[] table = new float[VOCAB * config.dModel()];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) random.nextGaussian() * 0.02f;
    }
    predictor = SidaHashNetwork.initialize(config, 1).predictor(table, engine);
    prompt = random.ints(128, 3, VOCAB).toArray();
    session = predictor.newSession();
  }

  @Benchmark
  public float[][] decodeStep() {
    if (session.position() >= 128) {
      session = predictor.newSession();
    }
    return session.step(random.nextInt(3, VOCAB));
  }

  @Benchmark
  public float[][][] prefill128() {
    return predictor.newSession().prefill(prompt);
  }
}
