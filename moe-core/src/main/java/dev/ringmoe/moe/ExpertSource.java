package dev.ringmoe.moe;

import dev.ringmoe.model.ExpertWeights;
import java.util.List;

/**
 * Where a {@link SparseMoeBlock} gets each expert's weights: acquired just before the expert runs
 * and released right after, in the calling thread, each acquire matched by one release. A streaming
 * store loads on acquire; a resident one hands out what it holds.
 */
public interface ExpertSource {
  /** The weights of {@code expert}, valid until {@link #release}. */
  ExpertWeights acquire(int expert);

  void release(int expert);

  /**
   * Experts that are all resident, in a list indexed by expert id; the list and arrays stay the
   * caller's.
   */
  static ExpertSource of(List<ExpertWeights> experts) {
    List<ExpertWeights> copy = List.copyOf(experts);
    return new ExpertSource() {
      @Override
      public ExpertWeights acquire(int expert) {
        return copy.get(expert);
      }

      @Override
      public void release(int expert) {}
    };
  }
}
