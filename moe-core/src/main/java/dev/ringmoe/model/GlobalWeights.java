package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights outside the layers, which every token needs and which therefore never stream: the
 * token embedding [vocab, hidden], the final RMSNorm [hidden] and the LM head [vocab, hidden] (the
 * embedding itself when tied).
 *
 * <p>Immutable holder; owned by the {@link WeightStore} that loaded it, which closes it.
 */
public final class GlobalWeights implements AutoCloseable {
  final INDArray embedding;
  final float[] finalNorm;
  final INDArray lmHead;
  private final float[] encoderFinalNorm;

  private GlobalWeights(
      INDArray embedding, float[] finalNorm, INDArray lmHead, float[] encoderFinalNorm) {
    this.embedding = embedding;
    this.finalNorm = finalNorm;
    this.lmHead = lmHead;
    this.encoderFinalNorm = encoderFinalNorm;
  }

  /**
   * Loads the global weights.
   *
   * @param type the model's weight type ({@link Tensors#weightType})
   * @param copy whether tensors stored in that type are copied into native memory rather than read
   *     through the file mapping
   */
  public static GlobalWeights load(
      Checkpoint checkpoint, ModelConfig config, DataType type, boolean copy) throws IOException {
    return of(
        config, SectionWeights.load(checkpoint, WeightManifest.of(config).globals(), type, copy));
  }

  /**
   * Loads the global weights into native memory through {@code reader} (a streaming store's storage
   * tier, so that direct I/O keeps them out of the page cache too).
   */
  public static GlobalWeights load(
      Checkpoint checkpoint, TensorReader reader, ModelConfig config, DataType type)
      throws IOException {
    return of(
        config, SectionWeights.load(checkpoint, reader, WeightManifest.of(config).globals(), type));
  }

  private static GlobalWeights of(ModelConfig config, SectionWeights w) {
    INDArray embedding = w.matrices.get(Role.EMBEDDING);
    INDArray lmHead = config.tieWordEmbeddings() ? embedding : w.matrices.get(Role.LM_HEAD);
    return new GlobalWeights(
        embedding, w.vectors.get(Role.FINAL_NORM), lmHead, w.vectors.get(Role.ENCODER_FINAL_NORM));
  }

  /** The final norm [hidden] (the decoder stack's in an encoder-decoder); do not modify. */
  public float[] finalNorm() {
    return finalNorm;
  }

  /** An encoder-decoder's encoder final norm [hidden], or {@code null}; do not modify. */
  public float[] encoderFinalNorm() {
    return encoderFinalNorm;
  }

  /** The LM head [vocab, hidden] (the embedding when tied). */
  public INDArray lmHead() {
    return lmHead;
  }

  /** The native matrices (the embedding once when tied), for stores that account for them. */
  public List<INDArray> arrays() {
    return lmHead == embedding ? List.of(embedding) : List.of(embedding, lmHead);
  }

  /** Bytes of the weights as held, the final norm included. */
  public long bytes() {
    return arrays().stream().mapToLong(Tensors::bytes).sum() + 4L * finalNorm.length;
  }

  /** Row {@code token} of the embedding, as float32, into {@code dst} from {@code offset}. */
  public void embed(int token, float[] dst, int offset) {
    Tensors.readRow(embedding, token, dst, offset);
  }

  @Override
  public void close() {
    arrays().forEach(INDArray::close);
  }
}
