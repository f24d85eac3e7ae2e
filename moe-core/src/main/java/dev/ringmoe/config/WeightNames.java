package dev.ringmoe.config;

/**
 * The tensor names an architecture uses in its checkpoints, as format strings: layer templates take the layer index,
 * expert templates the layer and expert indices. Adding an architecture whose layout differs only in names is adding
 * one instance of this class.
 *
 * <p>Immutable and thread-safe.
 */
public final class WeightNames {
  final String embedding;
  final String finalNorm;
  final String lmHead;
  final String inputNorm;
  final String postAttentionNorm;
  final String query;
  final String key;
  final String value;
  final String output;
  final String router;
  final String expertGate;
  final String expertUp;
  final String expertDown;

  WeightNames(
      String embedding,
      String finalNorm,
      String lmHead,
      String inputNorm,
      String postAttentionNorm,
      String query,
      String key,
      String value,
      String output,
      String router,
      String expertGate,
      String expertUp,
      String expertDown) {
    this.embedding = embedding;
    this.finalNorm = finalNorm;
    this.lmHead = lmHead;
    this.inputNorm = inputNorm;
    this.postAttentionNorm = postAttentionNorm;
    this.query = query;
    this.key = key;
    this.value = value;
    this.output = output;
    this.router = router;
    this.expertGate = expertGate;
    this.expertUp = expertUp;
    this.expertDown = expertDown;
  }

  /** Hugging Face's Mixtral layout ({@code block_sparse_moe}, experts {@code w1}/{@code w3}/{@code w2}). */
  static final WeightNames MIXTRAL =
      new WeightNames(
          "model.embed_tokens.weight",
          "model.norm.weight",
          "lm_head.weight",
          "model.layers.%d.input_layernorm.weight",
          "model.layers.%d.post_attention_layernorm.weight",
          "model.layers.%d.self_attn.q_proj.weight",
          "model.layers.%d.self_attn.k_proj.weight",
          "model.layers.%d.self_attn.v_proj.weight",
          "model.layers.%d.self_attn.o_proj.weight",
          "model.layers.%d.block_sparse_moe.gate.weight",
          "model.layers.%d.block_sparse_moe.experts.%d.w1.weight",
          "model.layers.%d.block_sparse_moe.experts.%d.w3.weight",
          "model.layers.%d.block_sparse_moe.experts.%d.w2.weight");

  public String embedding() {
    return embedding;
  }

  public String finalNorm() {
    return finalNorm;
  }

  public String lmHead() {
    return lmHead;
  }

  public String inputNorm(int layer) {
    return String.format(inputNorm, layer);
  }

  public String postAttentionNorm(int layer) {
    return String.format(postAttentionNorm, layer);
  }

  public String query(int layer) {
    return String.format(query, layer);
  }

  public String key(int layer) {
    return String.format(key, layer);
  }

  public String value(int layer) {
    return String.format(value, layer);
  }

  public String output(int layer) {
    return String.format(output, layer);
  }

  public String router(int layer) {
    return String.format(router, layer);
  }

  /** The expert's gate projection ({@code w1} in Mixtral), shape [intermediate, hidden]. */
  public String expertGate(int layer, int expert) {
    return String.format(expertGate, layer, expert);
  }

  /** The expert's up projection ({@code w3} in Mixtral), shape [intermediate, hidden]. */
  public String expertUp(int layer, int expert) {
    return String.format(expertUp, layer, expert);
  }

  /** The expert's down projection ({@code w2} in Mixtral), shape [hidden, intermediate]. */
  public String expertDown(int layer, int expert) {
    return String.format(expertDown, layer, expert);
  }
}
