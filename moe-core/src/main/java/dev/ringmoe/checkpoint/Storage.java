package dev.ringmoe.checkpoint;

/**
 * How the storage tier reads a checkpoint's bytes (see {@link TensorReader#open}).
 *
 * <p>{@link #MAPPED} (the default) copies from memory mappings of the shards: fast when the model
 * fits in the page cache, but every byte read stays cached by the kernel. {@link #DIRECT} reads
 * with {@code O_DIRECT} through a bounded, aligned host staging area, so nothing of the model lands
 * in the page cache: for models larger than the host's spare memory, or hosts shared with other
 * work. See {@code docs/storage.md}.
 */
public enum Storage {
  /** Copies from memory mappings ({@link MappedTensorReader}). */
  MAPPED,
  /** Reads with direct I/O, bypassing the page cache ({@link DirectTensorReader}). */
  DIRECT
}
