package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.moe.FeedForward;
import dev.ringmoe.moe.GatedActivation;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.SparseMoeBlock;
import dev.ringmoe.tensor.RowMatrix;

/**
 * Preallocated buffers for one forward pass over {@code tokens} tokens: the native matrices that
 * {@code gemm} reads and writes, and Java arrays for the element-wise work in between. Reusing them
 * avoids ND4J's per-allocation cost on the decode path, where every step has one token.
 *
 * <p>Owned by one {@link Decoder}; not thread-safe.
 */
final class Workspace implements AutoCloseable {
  final int tokens;

  // Java-side activations.
  final float[] residual;
  final float[] normed;
  final float[] q;
  final float[] k;
  final float[] v;
  final float[] attention;
  final float[] projected;
  final float[] routerLogits;
  final float[] moe;

  // Native matrices for gemm, and direct views of their memory.
  final RowMatrix normedNd;
  final RowMatrix qNd;
  final RowMatrix kNd;
  final RowMatrix vNd;
  final RowMatrix attentionNd;
  final RowMatrix projectedNd;
  final RowMatrix routerNd;

  /** The sparse block, with its expert scratch for this many tokens. */
  final SparseMoeBlock moeBlock;

  /** A dense layer's MLP, and its output. */
  final FeedForward mlp;

  final RowMatrix mlpOut;

  Workspace(ModelConfig c, Router router, int tokens) {
    this.tokens = tokens;
    int h = c.hiddenSize();
    int qDim = c.heads() * c.headDim();
    int kvDim = c.kvHeads() * c.headDim();
    residual = new float[tokens * h];
    normed = new float[tokens * h];
    q = new float[tokens * qDim];
    k = new float[tokens * kvDim];
    v = new float[tokens * kvDim];
    attention = new float[tokens * qDim];
    projected = new float[tokens * h];
    routerLogits = new float[tokens * c.experts()];
    moe = new float[tokens * h];
    normedNd = new RowMatrix(tokens, h);
    qNd = new RowMatrix(tokens, qDim);
    kNd = new RowMatrix(tokens, kvDim);
    vNd = new RowMatrix(tokens, kvDim);
    attentionNd = new RowMatrix(tokens, qDim);
    projectedNd = new RowMatrix(tokens, h);
    routerNd = new RowMatrix(tokens, c.experts());
    moeBlock = new SparseMoeBlock(router, h, tokens, GatedActivation.of(c));
    mlp = new FeedForward(tokens);
    mlpOut = new RowMatrix(tokens, h);
  }

  @Override
  public void close() {
    for (RowMatrix m :
        new RowMatrix[] {normedNd, qNd, kNd, vNd, attentionNd, projectedNd, routerNd}) {
      m.close();
    }
    moeBlock.close();
    mlp.close();
    mlpOut.close();
  }
}
