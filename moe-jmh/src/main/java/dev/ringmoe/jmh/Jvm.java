package dev.ringmoe.jmh;

/**
 * JVM flags every forked benchmark JVM gets, as compile-time constants so that they can be used in
 * {@code @Fork(jvmArgsAppend = ...)}. JMH's forks do inherit the launching JVM's arguments, but
 * appending these makes each benchmark independent of how it was launched (from an IDE, say); where
 * a flag repeats, the last wins.
 *
 * <ul>
 *   <li>{@link #MAX_BYTES} and {@link #MAX_PHYSICAL_BYTES}: JavaCPP otherwise caps native memory
 *       (ND4J buffers, mapped checkpoints) at {@code -Xmx}.
 *   <li>{@link #ONEDNN}: loads nd4j-native's {@code linux-x86_64-onednn} build rather than the
 *       plain one.
 *   <li>{@link #DEFAULT_BUILD}: an empty extension, which loads the plain {@code linux-x86_64}
 *       build; only {@link NativeBuildBenchmark} uses it.
 *   <li>{@link #VECTOR}: the Java Vector API module the BF16 product kernels need.
 * </ul>
 */
final class Jvm {
  static final String HEAP = "-Xmx4g";
  static final String MAX_BYTES = "-Dorg.bytedeco.javacpp.maxbytes=0";
  static final String MAX_PHYSICAL_BYTES = "-Dorg.bytedeco.javacpp.maxphysicalbytes=0";
  static final String ONEDNN = "-Dorg.bytedeco.javacpp.platform.extension=-onednn";
  static final String DEFAULT_BUILD = "-Dorg.bytedeco.javacpp.platform.extension=";
  static final String VECTOR = "--add-modules=jdk.incubator.vector";

  private Jvm() {}
}
