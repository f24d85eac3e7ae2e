package dev.ringmoe.hash.sida;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMActivations;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDataFormat;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDirectionMode;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMLayerConfig;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.weights.LSTMLayerWeights;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SiDA "hash function" network: it predicts, for every MoE layer, the router's distribution
 * over experts from the token embeddings alone (plus causal context).
 *
 * <pre>
 *   x   = ReLU(emb · W_in + b_in)                         [T, H]   (H = 256)
 *   h   = LSTM_2(LSTM_1(x))                               [T, H]   unidirectional, gate order i, f, g, o
 *   A   = rowL1(sparsemax(h hᵀ + causal mask))            [T, T]   token t sees keys s &lt;= t only
 *   z   = A h + (x · W_res + b_res)                       [T, H]
 *   out = z · W_head + b_head                             [T, L·E] one Linear(H -&gt; E) head per MoE layer
 * </pre>
 *
 * <p>Deviations from the paper's (bidirectional-free, but non-causal) network, all deliberate:
 *
 * <ul>
 *   <li>The attention is <b>causal</b> (the paper attends over the whole sequence); this lets a
 *       serving session predict token by token ({@link HashPredictor.Session}).
 *   <li>The L heads are stored as one {@code [H, L·E]} matrix; this is the same function and
 *       parameter count as L separate {@code Linear(H -&gt; E)} layers.
 *   <li>The LSTM has one bias vector per gate (PyTorch has two, summed); the function class is the
 *       same.
 *   <li>Sparsemax in the training graph: the threshold τ is bracketed by bisection under a
 *       stop-gradient, the support S = {z &gt; τ} is read off, and τ is then recomputed exactly as
 *       (Σ_S z − 1)/|S|, so the forward value and the gradient are those of exact sparsemax
 *       (Martins and Astudillo 2016). Serving ({@link HashPredictor}) uses the sort-based exact
 *       algorithm.
 *   <li>With {@link HashNetworkConfig.Attention#SOFTMAX} the attention is a causal softmax instead
 *       (an ablation).
 * </ul>
 *
 * <p>Weights live here as plain row-major float arrays; {@link #buildGraph} makes a SameDiff graph
 * from them (for training), {@link #predictor} the serving form (ND4J products, Java element-wise
 * work).
 */
public final class SidaHashNetwork {

  static final float MASK = -1e6f;
  static final int BISECTION_STEPS = 24;

  private final HashNetworkConfig config;
  private final Map<String, float[]> params;
  private final Map<String, long[]> shapes;

  private SidaHashNetwork(
      HashNetworkConfig config, Map<String, float[]> params, Map<String, long[]> shapes) {
    this.config = config;
    this.params = params;
    this.shapes = shapes;
  }

  static Map<String, long[]> shapesFor(HashNetworkConfig c) {
    int d = c.dModel();
    int h = c.hidden();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("in_W", new long[] {d, h});
    s.put("in_b", new long[] {h});
    for (int l = 0; l < HashNetworkConfig.LSTM_LAYERS; l++) {
      s.put("lstm" + l + "_Wx", new long[] {h, 4L * h});
      s.put("lstm" + l + "_Wr", new long[] {h, 4L * h});
      s.put("lstm" + l + "_b", new long[] {4L * h});
    }
    s.put("res_W", new long[] {h, h});
    s.put("res_b", new long[] {h});
    s.put("head_W", new long[] {h, (long) c.layers() * c.experts()});
    s.put("head_b", new long[] {(long) c.layers() * c.experts()});
    return s;
  }

  /**
   * A freshly initialised network: uniform(±1/√fan_in) weights (PyTorch's default), LSTM forget
   * bias 1.
   */
  public static SidaHashNetwork initialize(HashNetworkConfig config, long seed) {
    Random rnd = new Random(seed);
    Map<String, long[]> shapes = shapesFor(config);
    Map<String, float[]> params = new LinkedHashMap<>();
    int h = config.hidden();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      int n = (int) numel(shape);
      float[] a = new float[n];
      double fanIn = name.startsWith("in_") ? config.dModel() : h;
      double bound = 1.0 / Math.sqrt(fanIn);
      for (int i = 0; i < n; i++) {
        a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
      }
      if (name.startsWith("lstm") && name.endsWith("_b")) {
        for (int i = h; i < 2 * h; i++) {
          a[i] = 1f; // forget gate
        }
      }
      params.put(name, a);
    }
    return new SidaHashNetwork(config, params, shapes);
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n;
  }

  public HashNetworkConfig config() {
    return config;
  }

  /** Total number of trainable scalars; equals {@link HashNetworkConfig#parameterCount()}. */
  public long parameterCount() {
    long n = 0;
    for (float[] a : params.values()) {
      n += a.length;
    }
    return n;
  }

  /**
   * The named weight arrays (read-only view; arrays are row-major with the shapes of {@link
   * #shape}).
   */
  public Map<String, float[]> parameters() {
    return Collections.unmodifiableMap(params);
  }

  public long[] shape(String name) {
    return shapes.get(name).clone();
  }

  float[] param(String name) {
    return params.get(name);
  }

  /** A copy of this network with independent weight arrays. */
  public SidaHashNetwork copy() {
    Map<String, float[]> p = new LinkedHashMap<>();
    params.forEach((k, v) -> p.put(k, v.clone()));
    return new SidaHashNetwork(config, p, shapes);
  }

  /** Copies the current values of the graph's variables (same names) into this network. */
  void updateFrom(SameDiff sd) {
    for (Map.Entry<String, float[]> e : params.entrySet()) {
      float[] v = sd.getVariable(e.getKey()).getArr().castTo(DataType.FLOAT).dup().data().asFloat();
      System.arraycopy(v, 0, e.getValue(), 0, v.length);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // graph

  /** Placeholder / output names of the graph made by {@link #buildGraph}. */
  static final String EMB = "emb";

  static final String LOGITS = "logits";
  static final String TEACHER_PROBS = "teacher_probs";
  static final String TEACHER_ONEHOT = "teacher_onehot";
  static final String TRUNC_BIAS = "trunc_bias";
  static final String LOSS = "loss";
  static final String CE = "ce";
  static final String L1 = "l1";

  /**
   * A SameDiff graph of this network for sequences of exactly {@code seqLen} tokens, with
   * placeholder {@code emb} [batch, seqLen, d_model] and output {@code logits} [batch, seqLen,
   * layers, experts]. With {@code withLoss}, also placeholders {@code teacher_probs} (the teacher's
   * softmax over its top-min(30,E) experts, zeros elsewhere), {@code teacher_onehot} (its argmax)
   * and {@code trunc_bias} (0 on those experts, -1e6 elsewhere), all [batch, seqLen, layers,
   * experts], and the scalar {@code loss} = 0.005·CE + L1 (both averaged over tokens and layers, L1
   * summed over experts), with {@code ce} and {@code l1} as well.
   */
  public SameDiff buildGraph(int seqLen, boolean withLoss) {
    int d = config.dModel();
    int h = config.hidden();
    int le = config.layers() * config.experts();
    SameDiff sd = SameDiff.create();
    Map<String, SDVariable> v = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : params.entrySet()) {
      INDArray arr = Nd4j.create(e.getValue().clone(), shapes.get(e.getKey()), 'c');
      v.put(e.getKey(), sd.var(e.getKey(), arr));
    }
    SDVariable emb = sd.placeHolder(EMB, DataType.FLOAT, -1, seqLen, d);
    SDVariable emb2 = sd.reshape(emb, -1, d);
    SDVariable x2 = sd.nn.relu(emb2.mmul(v.get("in_W")).add(v.get("in_b")), 0);
    SDVariable x = sd.reshape(x2, -1, seqLen, h);
    SDVariable seq = x;
    LSTMLayerConfig lc =
        LSTMLayerConfig.builder()
            .lstmdataformat(LSTMDataFormat.NTS)
            .directionMode(LSTMDirectionMode.FWD)
            .gateAct(LSTMActivations.SIGMOID)
            .cellAct(LSTMActivations.TANH)
            .outAct(LSTMActivations.TANH)
            .retFullSequence(true)
            .retLastC(true)
            .retLastH(true)
            .build();
    for (int l = 0; l < HashNetworkConfig.LSTM_LAYERS; l++) {
      LSTMLayerWeights w =
          LSTMLayerWeights.builder()
              .weights(v.get("lstm" + l + "_Wx"))
              .rWeights(v.get("lstm" + l + "_Wr"))
              .bias(v.get("lstm" + l + "_b"))
              .build();
      seq = sd.rnn().lstmLayer(seq, w, lc)[0];
    }
    SDVariable hs = seq; // [B, T, H]
    SDVariable scores = sd.mmul(hs, hs, false, true, false); // [B, T, T]
    float[] mask = new float[seqLen * seqLen];
    for (int t = 0; t < seqLen; t++) {
      for (int s = t + 1; s < seqLen; s++) {
        mask[t * seqLen + s] = MASK;
      }
    }
    SDVariable maskC =
        sd.constant("causal_mask", Nd4j.create(mask, new long[] {seqLen, seqLen}, 'c'));
    SDVariable z = scores.add(maskC);
    SDVariable att;
    if (config.attention() == HashNetworkConfig.Attention.SPARSEMAX) {
      att = sparsemax(sd, z);
    } else {
      att = softmax(sd, z, 2);
    }
    att =
        att.div(
            att.sum(true, 2).add(1e-12)); // L1 row normalisation (a no-op up to rounding for both)
    SDVariable ctx = sd.mmul(att, hs); // [B, T, H]
    SDVariable res = sd.reshape(x2.mmul(v.get("res_W")).add(v.get("res_b")), -1, seqLen, h);
    SDVariable zz = sd.reshape(ctx.add(res), -1, h);
    SDVariable out = zz.mmul(v.get("head_W")).add(v.get("head_b"));
    SDVariable logits = sd.reshape(LOGITS, out, -1, seqLen, config.layers(), config.experts());
    if (withLoss) {
      SDVariable tp =
          sd.placeHolder(
              TEACHER_PROBS, DataType.FLOAT, -1, seqLen, config.layers(), config.experts());
      SDVariable oh =
          sd.placeHolder(
              TEACHER_ONEHOT, DataType.FLOAT, -1, seqLen, config.layers(), config.experts());
      SDVariable tb =
          sd.placeHolder(TRUNC_BIAS, DataType.FLOAT, -1, seqLen, config.layers(), config.experts());
      int e = config.experts();
      SDVariable logSm = logSoftmax(sd, logits, 3);
      SDVariable ce = sd.math.neg(oh.mul(logSm).mean()).mul(CE, e);
      SDVariable ps = softmax(sd, logits.add(tb), 3);
      SDVariable l1 = sd.math.abs(ps.sub(tp)).mean().mul(L1, e);
      SDVariable loss = ce.mul(0.005).add(LOSS, l1);
      sd.setLossVariables(loss);
    }
    return sd;
  }

  /**
   * Softmax from elementary ops (SameDiff M2.1's softmax / log_softmax gradients fail to set their
   * axis property when differentiated in this graph).
   */
  static SDVariable softmax(SameDiff sd, SDVariable x, int axis) {
    SDVariable m = new StopGradient(sd, x.max(true, axis)).outputVariable();
    SDVariable e = sd.math.exp(x.sub(m));
    return e.div(e.sum(true, axis));
  }

  static SDVariable logSoftmax(SameDiff sd, SDVariable x, int axis) {
    SDVariable m = new StopGradient(sd, x.max(true, axis)).outputVariable();
    SDVariable sh = x.sub(m);
    return sh.sub(sd.math.log(sd.math.exp(sh).sum(true, axis)));
  }

  /**
   * Exact sparsemax over the last axis of a rank-3 variable: τ is bracketed in [max − 1, max] and
   * located by {@link #BISECTION_STEPS} bisection steps under a stop-gradient (SameDiff M2.1's
   * top_k, needed for the sort-based algorithm, has no gradient), the support S = {z &gt; τ} is
   * read off and τ recomputed differentiably as (Σ_S z − 1)/|S|, so that both the value and the
   * gradient are those of sparsemax.
   */
  static SDVariable sparsemax(SameDiff sd, SDVariable z) {
    SDVariable zs = new StopGradient(sd, z).outputVariable();
    SDVariable hi = zs.max(true, 2);
    SDVariable lo = hi.sub(1.0);
    for (int i = 0; i < BISECTION_STEPS; i++) {
      SDVariable mid = lo.add(hi).mul(0.5);
      SDVariable f = sd.nn.relu(zs.sub(mid), 0).sum(true, 2).sub(1.0);
      SDVariable above = sd.math.sign(f).add(1.0).mul(0.5); // 1 when tau > mid
      lo = lo.add(above.mul(mid.sub(lo)));
      hi = mid.add(above.mul(hi.sub(mid)));
    }
    SDVariable support = sd.math.sign(zs.sub(lo)).add(1.0).mul(0.5); // 1 on the support, 0 off it
    SDVariable k = support.sum(true, 2);
    SDVariable tau = z.mul(support).sum(true, 2).sub(1.0).div(k);
    return sd.nn.relu(z.sub(tau), 0).mul(support);
  }

  /**
   * Full-sequence forward through the SameDiff graph: [tokens][layers*experts] logits for one
   * sequence.
   */
  public float[][] forwardGraph(float[][] embeddings) {
    int t = embeddings.length;
    int d = config.dModel();
    float[] flat = new float[t * d];
    for (int i = 0; i < t; i++) {
      System.arraycopy(embeddings[i], 0, flat, i * d, d);
    }
    SameDiff sd = buildGraph(t, false);
    INDArray in = Nd4j.create(flat, new long[] {1, t, d}, 'c');
    INDArray out = sd.output(Map.of(EMB, in), LOGITS).get(LOGITS);
    float[] o = out.castTo(DataType.FLOAT).dup('c').data().asFloat();
    int le = config.layers() * config.experts();
    float[][] res = new float[t][];
    for (int i = 0; i < t; i++) {
      res[i] = java.util.Arrays.copyOfRange(o, i * le, (i + 1) * le);
    }
    return res;
  }

  /**
   * The serving form (matrix products on ND4J) over this network's weights (copied) and the model's
   * embedding table [vocab*d_model]; the caller owns it ({@link HashPredictor#close()}).
   */
  public HashPredictor predictor(float[] embeddingTable) {
    return predictor(embeddingTable, HashPredictor.Engine.ND4J);
  }

  /** The serving form with the given engine for its matrix products. */
  public HashPredictor predictor(float[] embeddingTable, HashPredictor.Engine engine) {
    return new HashPredictor(copy(), embeddingTable, engine);
  }

  // ----------------------------------------------------------------------------------------------
  // save / load

  private static final String CONFIG_ENTRY = "hash_network.txt";
  private static final String MODEL_ENTRY = "model_fingerprint.txt";
  private static final String WEIGHTS_DIR = "weights/";

  /**
   * Writes one zip: {@code hash_network.txt} (the {@link HashNetworkConfig}), {@code
   * model_fingerprint.txt} (the fingerprint of the model it was trained for) and {@code
   * weights/NAME.f32} (raw float32 little-endian, row-major, shapes as {@link #shape}).
   */
  public void save(Path file, String modelFingerprint) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry(CONFIG_ENTRY));
      zip.write(config.toText().getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry(MODEL_ENTRY));
      zip.write(modelFingerprint.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
      for (Map.Entry<String, float[]> e : params.entrySet()) {
        zip.putNextEntry(new ZipEntry(WEIGHTS_DIR + e.getKey() + ".f32"));
        ByteBuffer bb = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(e.getValue());
        zip.write(bb.array());
        zip.closeEntry();
      }
    }
  }

  /** The fingerprint stored in a saved network, without loading its weights. */
  public static String readFingerprint(Path file) throws IOException {
    return new String(readEntries(file).get(MODEL_ENTRY), StandardCharsets.UTF_8);
  }

  /**
   * Loads a network saved by {@link #save}.
   *
   * @param expected the model it is to serve: its layers, experts and width must match the saved
   *     network
   * @param modelFingerprint the fingerprint of that model; must equal the saved one
   * @throws IllegalArgumentException naming both fingerprints (or shapes) when they differ
   */
  public static SidaHashNetwork load(
      Path file, dev.ringmoe.config.ModelConfig expected, String modelFingerprint)
      throws IOException {
    Map<String, byte[]> entries = readEntries(file);
    if (!entries.containsKey(CONFIG_ENTRY) || !entries.containsKey(MODEL_ENTRY)) {
      throw new IOException(file + " is not a saved SiDA hash network");
    }
    String saved = new String(entries.get(MODEL_ENTRY), StandardCharsets.UTF_8);
    if (!saved.equals(modelFingerprint)) {
      throw new IllegalArgumentException(
          "hash network "
              + file
              + " was trained for model ["
              + saved
              + "], not for ["
              + modelFingerprint
              + "]");
    }
    HashNetworkConfig cfg =
        HashNetworkConfig.fromText(new String(entries.get(CONFIG_ENTRY), StandardCharsets.UTF_8));
    int routing =
        expected == null
            ? 0
            : expected.tracedLayers().length; // the network predicts layers that route
    if (expected != null
        && (cfg.dModel() != expected.hiddenSize()
            || cfg.layers() != routing
            || cfg.experts() != expected.experts())) {
      throw new IllegalArgumentException(
          "hash network "
              + file
              + " has d_model="
              + cfg.dModel()
              + " layers="
              + cfg.layers()
              + " experts="
              + cfg.experts()
              + " but the model has d_model="
              + expected.hiddenSize()
              + " routing layers="
              + routing
              + " experts="
              + expected.experts());
    }
    Map<String, long[]> shapes = shapesFor(cfg);
    Map<String, float[]> params = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      byte[] b = entries.get(WEIGHTS_DIR + e.getKey() + ".f32");
      long n = numel(e.getValue());
      if (b == null || b.length != n * 4) {
        throw new IOException(file + ": weight " + e.getKey() + " missing or of the wrong size");
      }
      float[] a = new float[(int) n];
      ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
      params.put(e.getKey(), a);
    }
    return new SidaHashNetwork(cfg, params, shapes);
  }

  private static Map<String, byte[]> readEntries(Path file) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream is = Files.newInputStream(file);
        ZipInputStream zip = new ZipInputStream(is)) {
      ZipEntry ze;
      while ((ze = zip.getNextEntry()) != null) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        zip.transferTo(bos);
        out.put(ze.getName(), bos.toByteArray());
      }
    }
    return out;
  }
}
