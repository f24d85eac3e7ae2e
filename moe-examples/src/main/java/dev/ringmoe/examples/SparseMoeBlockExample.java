package dev.ringmoe.examples;

import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.moe.ExpertSource;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.SparseMoeBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The MoE building blocks without a checkpoint: one sparse block with a softmax top-2 router over 4
 * SwiGLU experts, random weights, run on an INDArray of 3 tokens. What a host application composing
 * its own layers writes.
 *
 * <p>Run: {@code java -cp moe-examples/target/lib/*:moe-examples/target/classes
 * dev.ringmoe.examples.SparseMoeBlockExample}.
 */
public final class SparseMoeBlockExample {
  static final int HIDDEN = 16;
  static final int INTERMEDIATE = 32;
  static final int EXPERTS = 4;
  static final int TOP_K = 2;

  private SparseMoeBlockExample() {}

  /** The example's weights and input, random from {@code seed}; close it to free them. */
  static final class Weights implements AutoCloseable {
    final INDArray router;
    final List<ExpertWeights> experts = new ArrayList<>();
    final INDArray input;

    Weights(long seed, int tokens) {
      SplittableRandom rng = new SplittableRandom(seed);
      router = random(rng, EXPERTS, HIDDEN, 1.0);
      for (int e = 0; e < EXPERTS; e++) {
        experts.add(
            new ExpertWeights(
                random(rng, INTERMEDIATE, HIDDEN, 0.5),
                random(rng, INTERMEDIATE, HIDDEN, 0.5),
                random(rng, HIDDEN, INTERMEDIATE, 0.5)));
      }
      input = random(rng, tokens, HIDDEN, 1.0);
    }

    private static INDArray random(SplittableRandom rng, int rows, int cols, double scale) {
      float[] values = new float[rows * cols];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (scale * (2 * rng.nextDouble() - 1));
      }
      return Nd4j.create(values, new long[] {rows, cols}, DataType.FLOAT);
    }

    @Override
    public void close() {
      router.close();
      experts.forEach(ExpertWeights::close);
      input.close();
    }
  }

  /** The block's output [tokens, hidden] for the example's weights; the caller owns it. */
  static INDArray run(Weights w) {
    try (SparseMoeBlock block =
        new SparseMoeBlock(
            Router.softmaxTopK(EXPERTS, TOP_K, true), HIDDEN, (int) w.input.rows())) {
      return block.forward(w.input, w.router, ExpertSource.of(w.experts));
    }
  }

  public static void main(String[] args) {
    try (Weights w = new Weights(42, 3);
        INDArray out = run(w)) {
      for (int t = 0; t < out.rows(); t++) {
        System.out.println("token " + t + ": " + Arrays.toString(out.getRow(t).toFloatVector()));
      }
    }
  }
}
