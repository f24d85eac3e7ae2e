package dev.ringmoe.checkpoint;

import java.io.IOException;

/**
 * Supplies tensor values, as float32, to {@link CheckpointWriter} one chunk at a time, so that a
 * checkpoint never has to be held in memory whole. Called from the writing thread only, in tensor
 * order and element order.
 */
@FunctionalInterface
public interface TensorSource {
  /**
   * Writes elements {@code firstElement .. firstElement + count - 1} (row-major) of {@code spec}
   * into {@code dst[0 .. count - 1]}. {@code dst} is reused between calls; do not keep it.
   */
  void fill(TensorSpec spec, long firstElement, float[] dst, int count) throws IOException;
}
