package dev.ringmoe.hash.sida;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains (or, with {@code -Dsida.init=FILE}, continues training) a SiDA hash network for a checkpoint that ships {@code data/train.u16} and {@code data/heldout.u16}
 * (moe-text-16x) and prints held-out hit rates (router top-1 within predicted top-2) per layer.
 *
 * <pre>
 * TrainSidaMain MODEL_DIR TRAIN_WINDOWS EPOCHS OUT_FILE [LR=1e-3] [BATCH=16] [TIME_LIMIT_S=1080] [sparsemax|softmax]
 *               [HELDOUT_WINDOWS=100]
 * </pre>
 *
 * <p>Measured on moe-text-16x, 2 shared CPU cores, 640 random training windows (82 K tokens, 3% of train.u16):
 * 305 steps (batch 16, lr 2e-3, 600 s) then 134 more (lr 1e-3, -Dsida.init, 568 s): 1168 s in all. Held-out loss
 * 0.840 -> 0.338 -> 0.317. Router top-1 within predicted top-2, 48 held-out windows: 88.3% (100.0 / 89.8 / 79.4 /
 * 86.1 / 88.8 / 85.6); ref/eval_ids.json: 88.4% (100.0 / 88.9 / 79.3 / 85.5 / 90.1 / 86.4); top-3 on eval_ids 93.3%.
 */
public final class TrainSidaMain {

  private TrainSidaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: TrainSidaMain MODEL_DIR TRAIN_WINDOWS EPOCHS OUT_FILE [LR] [BATCH] [TIME_LIMIT_S]"
          + " [sparsemax|softmax] [HELDOUT_WINDOWS]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    int windows = Integer.parseInt(args[1]);
    int epochs = Integer.parseInt(args[2]);
    Path out = Path.of(args[3]);
    double lr = args.length > 4 ? Double.parseDouble(args[4]) : 1e-3;
    int batch = args.length > 5 ? Integer.parseInt(args[5]) : 16;
    int limit = args.length > 6 ? Integer.parseInt(args[6]) : 1080;
    HashNetworkConfig.Attention att = args.length > 7
        ? HashNetworkConfig.Attention.valueOf(args[7].toUpperCase()) : HashNetworkConfig.Attention.SPARSEMAX;
    int heldoutWindows = args.length > 8 ? Integer.parseInt(args[8]) : 100;
    int len = 128;
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      int bos = model.config().bosTokenId();
      String fp = SidaData.fingerprint(model);
      String cacheDir0 = System.getProperty("sida.cache");
      float[] table;
      Path tableFile = cacheDir0 == null ? null : Path.of(cacheDir0, "embeddings.f32");
      if (tableFile != null && Files.exists(tableFile)) {
        byte[] b = Files.readAllBytes(tableFile);
        table = new float[b.length / 4];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(table);
      } else {
        table = SidaData.embeddingTable(model);
        if (tableFile != null) {
          Files.createDirectories(tableFile.getParent());
          java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(table.length * 4)
              .order(java.nio.ByteOrder.LITTLE_ENDIAN);
          bb.asFloatBuffer().put(table);
          Files.write(tableFile, bb.array());
        }
      }
      long t0 = System.nanoTime();
      int[] train = SidaData.readU16(dir.resolve("data/train.u16"));
      String cacheDir = System.getProperty("sida.cache");
      java.util.function.Function<String, Path> cache = n -> cacheDir == null ? null : Path.of(cacheDir, n);
      int[] heldout = SidaData.readU16(dir.resolve("data/heldout.u16"));
      List<SidaData.Sequence> held = SidaData.collectCached(model,
          SidaData.consecutiveWindows(heldout, heldoutWindows, len, bos), cache.apply("heldout-" + heldoutWindows));
      System.out.printf("held-out teacher data: %d windows in %.1f s%n", held.size(), (System.nanoTime() - t0) / 1e9);
      List<SidaData.Sequence> evalIds = new ArrayList<>();
      Path evalFile = dir.resolve("ref/eval_ids.json");
      if (Files.exists(evalFile)) {
        JsonArray ids = JsonParser.parseString(Files.readString(evalFile)).getAsJsonObject().getAsJsonArray("ids");
        int[][] w = new int[ids.size()][];
        for (int i = 0; i < w.length; i++) {
          JsonArray row = ids.get(i).getAsJsonArray();
          w[i] = new int[row.size()];
          for (int j = 0; j < w[i].length; j++) {
            w[i][j] = row.get(j).getAsInt();
          }
        }
        evalIds = SidaData.collectCached(model, w, cache.apply("eval_ids"));
      }
      List<SidaData.Sequence> trainSeqs = SidaData.collectCached(model,
          SidaData.randomWindows(train, windows, len, bos, 1), cache.apply("train-" + windows));
      System.out.printf("teacher data: %d train windows, %d held-out windows, %d eval_ids sequences in %.1f s%n",
          trainSeqs.size(), held.size(), evalIds.size(), (System.nanoTime() - t0) / 1e9);
      if (epochs == 0) {
        return;
      }
      HashNetworkConfig cfg = HashNetworkConfig.forModel(model.config()).withAttention(att);
      System.out.printf("network %s, %d parameters; lr %g batch %d epochs %d limit %d s%n", cfg, cfg.parameterCount(),
          lr, batch, epochs, limit);
      List<SidaData.Sequence> probe = held.subList(0, Math.min(16, held.size()));
      String resume = System.getProperty("sida.init"); // continue from a saved network
      SidaHashNetwork init = resume == null ? SidaHashNetwork.initialize(cfg, 42)
          : SidaHashNetwork.load(Path.of(resume), model.config(), fp);
      System.out.printf("held-out loss before: %.4f%n", HashTrainer.loss(init, probe, table));
      long t1 = System.nanoTime();
      SidaHashNetwork net = HashTrainer.builder().learningRate(lr).batchSize(batch).epochs(epochs)
          .timeLimit(Duration.ofSeconds(limit)).logEvery(25)
          .onStep((step, loss) -> {
            if (!Double.isNaN(loss)) {
              System.out.printf("step %d loss %.4f%n", step, loss);
            }
          }).seed(42).build().train(init, trainSeqs, table);
      double trainS = (System.nanoTime() - t1) / 1e9;
      System.out.printf("training took %.1f s%n", trainS);
      System.out.printf("held-out loss after: %.4f%n", HashTrainer.loss(net, probe, table));
      net.save(out, fp);
      HashPredictor p = net.predictor(table);
      System.out.println("train (first 64 windows) hit rate top-2: "
          + SidaEvaluation.hitRate(p, trainSeqs.subList(0, Math.min(64, trainSeqs.size())), 2));
      System.out.println("held-out windows hit rate top-2: " + SidaEvaluation.hitRate(p, held, 2));
      if (!evalIds.isEmpty()) {
        System.out.println("eval_ids hit rate top-2: " + SidaEvaluation.hitRate(p, evalIds, 2));
        System.out.println("eval_ids hit rate top-3: " + SidaEvaluation.hitRate(p, evalIds, 3));
      }
      System.out.println("saved " + out + " for " + fp);
    }
  }
}
