package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a manifest tensor's values lie inside a larger checkpoint tensor, for checkpoints that
 * stack a layer's experts in one tensor ({@code [experts, ...]}), fuse projections (gate and up
 * interleaved in one matrix) or store a matrix transposed ({@code x @ W} rather than {@code [out,
 * in]}). Element {@code (r, c)} of the manifest's {@code [rows, cols]} tensor (a vector is one row)
 * is element {@code first + r * rowStride + c * colStride} of the stored tensor read flat,
 * row-major. Loading reads only the range those elements span ({@link #spanStart()}, {@link
 * #spanEnd()}), so streaming one expert reads that expert's part of the stacked tensor.
 *
 * <p>The stored tensor is {@link Encoding#DENSE} (its dtype's elements; {@link #storedShape()} is
 * its header shape) or {@link Encoding#MXFP4}: the OCP microscaling FP4 format as the released
 * gpt-oss checkpoints store it, a {@code *_blocks} tensor (U8 {@code [..., K / 32, 16]}, two E2M1
 * values per byte, low nibble first) named by the entry and a {@code *_scales} tensor (U8 {@code
 * [..., K / 32]}, an E8M0 exponent per 32 values) named by {@link #scales()}; {@link
 * #storedShape()} is then the decoded shape {@code [..., K]}, which the flat index refers to.
 *
 * <p>Immutable and thread-safe.
 */
public final class StoredSlice {
  /** How the stored tensor holds its values. */
  public enum Encoding {
    /** Plain elements of a floating-point dtype. */
    DENSE,
    /** MXFP4 blocks plus E8M0 scales per 32 values along the last dimension. */
    MXFP4
  }

  /** Values per MXFP4 block (one scale each). */
  public static final int MXFP4_BLOCK = 32;

  private final long[] storedShape;
  private final long first;
  private final long rowStride;
  private final long colStride;
  private final Encoding encoding;
  private final String scales;

  private StoredSlice(
      long[] storedShape,
      long first,
      long rowStride,
      long colStride,
      Encoding encoding,
      String scales) {
    this.storedShape = storedShape.clone();
    this.first = first;
    this.rowStride = rowStride;
    this.colStride = colStride;
    this.encoding = Objects.requireNonNull(encoding);
    this.scales = scales;
    Preconditions.checkArgument(
        (encoding == Encoding.MXFP4) == (scales != null), "MXFP4 needs its scales tensor");
    Preconditions.checkArgument(
        encoding != Encoding.MXFP4 || storedShape[storedShape.length - 1] % MXFP4_BLOCK == 0,
        "MXFP4 rows are whole blocks of %s: %s",
        MXFP4_BLOCK,
        Arrays.toString(storedShape));
  }

  /**
   * Rows {@code rowStart, rowStart + rowStep, ...} of item {@code item} of a stacked tensor of
   * {@code [out, in]} matrices ({@code storedShape} {@code [items, out, in]}): gate = the even rows
   * of a fused, interleaved gate/up matrix is {@code rows(shape, e, 0, 2)}.
   */
  public static StoredSlice rows(long[] storedShape, long item, long rowStart, long rowStep) {
    return rows(storedShape, item, rowStart, rowStep, Encoding.DENSE, null);
  }

  /** {@link #rows(long[], long, long, long)} of an MXFP4 tensor with its scales tensor. */
  public static StoredSlice mxfp4Rows(
      long[] decodedShape, long item, long rowStart, long rowStep, String scales) {
    return rows(decodedShape, item, rowStart, rowStep, Encoding.MXFP4, scales);
  }

  private static StoredSlice rows(
      long[] shape, long item, long rowStart, long rowStep, Encoding encoding, String scales) {
    Preconditions.checkArgument(shape.length == 3, "[items, out, in]: %s", Arrays.toString(shape));
    long in = shape[2];
    return new StoredSlice(
        shape, (item * shape[1] + rowStart) * in, rowStep * in, 1, encoding, scales);
  }

  /**
   * The {@code [out, in]} matrix whose rows are columns {@code colStart, colStart + colStep, ...}
   * of item {@code item} of a stacked tensor stored for {@code x @ W} ({@code storedShape} {@code
   * [items, in, out]}): Hugging Face's gpt-oss {@code gate_up_proj} [E, hidden, 2I] (gate = even
   * columns) and {@code down_proj} [E, I, hidden].
   */
  public static StoredSlice transposedColumns(
      long[] storedShape, long item, long colStart, long colStep) {
    Preconditions.checkArgument(
        storedShape.length == 3, "[items, in, out]: %s", Arrays.toString(storedShape));
    long out = storedShape[2];
    return new StoredSlice(
        storedShape, item * storedShape[1] * out + colStart, colStep, out, Encoding.DENSE, null);
  }

  /**
   * Entries {@code start, start + step, ...} of row {@code item} of a stacked vector tensor ({@code
   * storedShape} {@code [items, n]}), such as the experts' biases.
   */
  public static StoredSlice vector(long[] storedShape, long item, long start, long step) {
    Preconditions.checkArgument(
        storedShape.length == 2, "[items, n]: %s", Arrays.toString(storedShape));
    return new StoredSlice(
        storedShape, item * storedShape[1] + start, 0, step, Encoding.DENSE, null);
  }

  /** The stored tensor's shape (for MXFP4 the decoded shape). */
  public long[] storedShape() {
    return storedShape.clone();
  }

  public Encoding encoding() {
    return encoding;
  }

  /** The MXFP4 scales tensor's name, or null for a dense tensor. */
  public String scales() {
    return scales;
  }

  /** The flat stored index of element {@code (row, col)}. */
  public long index(long row, long col) {
    return first + row * rowStride + col * colStride;
  }

  /** The first stored element of a {@code [rows, cols]} slice. */
  public long spanStart() {
    return first;
  }

  /** One past the last stored element a {@code [rows, cols]} slice reads. */
  public long spanEnd(long rows, long cols) {
    return first + (rows - 1) * rowStride + (cols - 1) * colStride + 1;
  }

  @Override
  public String toString() {
    return encoding
        + Arrays.toString(storedShape)
        + "[first "
        + first
        + ", strides "
        + rowStride
        + "/"
        + colStride
        + "]";
  }
}
