/**
 * Text to token ids and back for RingMoE checkpoints.
 *
 * <p>{@link dev.ringmoe.tokenizer.Tokenizer} loads a Hugging Face {@code tokenizer.json} (through
 * DJL's bundled Rust {@code tokenizers} library, CPU flavour, never downloading anything) and
 * reproduces the ids that Hugging Face gives for the checkpoint; {@link
 * dev.ringmoe.tokenizer.Tokenizer.StreamingDecoder} turns generated ids into text incrementally;
 * {@link dev.ringmoe.tokenizer.SyntheticTokenizer} writes a working SentencePiece-style BPE
 * tokenizer of any vocabulary size for random-weight test models.
 */
package dev.ringmoe.tokenizer;
