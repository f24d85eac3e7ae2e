package dev.ringmoe.ring;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.PredictorException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a store's {@link ExpertPredictor} which experts each layer of a pass will use and hands the
 * answers to the store's prefetch: the one place where both ring stores meet their predictor.
 *
 * <p>A predictor that needs the hidden state (gate lookahead) is asked on the decoding thread, one
 * layer ahead, when the store reaches that layer's predecessor. A predictor that works from the
 * token ids alone (a SiDA hash network, frequencies) runs on a named hash-building thread, {@code
 * ringmoe-hash-N}: the decoding thread submits each pass as soon as its tokens are known (the
 * prompt, or a decode token right after it was sampled) through a bounded request queue, and the
 * thread hands every layer's expert set back through a bounded queue that the store drains, without
 * waiting, at each of its hooks. The sets of all layers therefore arrive while the first layers
 * compute, further ahead than lookahead can see; the decoding thread never waits for a prediction
 * (only for a free request place when the thread is {@value #AHEAD} passes behind). A predictor
 * that {@linkplain ExpertPredictor#refines() refines} its up-front answer is also asked on the
 * decoding thread one layer ahead, as lookahead is, and both answers are loaded.
 *
 * <p>Queued requests ({@link #passQueued}) are submitted the same way before they start, so the
 * thread predicts the next sequences while the current one runs; their sets are kept until their
 * pass starts.
 *
 * <p>Failure: a predictor that throws, or a hash thread that dies, is recorded for the pass; the
 * store gets no more predictions for that pass, so the rest of it loads on demand (exactly what the
 * router chose), and {@link #passFinished()} then throws {@link PredictorException} to the caller.
 * The next pass asks the predictor again, on a new thread if the old one died.
 *
 * <p>Confined to the decoding thread apart from the hash thread it owns; {@link #close()} stops
 * that thread.
 */
final class Predictions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Predictions.class);

  /** Passes the hash thread may be behind before the decoding thread waits to submit another. */
  static final int AHEAD = 4;

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Where predictions go: the store's prefetch for one layer. */
  @FunctionalInterface
  interface Sink {
    void prefetch(int layer, BitSet experts);
  }

  private record Request(long pass, int[] tokenIds, int position, float[] embeddings) {}

  /**
   * One layer's prediction, or the failure that ended the pass's predictions ({@code experts}
   * null).
   */
  private record LayerSet(long pass, int layer, BitSet experts, Throwable failure) {}

  private final ModelConfig config;
  private final ExpertPredictor predictor;
  private final boolean onThread;
  private final boolean refines;
  private final BlockingQueue<Request> requests = new ArrayBlockingQueue<>(AHEAD);
  private final BlockingQueue<LayerSet> ready;
  private final BitSet[] passSets;

  /** Passes submitted ahead of their start (queued requests), oldest first. */
  private final Deque<Request> queuedAhead = new ArrayDeque<>();

  /** Sets that arrived for queued passes that have not started. */
  private final List<LayerSet> pending = new ArrayList<>();

  private Thread thread;
  private volatile boolean closed;
  private long issued;
  private long pass;
  private int[] passTokens;
  private int passPosition;
  private int nextLayer;
  private Throwable failure;

  /**
   * @param predictor the store's predictor, or {@code null} for none (every call is then a no-op)
   */
  Predictions(ModelConfig config, ExpertPredictor predictor) {
    this.config = config;
    this.predictor = predictor;
    this.onThread = predictor != null && !predictor.needsHiddenState();
    this.refines = onThread && predictor.refines();
    this.ready = new ArrayBlockingQueue<>(config.layers() * (AHEAD + 1));
    this.passSets = new BitSet[config.layers()];
  }

  /**
   * A pass starts: submits it to the hash thread, or asks a hidden-state predictor for layer 0 from
   * the embeddings.
   *
   * @param weights a layer's dense weights if resident, else {@code null} (for predictors that read
   *     the router)
   */
  void passStarting(
      int[] tokenIds,
      int position,
      float[] embeddings,
      IntFunction<LayerWeights> weights,
      Sink sink) {
    Request queued = takeQueued(tokenIds, position);
    boolean wasQueued = queued != null;
    pass = wasQueued ? queued.pass() : ++issued;
    pending.removeIf(
        p -> p.pass() != pass && !isQueued(p.pass())); // queued passes that were skipped
    passTokens = tokenIds;
    passPosition = position;
    nextLayer = 0;
    failure = null;
    Arrays.fill(passSets, null);
    if (predictor == null) {
      return;
    }
    if (onThread) {
      if (!wasQueued) {
        submit(new Request(pass, tokenIds.clone(), position, embeddings.clone()));
      }
      poll(sink);
    }
    if (!onThread || refines) {
      askNow(0, embeddings, weights.apply(0), sink);
    }
  }

  /**
   * The queued request for this pass, if there is one: queued passes before it were skipped and are
   * dropped; a pass that was not queued (one the caller runs before the queued ones) leaves the
   * queue as it is.
   */
  private Request takeQueued(int[] tokenIds, int position) {
    int skipped = 0;
    for (Request r : queuedAhead) {
      if (r.position() == position && Arrays.equals(r.tokenIds(), tokenIds)) {
        for (int i = 0; i <= skipped; i++) {
          queuedAhead.removeFirst();
        }
        return r;
      }
      skipped++;
    }
    return null;
  }

  private boolean isQueued(long id) {
    for (Request r : queuedAhead) {
      if (r.pass() == id) {
        return true;
      }
    }
    return false;
  }

  /**
   * A pass that will start later (a queued request): submitted to the hash thread now, so that its
   * sets are ready, or nearly, when it starts. Its sets are kept until then, and dropped if a
   * different pass starts first.
   */
  void passQueued(int[] tokenIds, int position, float[] embeddings) {
    if (!onThread || closed) {
      return;
    }
    Request r = new Request(++issued, tokenIds.clone(), position, embeddings);
    // Registered only once the thread has it: a queued pass whose request was lost (an interrupt
    // while submitting,
    // a dead thread) is submitted again when it starts.
    if (submit(r)) {
      if (queuedAhead.size() >= 2 * AHEAD) {
        queuedAhead.removeFirst(); // queued long ago and never run
      }
      queuedAhead.addLast(r);
    }
  }

  /**
   * The router of {@code layer} has decided: predictions for it no longer matter. Takes what the
   * hash thread has ready, or asks a hidden-state predictor for the next layer from {@code hidden}.
   */
  void routed(int layer, float[] hidden, IntFunction<LayerWeights> weights, Sink sink) {
    nextLayer = layer + 1;
    if (predictor == null) {
      return;
    }
    if (onThread) {
      poll(sink);
    }
    if ((!onThread || refines) && layer + 1 < config.layers()) {
      askNow(layer + 1, hidden, weights.apply(layer + 1), sink);
    }
  }

  /** Hands over whatever the hash thread has predicted since the last call; never waits. */
  void poll(Sink sink) {
    if (!onThread) {
      return;
    }
    if (!pending.isEmpty()) {
      List<LayerSet> early = new ArrayList<>(pending);
      pending.clear();
      for (LayerSet s : early) {
        accept(
            s, sink); // sets of a pass that was queued and has started now; later ones go back to
        // pending
      }
    }
    for (LayerSet s; (s = ready.poll()) != null; ) {
      accept(s, sink);
    }
    if (failure == null && thread != null && !thread.isAlive() && !closed) {
      failure = new IllegalStateException("the hash thread " + thread.getName() + " died");
    }
  }

  /**
   * This pass's prediction for {@code layer}, if it has arrived (for stores that can only prefetch
   * later).
   */
  BitSet predicted(int layer) {
    return failure == null && layer >= nextLayer ? passSets[layer] : null;
  }

  /**
   * The pass is done.
   *
   * @throws PredictorException if the predictor failed during the pass (the pass itself completed
   *     exactly)
   */
  void passFinished() {
    if (predictor == null) {
      return;
    }
    if (onThread) {
      poll((layer, experts) -> {});
    }
    if (failure != null) {
      Throwable cause = failure;
      failure = null;
      throw new PredictorException(
          String.format(
              "the expert predictor failed during the pass over %d token(s) at position %d (%s); the pass completed"
                  + " with on-demand loading",
              passTokens.length, passPosition, cause),
          cause);
    }
  }

  /**
   * Asks a hidden-state predictor, or the refinement of an up-front one, on the decoding thread.
   */
  private void askNow(int layer, float[] hidden, LayerWeights weights, Sink sink) {
    if (failure != null) {
      return;
    }
    BitSet experts;
    try {
      LayerInput input = LayerInput.of(config, layer, passTokens, passPosition, hidden, weights);
      experts = refines ? predictor.refine(input) : predictor.predict(input);
    } catch (RuntimeException e) {
      failure = e;
      return;
    }
    if (experts != null) {
      record(layer, experts);
      sink.prefetch(layer, experts);
    }
  }

  private void record(int layer, BitSet experts) {
    if (passSets[layer] == null) {
      passSets[layer] = (BitSet) experts.clone();
    } else {
      passSets[layer].or(experts);
    }
  }

  private void accept(LayerSet s, Sink sink) {
    if (s.pass() != pass) {
      if (isQueued(s.pass())) {
        pending.add(s); // a queued pass, not started yet
      }
      return; // else a pass that ended already
    }
    if (failure != null) {
      return; // the pass failed: no more predictions for it
    }
    if (s.failure() != null) {
      failure = s.failure();
      return;
    }
    record(s.layer(), s.experts());
    if (s.layer() >= nextLayer) {
      sink.prefetch(s.layer(), s.experts());
    }
  }

  /**
   * Hands a request to the hash thread, starting one if there is none.
   *
   * @return whether the thread has it; false if the thread died (recorded as this pass's failure)
   * @throws RingException if the caller was interrupted while waiting for a request place (its flag
   *     stays set)
   */
  private boolean submit(Request r) {
    if (thread == null || !thread.isAlive()) {
      if (thread != null) {
        LOG.warn("the hash thread {} died; starting a new one", thread.getName());
        requests.clear();
        queuedAhead.clear(); // their requests are gone with the old thread
      }
      thread = new Thread(this::run, "ringmoe-hash-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      thread.start();
    }
    try {
      while (!requests.offer(r, 10, TimeUnit.MILLISECONDS)) {
        // The thread may be blocked handing sets over: take them (sets of passes that ended are
        // dropped).
        for (LayerSet s; (s = ready.poll()) != null; ) {
          if (s.pass() == pass || isQueued(s.pass())) {
            pending.add(s);
          }
        }
        if (!thread.isAlive()) {
          failure = new IllegalStateException("the hash thread " + thread.getName() + " died");
          return false;
        }
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RingException("interrupted while submitting a pass to the hash thread", e);
    }
  }

  /** The hash thread: predicts every layer of each submitted pass, in order. */
  private void run() {
    try {
      while (!closed) {
        Request r = requests.poll(100, TimeUnit.MILLISECONDS);
        if (r == null) {
          continue;
        }
        for (int l = 0; l < config.layers(); l++) {
          BitSet experts;
          try {
            experts =
                predictor.predict(
                    LayerInput.of(config, l, r.tokenIds(), r.position(), r.embeddings(), null));
          } catch (RuntimeException e) {
            hand(new LayerSet(r.pass(), l, null, e));
            break;
          } catch (Error e) {
            // The thread dies with the error; the pass learns of it from the queue (or from the
            // dead thread).
            ready.offer(new LayerSet(r.pass(), l, null, e));
            throw e;
          }
          if (experts != null) {
            hand(new LayerSet(r.pass(), l, experts, null));
          }
        }
      }
    } catch (InterruptedException e) {
      // close() interrupts a thread that is waiting
    }
  }

  private void hand(LayerSet s) throws InterruptedException {
    while (!closed && !ready.offer(s, 100, TimeUnit.MILLISECONDS)) {
      // the decoding thread drains at its next hook
    }
  }

  /** Stops the hash thread. Idempotent. */
  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
