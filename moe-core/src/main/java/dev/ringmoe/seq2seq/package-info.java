/**
 * Encoder-decoder models (Switch Transformers, SiDA's models): {@link
 * dev.ringmoe.seq2seq.EncoderDecoderModel} (the API: encode, decode against a {@link
 * dev.ringmoe.seq2seq.DecoderState}, generate) and {@link dev.ringmoe.seq2seq.EncoderDecoder} (the
 * forward pass over a {@link dev.ringmoe.model.WeightStore}).
 */
package dev.ringmoe.seq2seq;
