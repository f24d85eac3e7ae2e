/**
 * The model families RingMoE runs, one class each, registered for {@link java.util.ServiceLoader}
 * as {@link dev.ringmoe.config.ModelFamily}: which {@code architectures} names they answer to,
 * which {@code config.json} fields they read, and their tensors. Mixtral, Qwen2-MoE, Qwen3-MoE and
 * OLMoE share the decoder's components and differ only in data ({@link
 * dev.ringmoe.manifest.StandardManifest} with their names and options); gpt-oss adds components
 * selected by its config (sinks, biases, the top-k-then-softmax gate, the clamped SwiGLU, YaRN) and
 * stores its experts stacked ({@link dev.ringmoe.manifest.ExpertLayout}).
 */
package dev.ringmoe.family;
