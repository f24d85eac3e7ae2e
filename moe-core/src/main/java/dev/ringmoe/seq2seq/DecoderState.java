package dev.ringmoe.seq2seq;

/**
 * One decoding sequence against one {@link EncoderOutput}: the decoder's self-attention keys and
 * values per decoder layer (float32, grown as tokens come) and its cross-attention keys and values
 * per decoder layer (projected from the encoder output the first time the layer runs, then reused:
 * Hugging Face's {@code EncoderDecoderCache}).
 *
 * <p>Mutable; not thread-safe. Holds only Java memory.
 */
public final class DecoderState {
  private final EncoderOutput encoder;
  private final int inner;
  final float[][] keys;
  final float[][] values;
  final float[][] crossKeys;
  final float[][] crossValues;
  private int length;

  DecoderState(EncoderOutput encoder, int decoderLayers, int inner) {
    this.encoder = encoder;
    this.inner = inner;
    this.keys = new float[decoderLayers][inner * 16];
    this.values = new float[decoderLayers][inner * 16];
    this.crossKeys = new float[decoderLayers][];
    this.crossValues = new float[decoderLayers][];
  }

  /** The encoder output this sequence attends to. */
  public EncoderOutput encoder() {
    return encoder;
  }

  /** Decoder positions already run. */
  public int length() {
    return length;
  }

  /** Makes room for {@code more} positions after {@link #length()} in every layer. */
  void reserve(int more) {
    int need = (length + more) * inner;
    for (int l = 0; l < keys.length; l++) {
      if (keys[l].length < need) {
        int size = Math.max(need, 2 * keys[l].length);
        keys[l] = java.util.Arrays.copyOf(keys[l], size);
        values[l] = java.util.Arrays.copyOf(values[l], size);
      }
    }
  }

  void advance(int tokens) {
    length += tokens;
  }
}
