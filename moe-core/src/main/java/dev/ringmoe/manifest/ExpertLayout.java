package dev.ringmoe.manifest;

/**
 * How a checkpoint stores a layer's routed experts. Whatever the layout, the manifest lists each
 * expert as its own section of {@code [out, in]} matrices (gate and up [intermediate, hidden], down
 * [hidden, intermediate]) and bias vectors; a stacked layout's entries are {@link StoredSlice}s of
 * the layer's stacked tensors, so loading, the ring's slots and the expert cache address one
 * expert's part of them.
 */
public enum ExpertLayout {
  /**
   * One tensor per expert and projection, {@code [out, in]}: name patterns take the layer and the
   * expert (Mixtral, Qwen-MoE, OLMoE).
   */
  SEPARATE,
  /**
   * Every expert of a layer in one tensor per projection, gate and up fused and interleaved (gate =
   * even, up = odd outputs), stored for {@code x @ W}: gate/up {@code [experts, hidden, 2 *
   * intermediate]}, down {@code [experts, intermediate, hidden]}, biases {@code [experts, 2 *
   * intermediate]} and {@code [experts, hidden]} (Hugging Face's gpt-oss). Gate and up name the
   * same tensor; name patterns take the layer only.
   */
  STACKED_INTERLEAVED_TRANSPOSED,
  /**
   * As {@link #STACKED_INTERLEAVED_TRANSPOSED}, with the matrices stored {@code [out, in]} as MXFP4
   * ({@link StoredSlice.Encoding#MXFP4}): the patterns name the {@code *_blocks} tensors ({@code
   * [experts, 2 * intermediate, hidden / 32, 16]}, {@code [experts, hidden, intermediate / 32,
   * 16]}), the scales are the same names ending {@code _scales}; the biases are dense (the released
   * gpt-oss checkpoints).
   */
  STACKED_INTERLEAVED_MXFP4
}
