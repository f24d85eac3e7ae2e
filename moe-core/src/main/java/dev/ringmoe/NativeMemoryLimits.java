package dev.ringmoe;

import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before any weight is loaded, that the weights a model is about to hold fit under
 * JavaCPP's native memory limits, so that a host JVM started without the flags the README lists
 * fails at {@link MoeModel.Builder#build()} with a message naming them, instead of deep inside a
 * later allocation with JavaCPP's {@code OutOfMemoryError} "Physical memory usage is too high".
 *
 * <p>What JavaCPP enforces (measured with nd4j-native 1.0.0-M2.1, JavaCPP 1.5.7): on every native
 * allocation it registers, it refuses to go on when the process's resident memory ({@link
 * Pointer#physicalBytes()}, which counts the touched pages of the memory-mapped checkpoint as well
 * as ND4J's native arrays) is above {@link Pointer#maxPhysicalBytes()} ({@code
 * -Dorg.bytedeco.javacpp.maxphysicalbytes}, by default a small multiple of {@code -Xmx}). ND4J's
 * data buffers are allocated by libnd4j and do not count towards {@link Pointer#maxBytes()} ({@code
 * -Dorg.bytedeco.javacpp.maxbytes}), so the weights are checked against the physical limit; the
 * message names both flags because the README recommends setting both.
 *
 * <p>The check is a lower bound, so it refuses only models that cannot fit: the float32 weights the
 * store keeps (all of them when resident; at most its device budget when streaming) will be
 * resident memory on top of what the process already uses. A limit of 0 means no limit, as in
 * JavaCPP.
 *
 * <p>Stateless and thread-safe. Public so that tools (such as {@code ringmoe info}) report the same
 * verdict {@code build()} reaches.
 */
public final class NativeMemoryLimits {
  private static final Logger LOG = LoggerFactory.getLogger(NativeMemoryLimits.class);

  static final String MAX_BYTES_FLAG = "-Dorg.bytedeco.javacpp.maxbytes";
  static final String MAX_PHYSICAL_BYTES_FLAG = "-Dorg.bytedeco.javacpp.maxphysicalbytes";

  private NativeMemoryLimits() {}

  /**
   * Checks {@code neededBytes} of weights against this JVM's JavaCPP limits.
   *
   * @throws IllegalStateException naming both JavaCPP flags and the bytes needed, if they cannot
   *     fit
   */
  public static void check(long neededBytes, String what) {
    long max = Pointer.maxPhysicalBytes();
    if (max <= 0) {
      return; // no limit: nothing to read, and physicalBytes() is native
    }
    long inUse;
    try {
      inUse = Pointer.physicalBytes();
    } catch (UnsatisfiedLinkError e) {
      // JavaCPP itself skips its physical check when its native library lacks physicalBytes(); do
      // the same.
      LOG.debug("JavaCPP cannot report physical memory; native memory limits not checked", e);
      return;
    }
    check(neededBytes, inUse, max, what);
  }

  /**
   * The check itself, on given numbers.
   *
   * @param neededBytes bytes the model's weights will occupy in native or mapped memory
   * @param inUseBytes the process's resident memory now (0 if unknown)
   * @param maxPhysicalBytes JavaCPP's physical limit (0: none)
   * @param what what needs the bytes, for the message
   */
  static void check(long neededBytes, long inUseBytes, long maxPhysicalBytes, String what) {
    if (maxPhysicalBytes <= 0 || neededBytes <= 0) {
      return;
    }
    long inUse = Math.max(0, inUseBytes);
    // Saturating: neededBytes can be near Long.MAX_VALUE for an absurd config.
    long total = neededBytes > Long.MAX_VALUE - inUse ? Long.MAX_VALUE : neededBytes + inUse;
    if (total <= maxPhysicalBytes) {
      return;
    }
    throw new IllegalStateException(
        String.format(
            Locale.ROOT,
            "%s need %s (%,d bytes) of native memory, but"
                + " JavaCPP (which ND4J allocates through) limits this JVM to %s of physical memory (%s, by default a"
                + " multiple of -Xmx) and %s are in use: start the JVM with %s=0 %s=0 (0 lifts the limits; see the"
                + " README), give larger limits, or set a device memory budget that holds fewer weights",
            what,
            ByteSizes.format(neededBytes),
            neededBytes,
            ByteSizes.format(maxPhysicalBytes),
            MAX_PHYSICAL_BYTES_FLAG,
            ByteSizes.format(inUse),
            MAX_BYTES_FLAG,
            MAX_PHYSICAL_BYTES_FLAG));
  }
}
