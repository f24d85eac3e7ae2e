/**
 * SiDA's data-aware expert predictor ("hash network"): a small LSTM + causal sparse-attention
 * network that predicts, from token embeddings alone, every MoE layer's router distribution.
 *
 * <ul>
 *   <li>{@link dev.ringmoe.hash.sida.HashNetworkConfig}: shape (d_model, hidden 256, layers,
 *       experts, top-k, attention kind), text (de)serialisation, exact parameter count.
 *   <li>{@link dev.ringmoe.hash.sida.SidaHashNetwork}: weights, the SameDiff training graph,
 *       save/load of one zip file bound to a model fingerprint.
 *   <li>{@link dev.ringmoe.hash.sida.HashPredictor}: serving form (matrix products on ND4J) with a
 *       streaming {@link dev.ringmoe.hash.sida.HashPredictor.Session} ({@code prefill}, {@code
 *       step}).
 *   <li>{@link dev.ringmoe.hash.sida.HashTrainer}: truncated knowledge distillation with Adam.
 *   <li>{@link dev.ringmoe.hash.sida.SidaData}: a training sequence (token ids and teacher router
 *       logits, read from a routing trace) and the embedding table. {@link
 *       dev.ringmoe.hash.sida.SidaEvaluation}: hit rate (router top-1 within predicted top-k), per
 *       layer and mean.
 * </ul>
 */
package dev.ringmoe.hash.sida;
