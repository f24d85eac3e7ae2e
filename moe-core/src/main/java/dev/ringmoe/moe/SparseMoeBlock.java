package dev.ringmoe.moe;

import com.google.common.base.Preconditions;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.tensor.RowMatrix;
import dev.ringmoe.tensor.Tensors;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sparse Mixture-of-Experts block: a {@link Router} chooses each token's experts, then every
 * chosen expert runs once over all the tokens that chose it (their rows gathered into one matrix)
 * and its weighted output is added back, in ascending expert order as Hugging Face's {@code
 * index_add_} does, so the result is the same float32 sum. Expert weights come from an {@link
 * ExpertSource} as each expert runs.
 *
 * <p>Two steps, so that a caller can act between them (a streaming store starts the chosen experts'
 * loads): {@link #route} then {@link #forward(Routing, float[], ExpertSource, float[])}; or {@link
 * #forward(INDArray, INDArray, ExpertSource)} in one call on ND4J arrays.
 *
 * <p>Owns scratch memory for up to {@code maxTokens} tokens (freed by {@link #close()}); not
 * thread-safe.
 */
public final class SparseMoeBlock implements AutoCloseable {
  private final Router router;
  private final int hidden;
  private final int maxTokens;
  private final FeedForward expert;
  private final FeedForward shared;
  private final RowMatrix in;
  private final RowMatrix out;
  private final RowMatrix sharedGate;
  private final float[] sharedGateValues;
  private final float[] rows;
  private final int[] members;
  private final float[] memberWeights;

  /**
   * @param hidden the model width
   * @param maxTokens the most tokens one call handles
   */
  public SparseMoeBlock(Router router, int hidden, int maxTokens) {
    this(router, hidden, maxTokens, GatedActivation.SWIGLU);
  }

  /** A block whose routed experts use {@code activation} (shared experts run SwiGLU). */
  public SparseMoeBlock(Router router, int hidden, int maxTokens, GatedActivation activation) {
    this.router = Preconditions.checkNotNull(router);
    this.hidden = hidden;
    this.maxTokens = maxTokens;
    this.expert = new FeedForward(maxTokens, activation);
    this.shared = new FeedForward(maxTokens);
    this.sharedGate = new RowMatrix(maxTokens, 1);
    this.sharedGateValues = new float[maxTokens];
    this.in = new RowMatrix(maxTokens, hidden);
    this.out = new RowMatrix(maxTokens, hidden);
    this.rows = new float[maxTokens * hidden];
    this.members = new int[maxTokens];
    this.memberWeights = new float[maxTokens];
  }

  public Router router() {
    return router;
  }

  /** Routes {@code tokens} tokens from their router logits ([tokens, experts], row-major). */
  public Routing route(float[] logits, int tokens) {
    Routing routing = new Routing(tokens, router.topK());
    router.route(logits, routing);
    return routing;
  }

  /**
   * Writes the block's output for {@code routing.tokens()} tokens of {@code input} ([tokens,
   * hidden], the normalised hidden state) to {@code output} ([tokens, hidden], overwritten).
   */
  public void forward(Routing routing, float[] input, ExpertSource experts, float[] output) {
    int n = routing.tokens();
    int k = routing.k();
    Preconditions.checkArgument(n <= maxTokens, "%s tokens, the block holds %s", n, maxTokens);
    Arrays.fill(output, 0, n * hidden, 0f);
    for (int e = 0; e < router.experts(); e++) {
      int count = 0;
      for (int t = 0; t < n; t++) {
        for (int j = 0; j < k; j++) {
          if (routing.expert(t, j) == e) {
            members[count] = t;
            memberWeights[count] = routing.weight(t, j);
            count++;
          }
        }
      }
      if (count == 0) {
        continue;
      }
      for (int m = 0; m < count; m++) {
        System.arraycopy(input, members[m] * hidden, rows, m * hidden, hidden);
      }
      in.write(rows, count * hidden);
      ExpertWeights w = experts.acquire(e);
      try {
        expert.forward(w, in.rows(count), count, out.rows(count));
      } finally {
        experts.release(e);
      }
      out.read(rows, count * hidden);
      for (int m = 0; m < count; m++) {
        int dst = members[m] * hidden;
        int src = m * hidden;
        float weight = memberWeights[m];
        for (int i = 0; i < hidden; i++) {
          output[dst + i] += rows[src + i] * weight;
        }
      }
    }
  }

  /**
   * Adds a shared expert's output for every token to {@code output} ([tokens, hidden]), scaled per
   * token by {@code sigmoid(gate · x)} when {@code gate} ([1, hidden]) is given, as Qwen2-MoE's
   * {@code shared_expert_gate} does; run it after {@link #forward(Routing, float[], ExpertSource,
   * float[])}, so the sum is in Hugging Face's order.
   *
   * @param input the normalised hidden state, [tokens, hidden] (the first {@code tokens} rows of a
   *     matrix)
   */
  public void addSharedExpert(
      ExpertWeights shared, INDArray gate, INDArray input, int tokens, float[] output) {
    Preconditions.checkArgument(
        tokens <= maxTokens, "%s tokens, the block holds %s", tokens, maxTokens);
    this.shared.forward(shared, input, tokens, out.rows(tokens));
    out.read(rows, tokens * hidden);
    if (gate != null) {
      Tensors.linear(input, gate, sharedGate.rows(tokens));
      sharedGate.read(sharedGateValues, tokens);
    }
    for (int t = 0; t < tokens; t++) {
      float scale = gate == null ? 1f : (float) (1.0 / (1.0 + Math.exp(-sharedGateValues[t])));
      int off = t * hidden;
      for (int i = 0; i < hidden; i++) {
        output[off + i] += gate == null ? rows[off + i] : scale * rows[off + i];
      }
    }
  }

  /**
   * The whole block on ND4J arrays: router logits {@code x · routerWeightᵀ}, routing, experts.
   *
   * @param x the normalised hidden state, float32 [tokens, hidden]
   * @param routerWeight float32 [experts, hidden]
   * @return a new float32 [tokens, hidden] array, owned by the caller
   */
  public INDArray forward(INDArray x, INDArray routerWeight, ExpertSource experts) {
    Preconditions.checkArgument(
        x.rank() == 2 && x.columns() == hidden,
        "x must be [tokens, %s]: %s",
        hidden,
        Arrays.toString(x.shape()));
    int tokens = (int) x.rows();
    float[] input;
    try (INDArray compact = x.dup('c')) {
      input = compact.data().asFloat();
    }
    float[] logits;
    try (INDArray l = Tensors.matrix(tokens, router.experts())) {
      Tensors.linear(x, routerWeight, l);
      logits = l.data().asFloat();
    }
    float[] output = new float[tokens * hidden];
    forward(route(logits, tokens), input, experts, output);
    INDArray result = Tensors.matrix(tokens, hidden);
    result.data().asNioFloat().put(0, output);
    return result;
  }

  @Override
  public void close() {
    expert.close();
    shared.close();
    in.close();
    out.close();
    sharedGate.close();
  }
}
