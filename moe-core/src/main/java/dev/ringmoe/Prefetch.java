package dev.ringmoe;

/** What a streaming weight store loads ahead of compute. */
public enum Prefetch {
  /**
   * Nothing ahead: each layer's weights are loaded when the layer starts and each routed expert
   * when the router has chosen it, while compute waits (synchronous loading, as Hugging Face
   * accelerate's offloading does).
   */
  NONE,
  /** Whole layers ahead, every expert included: SE-MoE's ring with calculation-released-load. */
  ALL,
  /**
   * Dense weights a whole ring ahead, experts one layer ahead as predicted by applying the layer's
   * router to the state entering it (next-layer gate lookahead); a mispredicted expert is loaded on
   * demand.
   */
  LOOKAHEAD
}
