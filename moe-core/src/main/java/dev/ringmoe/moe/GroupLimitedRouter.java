package dev.ringmoe.moe;

import com.google.common.base.Preconditions;
import dev.ringmoe.tensor.VectorMath;

/**
 * {@link Router#deepseekV2} and {@link Router#deepseekV3}: DeepSeek's group-limited gates as
 * Hugging Face transformers 4.57 computes them, in float32.
 *
 * <ul>
 *   <li>Scores: softmax over all experts (V2) or the sigmoid of each logit (V3).
 *   <li>Choice scores: the scores plus the correction bias (V3's {@code e_score_correction_bias};
 *       none for V2).
 *   <li>With more than one group kept out of several: groups of consecutive experts ranked by their
 *       best choice score (V2's {@code group_limited_greedy}) or the sum of their two best (V3),
 *       the best {@code topkGroup} groups kept, every other expert's choice score set to 0 (Hugging
 *       Face's {@code masked_fill(..., 0.0)}, not minus infinity: with negative biased scores an
 *       expert of a dropped group can still be chosen, as there).
 *   <li>Top-k of the choice scores by {@link VectorMath}'s rule; the weights are the chosen
 *       experts' un-biased scores, divided by their sum plus 1e-20 when renormalised, times the
 *       routed scaling factor.
 * </ul>
 *
 * <p>Immutable (the bias is copied) and thread-safe.
 */
final class GroupLimitedRouter extends TopKRouter {
  private final boolean sigmoid;
  private final int groups;
  private final int topkGroup;
  private final boolean renormalise;
  private final float scaling;
  private final float[] bias;

  GroupLimitedRouter(
      boolean sigmoid,
      int experts,
      int k,
      int groups,
      int topkGroup,
      boolean renormalise,
      double scaling,
      float[] bias) {
    super(experts, k);
    Preconditions.checkArgument(
        groups > 0 && experts % groups == 0 && topkGroup > 0 && topkGroup <= groups,
        "%s of %s groups of %s experts",
        topkGroup,
        groups,
        experts);
    Preconditions.checkArgument(
        k <= topkGroup * (experts / groups),
        "top-%s from %s groups of %s experts",
        k,
        topkGroup,
        experts / groups);
    Preconditions.checkArgument(
        !sigmoid || groups == 1 || experts / groups >= 2,
        "the sigmoid gate ranks groups by their two best experts; groups of %s",
        experts / groups);
    Preconditions.checkArgument(
        bias == null || bias.length == experts, "bias of %s for %s experts", bias, experts);
    this.sigmoid = sigmoid;
    this.groups = groups;
    this.topkGroup = topkGroup;
    this.renormalise = renormalise;
    this.scaling = (float) scaling;
    this.bias = bias == null ? null : bias.clone();
  }

  @Override
  public void route(float[] logits, Routing routing) {
    checkRouting(routing);
    float[] scores = new float[experts];
    float[] choice = new float[experts];
    float[] groupScores = new float[groups];
    int[] keptGroups = new int[topkGroup];
    boolean[] kept = new boolean[groups];
    int[] two = new int[2];
    int[] ids = new int[k];
    int perGroup = experts / groups;
    for (int t = 0; t < routing.tokens(); t++) {
      int off = t * experts;
      if (sigmoid) {
        for (int e = 0; e < experts; e++) {
          scores[e] = (float) (1.0 / (1.0 + Math.exp(-logits[off + e])));
        }
      } else {
        VectorMath.softmax(logits, off, experts, scores, 0);
      }
      for (int e = 0; e < experts; e++) {
        choice[e] = bias == null ? scores[e] : scores[e] + bias[e];
      }
      if (topkGroup < groups) {
        for (int g = 0; g < groups; g++) {
          int first = g * perGroup;
          if (sigmoid) {
            VectorMath.topK(choice, first, perGroup, 2, two, 0);
            groupScores[g] = choice[first + two[0]] + choice[first + two[1]];
          } else {
            groupScores[g] = choice[first + VectorMath.argmax(choice, first, perGroup)];
          }
        }
        VectorMath.topK(groupScores, 0, groups, topkGroup, keptGroups, 0);
        java.util.Arrays.fill(kept, false);
        for (int g : keptGroups) {
          kept[g] = true;
        }
        for (int e = 0; e < experts; e++) {
          if (!kept[e / perGroup]) {
            choice[e] = 0f;
          }
        }
      }
      VectorMath.topK(choice, 0, experts, k, ids, 0);
      float sum = 0f;
      for (int j = 0; j < k; j++) {
        sum += scores[ids[j]];
      }
      float denominator = sum + 1e-20f;
      for (int j = 0; j < k; j++) {
        float w = scores[ids[j]];
        if (renormalise) {
          w = w / denominator;
        }
        routing.set(t, j, ids[j], w * scaling);
      }
    }
  }

  @Override
  public String toString() {
    return (sigmoid ? "sigmoid" : "softmax")
        + " top-"
        + k
        + " of "
        + experts
        + (groups > 1 ? " in the best " + topkGroup + " of " + groups + " groups" : "")
        + (bias != null ? ", bias-corrected choice" : "")
        + (renormalise ? ", renormalised" : "")
        + ", times "
        + scaling;
  }
}
