package dev.ringmoe.hash.trace;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Traces of moe-text-16x shared by the tests of this module (recorded once per test JVM): the 32
 * held-out reference sequences with hidden states, and 16 training windows for fitting baselines.
 */
public final class MoeText16xTraces {
  public static final int TRAIN_WINDOWS = 16;

  private static Path heldout;
  private static Path train;
  private static long heldoutMillis;

  private MoeText16xTraces() {}

  public static Path dir() {
    return ReferenceData.moeText16x();
  }

  /** ref/eval_ids.json's 32 sequences of 128 ids. */
  public static List<int[]> evalIds() throws IOException {
    JsonArray rows =
        JsonParser.parseString(Files.readString(dir().resolve("ref/eval_ids.json")))
            .getAsJsonObject()
            .getAsJsonArray("ids");
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonArray r = rows.get(i).getAsJsonArray();
      int[] ids = new int[r.size()];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = r.get(j).getAsInt();
      }
      out.add(ids);
    }
    return out;
  }

  /** The trace of the 32 reference sequences, with hidden states. */
  public static synchronized Path heldout() {
    ensure();
    return heldout;
  }

  /**
   * A trace of {@link #TRAIN_WINDOWS} 128-token windows spread over train.u16, without hidden
   * states.
   */
  public static synchronized Path train() {
    ensure();
    return train;
  }

  public static synchronized long heldoutMillis() {
    ensure();
    return heldoutMillis;
  }

  private static void ensure() {
    if (heldout != null) {
      return;
    }
    // The test machine has 2 shared cores: OpenMP worker threads that spin-wait while another
    // process holds a core
    // make a pass up to 30x slower (60 s instead of 3 s for the 32 reference sequences). One OpenMP
    // thread (the same
    // as OMP_NUM_THREADS=1) keeps it at ~3 s; the tiny matrices here gain nothing from a second
    // thread.
    Nd4j.getEnvironment().setMaxThreads(1);
    Nd4j.getEnvironment().setMaxMasterThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
    org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
    try {
      Path out = Path.of("target", "routing-traces");
      Files.createDirectories(out);
      Path h = out.resolve("moe-text-16x-heldout.trace");
      Path t = out.resolve("moe-text-16x-train.trace");
      try (MoeModel model = MoeModel.builder().checkpoint(dir()).build()) {
        TraceRecorder withHidden = new TraceRecorder(model, true);
        long start = System.nanoTime();
        try (RoutingTraceWriter w = RoutingTraceWriter.create(h, withHidden.header())) {
          withHidden.record(evalIds(), w, null);
        }
        heldoutMillis = (System.nanoTime() - start) / 1_000_000;
        int[] tokens = TokenWindows.readU16(dir().resolve("data/train.u16"));
        int stride = (tokens.length - 127) / TRAIN_WINDOWS;
        List<int[]> windows =
            TokenWindows.windows(tokens, 127, stride, TRAIN_WINDOWS, model.config().bosTokenId());
        TraceRecorder plain = new TraceRecorder(model, false);
        try (RoutingTraceWriter w = RoutingTraceWriter.create(t, plain.header())) {
          plain.record(windows, w, null);
        }
      }
      heldout = h;
      train = t;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
