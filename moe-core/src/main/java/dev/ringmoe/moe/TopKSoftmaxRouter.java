package dev.ringmoe.moe;

import dev.ringmoe.tensor.VectorMath;

/**
 * {@link Router#topKSoftmax}: Hugging Face's gpt-oss gate, {@code softmax(topk(logits))} over the k
 * chosen logits, best first.
 */
final class TopKSoftmaxRouter extends TopKRouter {

  TopKSoftmaxRouter(int experts, int k) {
    super(experts, k);
  }

  @Override
  public void route(float[] logits, Routing routing) {
    checkRouting(routing);
    int[] ids = new int[k];
    float[] kept = new float[k];
    float[] weights = new float[k];
    for (int t = 0; t < routing.tokens(); t++) {
      VectorMath.topK(logits, t * experts, experts, k, ids, 0);
      for (int j = 0; j < k; j++) {
        kept[j] = logits[t * experts + ids[j]];
      }
      VectorMath.softmax(kept, 0, k, weights, 0);
      for (int j = 0; j < k; j++) {
        routing.set(t, j, ids[j], weights[j]);
      }
    }
  }

  @Override
  public String toString() {
    return "top-" + k + " of " + experts + ", softmax over the kept";
  }
}
