package dev.ringmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.TokenGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pull-style stream on moe-text-16x, and its thread and failure contract. */
@Timeout(300)
class TokenStreamTest {
  private static final String PROMPT = "The Python interpreter";
  private static MoeModel model;

  @BeforeAll
  static void open() throws Exception {
    model = MoeModel.builder().checkpoint(ReferenceData.moeText16x()).build();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void streamsTheSameTokensAndTextAsGenerate() throws Exception {
    GenerationOptions options =
        GenerationOptions.builder().maxNewTokens(30).stop("interpreter.").build();
    List<Integer> ids = new ArrayList<>();
    List<String> pieces = new ArrayList<>();
    GenerationResult expected =
        model.generate(
            PROMPT,
            options,
            (id, text) -> {
              ids.add(id);
              pieces.add(text);
            });
    List<Integer> streamedIds = new ArrayList<>();
    List<String> streamedPieces = new ArrayList<>();
    GenerationResult result;
    try (TokenStream stream = model.stream(PROMPT, options)) {
      while (stream.hasNext()) {
        GeneratedToken t = stream.next();
        streamedIds.add(t.id());
        streamedPieces.add(t.text());
      }
      assertFalse(stream.hasNext());
      assertThrows(NoSuchElementException.class, stream::next);
      result = stream.result();
    }
    assertEquals(ids, streamedIds);
    assertEquals(pieces, streamedPieces);
    assertEquals(GenerationResult.StopReason.STOP_SEQUENCE, result.stopReason());
    assertEquals(expected.text(), result.text());
    assertArrayEquals(expected.generatedIds(), result.generatedIds());
  }

  @Test
  void closingMidwayCancelsAndFreesTheModelForTheNextCall() throws Exception {
    int[] prompt = model.tokenizer().encode(PROMPT);
    GenerationOptions long_ =
        GenerationOptions.builder().maxNewTokens(400).stopAtEos(false).build();
    GenerationOptions next = GenerationOptions.greedy(16);
    GenerationResult fresh;
    try (MoeModel other = MoeModel.builder().checkpoint(ReferenceData.moeText16x()).build()) {
      fresh = other.generate(prompt, next);
    }
    GenerationResult full = model.generate(prompt, long_);
    TokenStream stream = model.stream(prompt, long_);
    int[] firstTwo = {stream.next().id(), stream.next().id()};
    stream.close();
    GenerationResult cancelled = stream.result();
    assertEquals(GenerationResult.StopReason.CANCELLED, cancelled.stopReason());
    int[] handed = cancelled.generatedIds();
    assertTrue(handed.length >= 2 && handed.length < 400, "handed " + handed.length);
    assertArrayEquals(Arrays.copyOf(full.generatedIds(), handed.length), handed);
    assertArrayEquals(Arrays.copyOf(full.generatedIds(), 2), firstTwo);
    assertFalse(stream.hasNext(), "nothing after close");
    stream.close(); // idempotent
    // The model is free at once, and the cancelled generation left nothing behind.
    GenerationResult after = model.generate(prompt, next);
    assertArrayEquals(fresh.generatedIds(), after.generatedIds());
    assertEquals(fresh.text(), after.text());
  }

  @Test
  void closingAfterTheEndKeepsTheResult() throws Exception {
    TokenStream stream = model.stream(PROMPT, GenerationOptions.greedy(3));
    int n = 0;
    while (stream.hasNext()) {
      stream.next();
      n++;
    }
    stream.close();
    assertEquals(3, n);
    assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, stream.result().stopReason());
  }

  @Test
  void closingTheModelCancelsAStreamLeftOpen() throws Exception {
    MoeModel own = MoeModel.builder().checkpoint(ReferenceData.moeText16x()).build();
    TokenStream stream = own.stream(PROMPT, GenerationOptions.greedy(10_000));
    assertTrue(stream.hasNext());
    stream.next(); // then left open: its generation holds the model
    own.close(); // cancels it instead of waiting forever
    assertFalse(stream.hasNext());
    assertEquals(GenerationResult.StopReason.CANCELLED, stream.result().stopReason());
    assertThrows(
        IllegalStateException.class, () -> own.stream(PROMPT, GenerationOptions.greedy(1)));
  }

  @Test
  void aBadPromptIsRefusedBeforeTheStreamStarts() {
    int outside = model.config().vocabSize();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> model.stream(new int[] {1, outside}, GenerationOptions.greedy(4)));
    assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
    assertEquals(
        4, model.generate(new int[] {1}, GenerationOptions.greedy(4)).generatedIds().length);
  }

  @Test
  void runsOnANamedDaemonThreadAndAnInterruptedConsumerCancels() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> worker = new AtomicReference<>();
    AtomicReference<GenerationResult> returned = new AtomicReference<>();
    TokenGenerator gated =
        new Generator() {
          @Override
          public GenerationResult generate(
              int[] promptIds, GenerationOptions options, TokenListener listener) {
            worker.set(Thread.currentThread());
            started.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            GenerationResult r =
                GenerationLoop.run(
                    promptIds, promptIds, options, new Counting(), id -> false, null, listener);
            returned.set(r);
            return r;
          }
        };
    TokenStream stream = gated.stream(new int[] {0}, GenerationOptions.greedy(50));
    started.await();
    assertTrue(worker.get().getName().startsWith("ringmoe-stream-"), worker.get().getName());
    assertTrue(worker.get().isDaemon());
    Thread.currentThread().interrupt();
    GenerationCancelledException e =
        assertThrows(GenerationCancelledException.class, stream::hasNext);
    assertTrue(Thread.interrupted(), "the interrupt status is kept");
    assertTrue(e.getCause() instanceof InterruptedException);
    release.countDown();
    stream.close();
    assertFalse(worker.get().isAlive());
    assertSame(returned.get(), stream.result());
    assertEquals(GenerationResult.StopReason.CANCELLED, stream.result().stopReason());
    assertEquals(0, stream.result().generatedIds().length);
  }

  @Test
  void aSlowConsumerHoldsTheGeneratorAFewTokensAhead() throws Exception {
    List<Integer> offered = new ArrayList<>();
    TokenGenerator counting =
        new Generator() {
          @Override
          public GenerationResult generate(
              int[] promptIds, GenerationOptions options, TokenListener listener) {
            return GenerationLoop.run(
                promptIds,
                promptIds,
                options,
                new Counting(),
                id -> false,
                null,
                (id, text) -> {
                  synchronized (offered) {
                    offered.add(id);
                  }
                  listener.onToken(id, text);
                });
          }
        };
    try (TokenStream stream = counting.stream(new int[] {0}, GenerationOptions.greedy(1000))) {
      assertEquals(1, stream.next().id());
      // Whatever the scheduling, the generator cannot get further ahead than the buffer (the
      // taken token, a full buffer, one waiting for room); the pause only gives it the chance.
      Thread.sleep(50);
      synchronized (offered) {
        assertTrue(offered.size() <= 2 + 4, "offered " + offered.size());
      }
    }
  }

  /** A model whose logits always favour "previous token + 1". */
  private static final class Counting implements GenerationLoop.Model {
    private int last;

    @Override
    public float[] prefill() {
      return logitsFor(0);
    }

    @Override
    public float[] next(int token) {
      last = token;
      return logitsFor(last);
    }

    @Override
    public boolean full() {
      return false;
    }

    private static float[] logitsFor(int token) {
      float[] l = new float[1024];
      l[(token + 1) % l.length] = 10;
      return l;
    }
  }

  private abstract static class Generator implements TokenGenerator {
    @Override
    public Optional<RingStats> ringStats() {
      return Optional.empty();
    }

    @Override
    public void resetStats() {}

    @Override
    public void close() {}
  }
}
