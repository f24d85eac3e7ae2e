package dev.ringmoe.manifest;

/**
 * What a tensor is for, independent of the family's checkpoint names. Vectors (norm weights,
 * biases) are rank 1 and live on the Java heap, where the element-wise code reads them; matrices
 * are float32 [out, in] ND4J arrays.
 */
public enum Role {
  /** Token embedding [vocab, hidden]. */
  EMBEDDING,
  /** Final RMSNorm weight [hidden]. */
  FINAL_NORM,
  /** Output projection [vocab, hidden]; absent when tied to the embedding. */
  LM_HEAD,
  /**
   * An encoder-decoder's encoder-stack final norm [hidden] ({@code FINAL_NORM} is the decoder's).
   */
  ENCODER_FINAL_NORM,
  /** RMSNorm before attention [hidden]. */
  INPUT_NORM,
  /** RMSNorm before the MoE block or MLP [hidden]. */
  POST_ATTENTION_NORM,
  QUERY,
  KEY,
  VALUE,
  OUTPUT,
  QUERY_BIAS,
  KEY_BIAS,
  VALUE_BIAS,
  /**
   * RMSNorm of the queries, per head [head_dim] or over the whole projection [heads * head_dim].
   */
  QUERY_NORM,
  /**
   * RMSNorm of the keys, per head [head_dim] or over the whole projection [kv_heads * head_dim].
   */
  KEY_NORM,
  /** Multi-head latent attention: the query down-projection [q_lora_rank, hidden]. */
  QUERY_A,
  /** Multi-head latent attention: the RMSNorm of the compressed query [q_lora_rank]. */
  QUERY_A_NORM,
  /** Multi-head latent attention: the query up-projection [heads * qk_head_dim, q_lora_rank]. */
  QUERY_B,
  /**
   * Multi-head latent attention: the kv down-projection with the shared rotary key part
   * [kv_lora_rank + qk_rope_head_dim, hidden].
   */
  KV_A,
  /** Multi-head latent attention: the RMSNorm of the compressed kv [kv_lora_rank]. */
  KV_A_NORM,
  /**
   * Multi-head latent attention: the kv up-projection [heads * (qk_nope_head_dim + v_head_dim),
   * kv_lora_rank].
   */
  KV_B,
  /**
   * T5's bucketed relative attention bias [buckets, heads], in the first layer of each stack of an
   * encoder-decoder and shared by the stack's layers.
   */
  RELATIVE_ATTENTION_BIAS,
  /** An encoder-decoder's decoder layer: the norm before cross-attention [hidden]. */
  CROSS_NORM,
  /** Cross-attention projections: queries from the decoder, keys and values from the encoder. */
  CROSS_QUERY,
  CROSS_KEY,
  CROSS_VALUE,
  CROSS_OUTPUT,
  /** The gate's linear layer [experts, hidden]. */
  ROUTER,
  /**
   * The gate's score correction bias [experts], added for the choice only (DeepSeek-V3's {@code
   * e_score_correction_bias}).
   */
  SCORE_CORRECTION_BIAS,
  /** A shared expert's SwiGLU projections, run for every token beside the routed experts. */
  SHARED_GATE,
  SHARED_UP,
  SHARED_DOWN,
  /** The sigmoid gate of the shared expert's output [1, hidden]. */
  SHARED_EXPERT_GATE,
  /**
   * A dense layer's MLP (a layer without experts): SwiGLU, or without {@code MLP_GATE} the ReLU
   * network {@code down(relu(up(x)))} of T5-style models.
   */
  MLP_GATE,
  MLP_UP,
  MLP_DOWN,
  /**
   * A routed expert's projections: SwiGLU, or without {@code EXPERT_GATE} the ReLU network of
   * T5-style models ({@code wi} is the up projection, {@code wo} the down projection).
   */
  EXPERT_GATE,
  EXPERT_UP,
  EXPERT_DOWN,
  /** The output projection's bias [hidden] (gpt-oss). */
  OUTPUT_BIAS,
  /**
   * One learned logit per query head [heads], appended to every attention softmax row and dropped
   * after it (gpt-oss's attention sinks).
   */
  ATTENTION_SINKS,
  /** The router's bias [experts], added to the router logits (gpt-oss). */
  ROUTER_BIAS,
  /** A routed expert's biases: gate and up [intermediate], down [hidden] (gpt-oss). */
  EXPERT_GATE_BIAS,
  EXPERT_UP_BIAS,
  EXPERT_DOWN_BIAS
}
