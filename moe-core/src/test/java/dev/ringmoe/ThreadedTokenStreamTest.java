package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.generate.TokenStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The stream behind {@link TokenGenerator#stream}: failures, and the end callback owners use. */
class ThreadedTokenStreamTest {
  @Test
  void aFailureInTheGenerationIsRethrownToTheConsumerOnce() throws Exception {
    IllegalStateException failure = new IllegalStateException("the weights went away");
    CountDownLatch ended = new CountDownLatch(1);
    AtomicReference<ThreadedTokenStream> told = new AtomicReference<>();
    ThreadedTokenStream stream =
        new ThreadedTokenStream(
            listener -> {
              listener.onToken(7, "a");
              throw failure;
            },
            s -> {
              told.set(s);
              ended.countDown();
            });
    try (TokenStream s = stream) {
      assertTrue(s.hasNext());
      assertEquals(7, s.next().id());
      assertSame(failure, assertThrows(IllegalStateException.class, s::hasNext));
      assertFalse(s.hasNext(), "the failure is reported once");
      assertThrows(IllegalStateException.class, s::result);
    }
    ended.await();
    assertSame(stream, told.get(), "the owner is told the stream ended");
  }
}
