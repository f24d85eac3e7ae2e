package dev.ringmoe;

import java.nio.file.Path;

/**
 * Builds the model in {@code args[0]} and prints one line, {@code LOADED} or {@code REFUSED
 * <exception>: <message>}: run in a separate JVM by {@link NativeMemoryLimitsTest}, whose own JVM
 * has JavaCPP's limits lifted.
 */
final class NativeMemoryLimitsProbe {
  private NativeMemoryLimitsProbe() {}

  public static void main(String[] args) {
    try (MoeModel model = MoeModel.builder().checkpoint(Path.of(args[0])).build()) {
      model.logits(new int[] {1, 2, 3});
      System.out.println("LOADED");
    } catch (Throwable e) {
      System.out.println("REFUSED " + e.getClass().getName() + ": " + e.getMessage());
    }
  }
}
