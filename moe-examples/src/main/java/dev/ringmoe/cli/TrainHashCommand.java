package dev.ringmoe.cli;

import dev.ringmoe.hash.sida.HashNetworkConfig;
import dev.ringmoe.hash.sida.HashTrainer;
import dev.ringmoe.hash.sida.SidaData;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.hash.trace.TraceHeader;
import dev.ringmoe.hash.trace.TraceSequence;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code ringmoe train-hash}: trains a SiDA hash network on a routing trace. */
final class TrainHashCommand implements Command {
  /**
   * Training sequences the final loss is computed over: enough for a stable mean, cheap next to
   * training.
   */
  static final int FINAL_LOSS_SEQUENCES = 256;

  @Override
  public String name() {
    return "train-hash";
  }

  @Override
  public String summary() {
    return "train a SiDA hash network (expert predictor) on a routing trace";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe train-hash --trace TRACE --out FILE [--epochs N] [--batch N] [--lr X]\n"
        + "                          [--max-minutes M] [--max-sequences N] [--seed S]\n\n"
        + "  --trace TRACE       a routing trace recorded with 'ringmoe trace' (token ids and router logits)\n"
        + "  --out FILE          the trained network: one file with its configuration, the model it was trained\n"
        + "                      for (the trace's fingerprint) and its weights\n"
        + "  --epochs N          passes over the trace (default 11)\n"
        + "  --batch N           sequences per step (default 16)\n"
        + "  --lr X              Adam learning rate, halved after 70% of the planned steps (default 2e-3)\n"
        + "  --max-minutes M     stop training after M minutes, whatever the epochs (default 18)\n"
        + "  --max-sequences N   use at most N sequences of the trace\n"
        + "  --seed S            initialisation and shuffling seed (default 1)\n\n"
        + "Loss: 0.005 * CE(student, argmax teacher) + L1 between the softmaxes over the teacher's top min(30, E)\n"
        + "experts (SiDA's truncated knowledge distillation). Progress and loss (sampled every 10 steps) are printed\n"
        + "as training goes, and the final network's loss on the first 256 training sequences at the end; a run\n"
        + "too short to sample a loss is warned about.\n"
        + "Memory: ND4J 1.0.0-M2.1's SameDiff keeps about 40 MB of native memory per step for moe-text-16x's shape\n"
        + "(18 GB peak for the default 440 steps); use fewer epochs or a smaller batch on smaller machines\n"
        + "(docs/benchmarks.md, section 4).\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("trace", "out", "epochs", "batch", "lr", "max-minutes", "max-sequences", "seed");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    Path tracePath = args.path("trace");
    Path file = args.path("out");
    int epochs = args.integer("epochs", 11);
    int batch = args.integer("batch", 16);
    double lr = args.decimal("lr", 2e-3);
    double minutes = args.decimal("max-minutes", 18);
    int maxSequences = args.integer("max-sequences", Integer.MAX_VALUE);
    if (epochs < 1 || batch < 1 || !(lr > 0) || !(minutes > 0) || maxSequences < 1) {
      throw new UsageException(
          "ringmoe train-hash: --epochs, --batch, --max-sequences >= 1; --lr, --max-minutes > 0");
    }
    List<SidaData.Sequence> data = new ArrayList<>();
    TraceHeader header;
    float[] table;
    try (RoutingTraceReader reader = RoutingTraceReader.open(tracePath)) {
      header = reader.header();
      int maxId = 0;
      for (TraceSequence seq : reader) {
        for (int id : seq.tokenIds()) {
          maxId = Math.max(maxId, id);
        }
      }
      // The trace holds each token's embedding; rebuild the rows of the table the training data
      // uses.
      table = new float[(maxId + 1) * header.hidden()];
      int n = 0;
      for (TraceSequence seq : reader) {
        if (n++ == maxSequences) {
          break;
        }
        int[] ids = seq.tokenIds();
        for (int t = 0; t < ids.length; t++) {
          System.arraycopy(
              seq.embeddings(),
              t * header.hidden(),
              table,
              ids[t] * header.hidden(),
              header.hidden());
        }
        data.add(new SidaData.Sequence(ids, seq.routerLogits(), header.layers(), header.experts()));
      }
    }
    HashNetworkConfig config =
        HashNetworkConfig.forModel(
            header.hidden(), header.layers(), header.experts(), header.topK());
    int planned = epochs * ((data.size() + batch - 1) / batch);
    int halveAfter = (int) Math.round(0.7 * planned);
    err.printf(
        "training a SiDA hash network (%,d parameters) on %d sequences of %s: %d steps planned, lr %g then"
            + " %g after step %d, at most %.1f min%n",
        config.parameterCount(), data.size(), tracePath, planned, lr, lr / 2, halveAfter, minutes);
    long start = System.nanoTime();
    int[] steps = {0};
    double[] lastLoss = {Double.NaN};
    SidaHashNetwork net =
        HashTrainer.builder()
            .epochs(epochs)
            .batchSize(batch)
            .learningRate(lr)
            .halveLearningRateAfter(halveAfter)
            .seed(args.longValue("seed", 1))
            .timeLimit(Duration.ofSeconds((long) (minutes * 60)))
            .onStep(
                (step, loss) -> {
                  steps[0] = step;
                  if (!Double.isNaN(loss)) {
                    lastLoss[0] = loss;
                    err.printf(
                        "step %d / %d  loss %.5f  (%.0f s)%n",
                        step, planned, loss, (System.nanoTime() - start) / 1e9);
                  }
                })
            .build()
            .train(config, data, table);
    if (Double.isNaN(lastLoss[0])) {
      // The loss is sampled every LOSS_EVERY steps: none was printed, so say how little training
      // happened.
      err.printf(
          "ringmoe train-hash: warning: only %d training step%s ran (of %d planned), too few for a loss to be"
              + " sampled (every %d steps); the saved network is close to its random initialisation: use more --epochs,"
              + " a smaller --batch or a longer --max-minutes%n",
          steps[0], steps[0] == 1 ? "" : "s", planned, HashTrainer.LOSS_EVERY);
    }
    // The loss of the network as saved (the printed ones are of batches before their update), on a
    // bounded sample.
    List<SidaData.Sequence> sample = data.subList(0, Math.min(data.size(), FINAL_LOSS_SEQUENCES));
    double finalLoss = HashTrainer.loss(net, sample, table);
    net.save(file, header.fingerprint());
    out.printf(
        "trained %d steps in %.1f min; final loss %.5f (mean over %d training sequences); saved %s%n",
        steps[0], (System.nanoTime() - start) / 6e10, finalLoss, sample.size(), file);
    return 0;
  }
}
