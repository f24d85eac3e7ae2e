package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense part of one decoder layer: its two RMSNorm weights, the attention projections and the router. Every
 * token needs all of it, so it is one unit of residency.
 *
 * <p>Immutable holder; the arrays are owned by the {@link WeightStore} that handed the holder out and are valid
 * until the layer is released to it. Matrices are float32 [out, in], as checkpoints store them.
 */
public final class LayerWeights {
  final float[] inputNorm;
  final float[] postAttentionNorm;
  final INDArray query;
  final INDArray key;
  final INDArray value;
  final INDArray output;
  final INDArray router;

  /** Wraps the given weights; shapes are checked by the store that loaded them. */
  public LayerWeights(float[] inputNorm, float[] postAttentionNorm, INDArray query, INDArray key, INDArray value,
      INDArray output, INDArray router) {
    this.inputNorm = Preconditions.checkNotNull(inputNorm);
    this.postAttentionNorm = Preconditions.checkNotNull(postAttentionNorm);
    this.query = Preconditions.checkNotNull(query);
    this.key = Preconditions.checkNotNull(key);
    this.value = Preconditions.checkNotNull(value);
    this.output = Preconditions.checkNotNull(output);
    this.router = Preconditions.checkNotNull(router);
  }

  /** Native bytes of the matrices (norms excluded: they live on the Java heap). */
  public long bytes() {
    return 4L * (query.length() + key.length() + value.length() + output.length() + router.length());
  }

  /** The router, float32 [experts, hidden]. */
  public INDArray router() {
    return router;
  }

  /** The RMSNorm weight applied before the MoE block (and the router), [hidden]; shared, do not modify. */
  public float[] postAttentionNorm() {
    return postAttentionNorm;
  }

  /** The native matrices, for stores that account for or free them. */
  public java.util.List<INDArray> arrays() {
    return java.util.List.of(query, key, value, output, router);
  }

  /** Closes the arrays; for the store that owns them, never for the decoder. */
  public void close() {
    query.close();
    key.close();
    value.close();
    output.close();
    router.close();
  }
}
