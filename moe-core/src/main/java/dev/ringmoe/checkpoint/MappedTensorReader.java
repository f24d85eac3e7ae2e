package dev.ringmoe.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Storage#MAPPED}: copies each tensor's bytes from a memory mapping of its shard, made for
 * the call and unmapped after it (as {@link Checkpoint#readFloat32} reads), so the process's
 * resident memory does not grow with what was read; the kernel's page cache keeps the pages.
 * Batches are read tensor by tensor. Thread-safe; holds no staging memory and owns nothing, so
 * {@link #close()} only stops further reads.
 */
public final class MappedTensorReader implements TensorReader {
  private final Checkpoint checkpoint;
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private volatile boolean closed;

  public MappedTensorReader(Checkpoint checkpoint) {
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
  }

  @Override
  public void readRaw(TensorInfo tensor, ByteBuffer dst) throws IOException {
    if (closed) {
      throw new IllegalStateException("tensor reader of " + checkpoint.directory() + " is closed");
    }
    checkpoint.fileOf(tensor).readRaw(tensor, dst);
    bytesRead.addAndGet(tensor.byteSize());
    requests.incrementAndGet();
  }

  @Override
  public void readRaw(List<TensorInfo> tensors, List<ByteBuffer> dsts) throws IOException {
    if (tensors.size() != dsts.size()) {
      throw new IllegalArgumentException(
          tensors.size() + " tensors but " + dsts.size() + " destinations");
    }
    for (int i = 0; i < tensors.size(); i++) {
      readRaw(tensors.get(i), dsts.get(i));
    }
  }

  @Override
  public long bytesRead() {
    return bytesRead.get();
  }

  @Override
  public long requests() {
    return requests.get();
  }

  @Override
  public long stagingBytes() {
    return 0;
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "MappedTensorReader[" + checkpoint.directory() + "]";
  }
}
