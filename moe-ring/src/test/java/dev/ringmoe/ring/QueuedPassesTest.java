package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code MoeModel.logits(List)} queues the sequences still waiting to the store's hash thread: each
 * sequence is predicted exactly once, on the hash thread, and the queued predictions are the ones
 * the sequence uses when it starts (a prediction per layer per sequence, no second request);
 * outputs stay exact.
 */
class QueuedPassesTest {
  /**
   * Records which sequence (its second token) each call was for; predicts the experts the first
   * call is asked.
   */
  static final class Recording implements ExpertPredictor {
    final AtomicInteger calls = new AtomicInteger();
    final Map<Integer, AtomicInteger> perSequence = new ConcurrentHashMap<>();
    final Map<String, Boolean> threads = new ConcurrentHashMap<>();

    @Override
    public BitSet predict(LayerInput input) {
      calls.incrementAndGet();
      perSequence.computeIfAbsent(input.tokenIds()[1], k -> new AtomicInteger()).incrementAndGet();
      threads.put(Thread.currentThread().getName(), true);
      BitSet s = new BitSet();
      s.set(0, 4); // four experts per layer, so some are right
      return s;
    }

    @Override
    public boolean needsHiddenState() {
      return false;
    }
  }

  @ParameterizedTest(name = "expert cache {0}")
  @ValueSource(booleans = {false, true})
  void queuedSequencesArePredictedOnceAheadAndStayExact(boolean expertCache) throws IOException {
    Path dir = ReferenceData.moeText16x();
    ModelConfig c = ModelConfig.load(dir);
    List<int[]> sequences = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      int[] ids = new int[10];
      ids[0] = 1;
      for (int t = 1; t < ids.length; t++) {
        ids[t] = 100 + 37 * s + 11 * t; // distinct second tokens identify the sequences
      }
      sequences.add(ids);
    }
    List<float[][]> expected = new ArrayList<>();
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      for (int[] ids : sequences) {
        expected.add(resident.logits(ids));
      }
    }
    Recording predictor = new Recording();
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemory(c.float32WeightBytes() / 3)
            .expertCache(expertCache)
            .predictor(predictor)
            .build()) {
      List<float[][]> got = model.logits(sequences);
      for (int s = 0; s < sequences.size(); s++) {
        assertEquals(0.0, ReferenceData.maxAbsDiff(expected.get(s), got.get(s)), "sequence " + s);
      }
      assertEquals(
          sequences.size() * c.layers(),
          predictor.calls.get(),
          "each sequence predicted once per layer (queued requests reused): "
              + predictor.perSequence);
      assertEquals(sequences.size(), predictor.perSequence.size());
      assertTrue(
          predictor.threads.keySet().stream().allMatch(t -> t.startsWith("ringmoe-hash-")),
          "ran on " + predictor.threads.keySet());
      RingStats stats = model.ringStats().orElseThrow();
      assertTrue(stats.prefetchHits() > 0, stats.toString());
    }
  }
}
