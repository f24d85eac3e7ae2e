package dev.ringmoe.checkpoint;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * {@link Storage#DIRECT}: reads tensors with direct I/O ({@code O_DIRECT}), so that nothing of the
 * checkpoint lands in the kernel's page cache.
 *
 * <p>Each shard is opened with {@link ExtendedOpenOption#DIRECT}. Direct I/O wants the file offset,
 * the length and the buffer's address aligned to the file system's block size ({@link
 * java.nio.file.FileStore#getBlockSize()}, typically 512 or 4096 bytes), so reads go into aligned
 * staging buffers and the wanted bytes are copied out. The staging buffers form the <em>host
 * staging area</em>: a bounded pool ({@link #stagingBytes()}), allocated as needed and shared by
 * all callers; a read larger than one buffer is split. A batch ({@link #readRaw(List, List)}) is
 * sorted per shard and byte ranges closer than the coalescing gap are merged into one read (the gap
 * is read and discarded). Reads are positional and run on a small pool of daemon threads named
 * {@code ringmoe-direct-io-N}, several in flight at once; the calling thread copies out finished
 * buffers and waits for the rest. The last read of a file may be short at its end.
 *
 * <p>Failures propagate to the caller as {@link IOException}s naming the file and offset; an
 * interrupt of the caller while it waits ends the read with an {@link InterruptedIOException}
 * (interrupt status set again), after reads already running finish. File systems without direct I/O
 * (tmpfs on older kernels, some overlay file systems) are refused at {@link #open} with an {@code
 * IOException} saying so.
 *
 * <p>Thread-safe. The reader does not own the checkpoint but opens its own file descriptors; {@link
 * #close()} (idempotent) waits for reads in progress, then closes the files, stops the threads and
 * frees the staging area.
 */
public final class DirectTensorReader implements TensorReader {
  /** Default size of one staging buffer, and so the largest single read: 4 MiB. */
  public static final int DEFAULT_BUFFER_BYTES = 4 << 20;

  /** Default coalescing gap: ranges closer than 256 KiB are read as one. */
  public static final long DEFAULT_COALESCE_GAP = 256L << 10;

  /** Default number of I/O threads. */
  public static final int DEFAULT_THREADS = 2;

  private static final int FALLBACK_BLOCK = 4096;
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private final Checkpoint checkpoint;
  private final Map<Path, FileChannel> channels;
  private final int align;
  private final int bufferBytes;
  private final int maxBuffers;
  private final long coalesceGap;
  private final ThreadPoolExecutor executor;
  private final BlockingQueue<Staging> free = new LinkedBlockingQueue<>();
  private final AtomicInteger allocated = new AtomicInteger();
  private final List<Staging> everyBuffer = new ArrayList<>(); // guarded by itself
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private DirectTensorReader(
      Checkpoint checkpoint,
      Map<Path, FileChannel> channels,
      int align,
      long stagingBytes,
      int bufferBytes,
      int threads,
      long coalesceGap) {
    this.checkpoint = checkpoint;
    this.channels = channels;
    this.align = align;
    int buffer = (int) Math.min(bufferBytes, Math.max(align, stagingBytes));
    buffer = Math.max(align, buffer / align * align);
    this.bufferBytes = buffer;
    this.maxBuffers = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2, stagingBytes / buffer));
    this.coalesceGap = coalesceGap;
    this.executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(maxBuffers),
            r -> {
              Thread t = new Thread(r, "ringmoe-direct-io-" + THREAD_IDS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** A reader with the default staging area ({@link TensorReader#DEFAULT_STAGING_BYTES}). */
  public static DirectTensorReader open(Checkpoint checkpoint) throws IOException {
    return open(checkpoint, DEFAULT_STAGING_BYTES);
  }

  /** A reader with a staging area of {@code stagingBytes} and the other defaults. */
  public static DirectTensorReader open(Checkpoint checkpoint, long stagingBytes)
      throws IOException {
    return open(
        checkpoint, stagingBytes, DEFAULT_BUFFER_BYTES, DEFAULT_THREADS, DEFAULT_COALESCE_GAP);
  }

  /**
   * Opens every shard of {@code checkpoint} for direct I/O and reads its first block, so that a
   * file system without direct I/O is found here rather than at the first read.
   *
   * @param stagingBytes the host staging area: {@code stagingBytes / bufferBytes} buffers (at least
   *     one; smaller than one buffer means one buffer of {@code stagingBytes}, rounded down to the
   *     block size but at least one block)
   * @param bufferBytes one staging buffer, the largest single read (rounded down to the block size)
   * @param threads I/O threads, 1 to 64
   * @param coalesceGap ranges of one shard at most this many bytes apart are read as one (0 merges
   *     only touching ranges)
   * @throws IOException naming the file if a shard cannot be opened or read with direct I/O; when
   *     its file system does not support direct I/O the message says so
   */
  public static DirectTensorReader open(
      Checkpoint checkpoint, long stagingBytes, int bufferBytes, int threads, long coalesceGap)
      throws IOException {
    if (stagingBytes <= 0 || bufferBytes <= 0) {
      throw new IllegalArgumentException(
          "staging bytes and buffer bytes must be positive, were "
              + stagingBytes
              + " and "
              + bufferBytes);
    }
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("I/O threads must be in [1, 64], was " + threads);
    }
    if (coalesceGap < 0) {
      throw new IllegalArgumentException("coalescing gap must be >= 0, was " + coalesceGap);
    }
    Map<Path, FileChannel> channels = new LinkedHashMap<>();
    int align = 512;
    try {
      for (String name : checkpoint.tensorNames()) {
        Path file = checkpoint.tensor(name).file();
        if (!channels.containsKey(file)) {
          int block = blockSize(file);
          align = Math.max(align, block);
          channels.put(file, openDirect(file, block));
        }
      }
    } catch (IOException | RuntimeException e) {
      closeAll(channels.values(), e);
      throw e;
    }
    return new DirectTensorReader(
        checkpoint, channels, align, stagingBytes, bufferBytes, threads, coalesceGap);
  }

  private static int blockSize(Path file) {
    try {
      long b = Files.getFileStore(file).getBlockSize();
      if (b >= 512 && b <= (1 << 20) && Long.bitCount(b) == 1) {
        return (int) b;
      }
    } catch (IOException | UnsupportedOperationException e) {
      // fall through
    }
    return FALLBACK_BLOCK;
  }

  private static FileChannel openDirect(Path file, int block) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
    } catch (NoSuchFileException | AccessDeniedException e) {
      throw e;
    } catch (IOException | UnsupportedOperationException e) {
      throw unsupported(file, e);
    }
    try {
      // A file system may accept O_DIRECT at open and refuse it at the first read (EINVAL).
      ByteBuffer probe = ByteBuffer.allocateDirect(2 * block).alignedSlice(block);
      probe.limit(block);
      ch.read(probe, 0);
      return ch;
    } catch (IOException | RuntimeException e) {
      IOException failure = unsupported(file, e);
      try {
        ch.close();
      } catch (IOException suppressed) {
        failure.addSuppressed(suppressed);
      }
      throw failure;
    }
  }

  private static IOException unsupported(Path file, Exception cause) {
    String type;
    try {
      type = Files.getFileStore(file).type();
    } catch (IOException | RuntimeException e) {
      type = "unknown";
    }
    return new IOException(
        file
            + ": direct I/O (O_DIRECT) is not supported on this file's file system ("
            + type
            + "): "
            + cause
            + "; use Storage.MAPPED for this checkpoint",
        cause);
  }

  private static void closeAll(Iterable<FileChannel> channels, Throwable primary) {
    for (FileChannel c : channels) {
      try {
        c.close();
      } catch (IOException suppressed) {
        primary.addSuppressed(suppressed);
      }
    }
  }

  /** The alignment of reads, offsets and buffers: the largest block size among the shards. */
  public int alignment() {
    return align;
  }

  /** The size of one staging buffer, the largest single read. */
  public int bufferBytes() {
    return bufferBytes;
  }

  /**
   * The staging area's bound: buffer count times (buffer size plus one block of alignment slack).
   */
  @Override
  public long stagingBytes() {
    return (long) maxBuffers * (bufferBytes + align);
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
  public void readRaw(TensorInfo tensor, ByteBuffer dst) throws IOException {
    readRaw(List.of(tensor), List.of(dst));
  }

  @Override
  public void readRaw(List<TensorInfo> tensors, List<ByteBuffer> dsts) throws IOException {
    if (tensors.size() != dsts.size()) {
      throw new IllegalArgumentException(
          tensors.size() + " tensors but " + dsts.size() + " destinations");
    }
    Map<Path, List<Item>> byFile = new LinkedHashMap<>();
    List<Item> items = new ArrayList<>(tensors.size());
    for (int i = 0; i < tensors.size(); i++) {
      TensorInfo t = tensors.get(i);
      ByteBuffer dst = dsts.get(i);
      checkpoint.fileOf(t); // refuses a tensor from elsewhere
      if (dst.remaining() < t.byteSize()) {
        throw new IllegalArgumentException(
            t.file()
                + ": tensor '"
                + t.name()
                + "' has "
                + t.byteSize()
                + " bytes but the destination has only "
                + dst.remaining()
                + " remaining");
      }
      Item item = new Item(t, dst);
      items.add(item);
      if (t.byteSize() > 0) {
        byFile.computeIfAbsent(t.file(), f -> new ArrayList<>()).add(item);
      }
    }
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(
            "direct tensor reader of " + checkpoint.directory() + " is closed");
      }
      run(plan(byFile));
    } finally {
      lifecycle.readLock().unlock();
    }
    for (Item item : items) {
      item.dst.position(item.dstBase + (int) item.tensor.byteSize());
    }
  }

  /**
   * Sorts each shard's ranges, merges those within the gap, splits runs into buffer-sized reads.
   */
  private List<Chunk> plan(Map<Path, List<Item>> byFile) {
    List<Chunk> chunks = new ArrayList<>();
    for (Map.Entry<Path, List<Item>> e : byFile.entrySet()) {
      FileChannel ch = channels.get(e.getKey());
      List<Item> sorted = new ArrayList<>(e.getValue());
      sorted.sort(Comparator.comparingLong(Item::start));
      int first = 0;
      while (first < sorted.size()) {
        long start = sorted.get(first).start();
        long end = sorted.get(first).end();
        int last = first + 1;
        while (last < sorted.size() && sorted.get(last).start() - end <= coalesceGap) {
          end = Math.max(end, sorted.get(last).end());
          last++;
        }
        List<Item> run = sorted.subList(first, last);
        long alignedEnd = (end + align - 1) / align * align;
        for (long pos = start / align * align; pos < alignedEnd; pos += bufferBytes) {
          int len = (int) Math.min(bufferBytes, alignedEnd - pos);
          List<Item> overlapping = new ArrayList<>();
          long needed = 0;
          for (Item item : run) {
            if (item.start() < pos + len && item.end() > pos) {
              overlapping.add(item);
              needed = Math.max(needed, Math.min(item.end(), pos + len) - pos);
            }
          }
          if (!overlapping.isEmpty()) {
            chunks.add(new Chunk(e.getKey(), ch, pos, len, (int) needed, overlapping));
          }
        }
        first = last;
      }
    }
    return chunks;
  }

  /** Issues the reads, several in flight, and copies each out as it completes, in order. */
  private void run(List<Chunk> chunks) throws IOException {
    ArrayDeque<Pending> inflight = new ArrayDeque<>();
    boolean done = false;
    try {
      for (Chunk c : chunks) {
        // Checked here as well: a wait on a read that already finished does not see an interrupt.
        if (Thread.currentThread().isInterrupted()) {
          throw interrupted(c);
        }
        Staging s = acquire(inflight, c);
        Future<Integer> f;
        try {
          f = executor.submit(() -> readChunk(c, s.buffer));
        } catch (RuntimeException e) {
          release(s);
          throw e;
        }
        requests.incrementAndGet();
        inflight.add(new Pending(c, s, f));
      }
      while (!inflight.isEmpty()) {
        completeOldest(inflight);
      }
      done = true;
    } finally {
      if (!done) {
        abandon(inflight);
      }
    }
  }

  private Staging acquire(ArrayDeque<Pending> inflight, Chunk next) throws IOException {
    while (true) {
      Staging s = free.poll();
      if (s != null) {
        return s;
      }
      if (allocated.incrementAndGet() <= maxBuffers) {
        return allocate();
      }
      allocated.decrementAndGet();
      if (!inflight.isEmpty()) {
        completeOldest(inflight);
        continue;
      }
      try {
        return free.take();
      } catch (InterruptedException e) {
        throw interrupted(next);
      }
    }
  }

  private Staging allocate() {
    ByteBuffer raw = ByteBuffer.allocateDirect(bufferBytes + align);
    Staging s = new Staging(raw, raw.alignedSlice(align));
    synchronized (everyBuffer) {
      everyBuffer.add(s);
    }
    return s;
  }

  private void release(Staging s) {
    free.add(s);
  }

  /** Runs on an I/O thread: fills the buffer from the chunk's position; returns the bytes read. */
  private int readChunk(Chunk c, ByteBuffer buffer) throws IOException {
    ByteBuffer b = buffer.duplicate();
    b.clear().limit(c.length);
    while (b.hasRemaining()) {
      int r = c.channel.read(b, c.position + b.position());
      // End of file: nothing more, or a short read that leaves the next offset unaligned.
      if (r <= 0 || b.position() % align != 0) {
        break;
      }
    }
    return b.position();
  }

  private void completeOldest(ArrayDeque<Pending> inflight) throws IOException {
    Pending p = inflight.peek();
    int valid;
    try {
      valid = p.future.get();
    } catch (InterruptedException e) {
      throw interrupted(p.chunk);
    } catch (ExecutionException e) {
      inflight.poll();
      release(p.staging);
      Throwable cause = e.getCause();
      throw new IOException(
          p.chunk.file
              + ": direct read of "
              + p.chunk.length
              + " bytes at offset "
              + p.chunk.position
              + " failed: "
              + cause,
          cause);
    }
    inflight.poll();
    try {
      bytesRead.addAndGet(valid);
      if (valid < p.chunk.needed) {
        Item short_ = null;
        for (Item item : p.chunk.items) {
          if (item.end() > p.chunk.position + valid) {
            short_ = item;
            break;
          }
        }
        throw new CheckpointFormatException(
            p.chunk.file,
            short_ == null ? null : short_.tensor.name(),
            "file ends at byte "
                + (p.chunk.position + valid)
                + ", inside the tensor's data (truncated after open?)");
      }
      ByteBuffer src = p.staging.buffer;
      for (Item item : p.chunk.items) {
        long from = Math.max(item.start(), p.chunk.position);
        long to = Math.min(item.end(), p.chunk.position + p.chunk.length);
        item.dst.put(
            item.dstBase + (int) (from - item.start()),
            src,
            (int) (from - p.chunk.position),
            (int) (to - from));
      }
    } finally {
      release(p.staging);
    }
  }

  private InterruptedIOException interrupted(Chunk c) {
    Thread.currentThread().interrupt();
    InterruptedIOException e =
        new InterruptedIOException(
            c.file + ": interrupted waiting for a direct read at offset " + c.position);
    return e;
  }

  /**
   * After a failure or interrupt: cancels reads not yet started and waits (uninterruptibly: they
   * are single bounded reads) for those running, so that their staging buffers can be reused.
   */
  private void abandon(ArrayDeque<Pending> inflight) {
    boolean interrupted = Thread.interrupted();
    for (Pending p : inflight) {
      if (!p.future.cancel(false)) {
        while (true) {
          try {
            p.future.get();
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          } catch (ExecutionException | CancellationException e) {
            break;
          }
        }
      }
      release(p.staging);
    }
    inflight.clear();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for reads in progress, then closes the files, stops the threads, frees the staging. */
  @Override
  public void close() throws IOException {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      executor.shutdown();
      boolean interrupted = false;
      while (true) {
        try {
          if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
            break;
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      IOException first = null;
      for (FileChannel c : channels.values()) {
        try {
          c.close();
        } catch (IOException e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      synchronized (everyBuffer) {
        for (Staging s : everyBuffer) {
          Unmapper.unmap(s.raw);
        }
        everyBuffer.clear();
      }
      free.clear();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (first != null) {
        throw first;
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "DirectTensorReader["
        + checkpoint.directory()
        + ", "
        + channels.size()
        + " file(s), alignment "
        + align
        + ", "
        + maxBuffers
        + " x "
        + bufferBytes
        + " staging bytes, "
        + executor.getCorePoolSize()
        + " threads]";
  }

  /** One tensor of a batch: where its bytes go. */
  private static final class Item {
    final TensorInfo tensor;
    final ByteBuffer dst;
    final int dstBase;

    Item(TensorInfo tensor, ByteBuffer dst) {
      this.tensor = tensor;
      this.dst = dst;
      this.dstBase = dst.position();
    }

    long start() {
      return tensor.fileOffset();
    }

    long end() {
      return tensor.fileOffset() + tensor.byteSize();
    }
  }

  /**
   * One aligned positional read: {@code length} bytes at {@code position}, of which the first
   * {@code needed} must exist for its tensors.
   */
  private static final class Chunk {
    final Path file;
    final FileChannel channel;
    final long position;
    final int length;
    final int needed;
    final List<Item> items;

    Chunk(Path file, FileChannel channel, long position, int length, int needed, List<Item> items) {
      this.file = file;
      this.channel = channel;
      this.position = position;
      this.length = length;
      this.needed = needed;
      this.items = items;
    }
  }

  /** A staging buffer: the allocation (freed at close) and its aligned slice. */
  private static final class Staging {
    final ByteBuffer raw;
    final ByteBuffer buffer;

    Staging(ByteBuffer raw, ByteBuffer buffer) {
      this.raw = raw;
      this.buffer = buffer;
    }
  }

  private static final class Pending {
    final Chunk chunk;
    final Staging staging;
    final Future<Integer> future;

    Pending(Chunk chunk, Staging staging, Future<Integer> future) {
      this.chunk = chunk;
      this.staging = staging;
      this.future = future;
    }
  }
}
