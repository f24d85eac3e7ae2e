package dev.ringmoe.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * JDK 22+ variant of the kernels' loads (see the JDK 17 class of the same name): vectors from a
 * {@code MemorySegment} over the weights' direct buffer, since JDK 19 removed the Vector API's
 * {@code ByteBuffer} loads.
 *
 * <p>Stateless and thread-safe.
 */
final class VectorLoads {
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

  private VectorLoads() {}

  /** The handle the loads below take, for little-endian {@code bytes}. */
  static Object memory(ByteBuffer bytes) {
    return MemorySegment.ofBuffer(bytes);
  }

  static IntVector ints(VectorSpecies<Integer> species, Object memory, int offset) {
    return IntVector.fromMemorySegment(species, (MemorySegment) memory, offset, LE);
  }

  static FloatVector floats(VectorSpecies<Float> species, Object memory, int offset) {
    return FloatVector.fromMemorySegment(species, (MemorySegment) memory, offset, LE);
  }

  static int getInt(Object memory, int offset) {
    return ((MemorySegment) memory).get(INT, offset);
  }

  static float getFloat(Object memory, int offset) {
    return ((MemorySegment) memory).get(FLOAT, offset);
  }
}
