package dev.ringmoe.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How {@link VectorKernels} read the weights' native memory, the one part of the kernels that
 * depends on the JDK: JDK 17 and 18 load vectors from a {@code ByteBuffer} (this class); JDK 22 and
 * later, which removed those methods, from a {@code MemorySegment} (the variant under {@code
 * src/main/java22}, compiled into the jar's {@code META-INF/versions/22} when the build runs on JDK
 * 22 or newer). The kernels hold the memory as an opaque handle from {@link #memory}.
 *
 * <p>Stateless and thread-safe.
 */
final class VectorLoads {
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private VectorLoads() {}

  /** The handle the loads below take, for little-endian {@code bytes}. */
  static Object memory(ByteBuffer bytes) {
    return bytes;
  }

  static IntVector ints(VectorSpecies<Integer> species, Object memory, int offset) {
    return IntVector.fromByteBuffer(species, (ByteBuffer) memory, offset, LE);
  }

  static FloatVector floats(VectorSpecies<Float> species, Object memory, int offset) {
    return FloatVector.fromByteBuffer(species, (ByteBuffer) memory, offset, LE);
  }

  static int getInt(Object memory, int offset) {
    return ((ByteBuffer) memory).getInt(offset);
  }

  static float getFloat(Object memory, int offset) {
    return ((ByteBuffer) memory).getFloat(offset);
  }
}
