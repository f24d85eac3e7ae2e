/**
 * The building blocks of a Mixture-of-Experts layer, usable on their own on ND4J arrays: a {@link
 * dev.ringmoe.moe.Router} (the gate) turns router logits into each token's experts and combine
 * weights ({@link dev.ringmoe.moe.Routing}); a {@link dev.ringmoe.moe.FeedForward} is one expert
 * (SwiGLU), and the same type serves as a dense MLP; a {@link dev.ringmoe.moe.SparseMoeBlock} runs
 * the chosen experts, asking an {@link dev.ringmoe.moe.ExpertSource} for each expert's weights as
 * it needs them, so that where the weights live (resident, a ring of device slots, an expert cache)
 * stays invisible to the math.
 *
 * <p>The decoder ({@link dev.ringmoe.model.Decoder}) is built from these; a host application can
 * build a block by hand (see {@code moe-examples}' {@code SparseMoeBlockExample}).
 */
package dev.ringmoe.moe;
