package dev.ringmoe.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file or directory does not follow the safetensors / Hugging Face layout, or is
 * inconsistent.
 *
 * <p>The message always names the file (or checkpoint directory), the tensor where one is involved,
 * and the problem, e.g. {@code "model.safetensors: tensor 'model.embed_tokens.weight': data_offsets
 * [0, 100) do not match dtype F32 and shape [10, 4] (160 bytes)"}.
 */
public class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String tensorName;

  /**
   * @param file the file or directory at fault
   * @param tensorName the tensor at fault, or {@code null} when the problem is not about one tensor
   * @param problem what is wrong, without the file and tensor (they are prepended)
   */
  public CheckpointFormatException(Path file, String tensorName, String problem) {
    this(file, tensorName, problem, null);
  }

  /** As {@link #CheckpointFormatException(Path, String, String)}, with the underlying cause. */
  public CheckpointFormatException(Path file, String tensorName, String problem, Throwable cause) {
    this(file, tensorName, standardMessage(file, tensorName, problem), cause, true);
  }

  // Separate constructor for the few messages that read better in another shape than "file: tensor
  // 'x': problem".
  private CheckpointFormatException(
      Path file, String tensorName, String message, Throwable cause, boolean marker) {
    super(message, cause);
    this.file = file;
    this.tensorName = tensorName;
  }

  static CheckpointFormatException withMessage(Path file, String tensorName, String message) {
    return new CheckpointFormatException(file, tensorName, message, null, true);
  }

  private static String standardMessage(Path file, String tensorName, String problem) {
    StringBuilder sb = new StringBuilder().append(file);
    if (tensorName != null) {
      sb.append(": tensor '").append(tensorName).append('\'');
    }
    return sb.append(": ").append(problem).toString();
  }

  /** The file or checkpoint directory at fault. */
  public Path file() {
    return file;
  }

  /** The tensor at fault, or {@code null} if the problem is not about one tensor. */
  public String tensorName() {
    return tensorName;
  }
}
