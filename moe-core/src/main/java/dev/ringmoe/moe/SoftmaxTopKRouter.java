package dev.ringmoe.moe;

import dev.ringmoe.tensor.VectorMath;

/** {@link Router#softmaxTopK}: Hugging Face's Mixtral, Qwen2/3-MoE and OLMoE gates. */
final class SoftmaxTopKRouter extends TopKRouter {
  private final boolean renormalise;

  SoftmaxTopKRouter(int experts, int k, boolean renormalise) {
    super(experts, k);
    this.renormalise = renormalise;
  }

  @Override
  public void route(float[] logits, Routing routing) {
    checkRouting(routing);
    float[] probs = new float[experts];
    int[] ids = new int[k];
    for (int t = 0; t < routing.tokens(); t++) {
      VectorMath.softmax(logits, t * experts, experts, probs, 0);
      VectorMath.topK(probs, 0, experts, k, ids, 0);
      float kept = 0f;
      for (int j = 0; j < k; j++) {
        kept += probs[ids[j]];
      }
      for (int j = 0; j < k; j++) {
        float p = probs[ids[j]];
        routing.set(t, j, ids[j], renormalise ? p / kept : p);
      }
    }
  }

  @Override
  public String toString() {
    return "softmax top-" + k + " of " + experts + (renormalise ? ", renormalised" : "");
  }
}
