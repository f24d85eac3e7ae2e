package dev.ringmoe.checkpoint;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Releases memory mappings at once instead of whenever the GC gets to them, so that closing a
 * checkpoint really returns its address space and file handles (and, on Windows, lets the files be
 * deleted).
 */
final class Unmapper {
  private static final MethodHandle INVOKE_CLEANER = find();

  private Unmapper() {}

  private static MethodHandle find() {
    try {
      // sun.misc.Unsafe lives in jdk.unsupported, which is readable without flags on JDK 17 and
      // later.
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field f = unsafeClass.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      Object unsafe = f.get(null);
      return MethodHandles.lookup()
          .findVirtual(
              unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(unsafe);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // fall back to letting the GC unmap
    }
  }

  /** Whether {@link #unmap} really unmaps on this JVM. */
  static boolean available() {
    return INVOKE_CLEANER != null;
  }

  static void unmap(ByteBuffer buffer) {
    if (INVOKE_CLEANER == null || !buffer.isDirect()) {
      return;
    }
    try {
      INVOKE_CLEANER.invokeExact(buffer);
    } catch (Throwable t) {
      // Unmapping is an optimisation; the GC will release the mapping later.
    }
  }
}
