package dev.ringmoe.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * Reads tensors' raw bytes, as a safetensors file stores them (little-endian, {@link
 * TensorInfo#byteSize()} bytes), out of a {@link Checkpoint}: the storage tier's one way to the
 * disk. {@link RawFloats#toFloat32} turns floating-point bytes into float32.
 *
 * <p>Implementations are thread-safe: any number of threads may read at once. A reader does not own
 * its checkpoint; close the reader before the checkpoint. {@link #close()} is idempotent; reading
 * after it throws {@link IllegalStateException}.
 */
public interface TensorReader extends AutoCloseable {
  /** The default host staging area of a {@link Storage#DIRECT} reader: 64 MiB. */
  long DEFAULT_STAGING_BYTES = 64L << 20;

  /**
   * A reader of {@code checkpoint} by {@code storage}.
   *
   * @param stagingBytes the host staging area for {@link Storage#DIRECT} (at least one aligned
   *     block is used; ignored for {@link Storage#MAPPED})
   * @throws IOException for {@link Storage#DIRECT}, if a shard cannot be opened for direct I/O,
   *     naming the file (and saying so when its file system does not support direct I/O)
   */
  static TensorReader open(Checkpoint checkpoint, Storage storage, long stagingBytes)
      throws IOException {
    Objects.requireNonNull(checkpoint, "checkpoint");
    switch (Objects.requireNonNull(storage, "storage")) {
      case MAPPED:
        return new MappedTensorReader(checkpoint);
      case DIRECT:
        return DirectTensorReader.open(checkpoint, stagingBytes);
      default:
        throw new AssertionError(storage);
    }
  }

  /**
   * Copies {@code tensor}'s raw bytes into {@code dst} from its position, advancing the position by
   * {@code tensor.byteSize()}. If an exception is thrown, {@code dst}'s content and position are
   * unspecified.
   *
   * @throws IllegalArgumentException if {@code dst} has fewer bytes remaining than the tensor, or
   *     the tensor is not from this reader's checkpoint
   * @throws java.io.InterruptedIOException if the calling thread is interrupted while waiting (its
   *     interrupt status is set again)
   * @throws IOException naming the file and offset if reading fails
   */
  void readRaw(TensorInfo tensor, ByteBuffer dst) throws IOException;

  /**
   * As {@link #readRaw(TensorInfo, ByteBuffer)} for each {@code tensors.get(i)} into {@code
   * dsts.get(i)}, in one batch: an implementation may merge nearby byte ranges of one shard into
   * fewer, larger requests and keep several in flight. The destinations must not overlap.
   *
   * @throws IllegalArgumentException if the lists differ in size, or as the single read
   */
  void readRaw(List<TensorInfo> tensors, List<ByteBuffer> dsts) throws IOException;

  /**
   * Bytes transferred from storage so far: for {@link Storage#DIRECT} including alignment padding
   * and the gaps that coalescing reads over; for {@link Storage#MAPPED} the bytes copied.
   */
  long bytesRead();

  /**
   * Read requests issued so far: positional reads for {@link Storage#DIRECT} (after coalescing and
   * splitting at the staging buffer size), tensors copied for {@link Storage#MAPPED}.
   */
  long requests();

  /**
   * Bytes of host memory this reader holds, or may hold, for staging: the bound given at open for
   * {@link Storage#DIRECT} (rounded to whole buffers), 0 for {@link Storage#MAPPED}.
   */
  long stagingBytes();

  /** Releases the reader's files, threads and staging memory; idempotent. */
  @Override
  void close() throws IOException;
}
