package dev.ringmoe.config;

/**
 * The parameters of DeepSeek's group-limited gates ({@link GateKind#SOFTMAX_GROUP_LIMITED}, {@link
 * GateKind#SIGMOID_GROUP_LIMITED}): the experts are split into {@code groups} equal groups of
 * consecutive ids, only the best {@code topkGroup} groups are eligible (all of them when {@code
 * topkGroup == groups}), and the combine weights are optionally renormalised to sum to one, then
 * multiplied by {@code routedScalingFactor}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param groups {@code n_group}
 * @param topkGroup {@code topk_group}
 * @param routedScalingFactor {@code routed_scaling_factor}
 * @param renormalise whether the chosen weights are divided by their sum ({@code norm_topk_prob})
 */
public record GroupRouting(
    int groups, int topkGroup, double routedScalingFactor, boolean renormalise) {
  /**
   * @throws IllegalArgumentException naming the field when a value is out of range
   */
  public GroupRouting {
    if (groups <= 0) {
      throw new IllegalArgumentException("n_group must be positive, was " + groups);
    }
    if (topkGroup <= 0 || topkGroup > groups) {
      throw new IllegalArgumentException(
          "topk_group must be between 1 and n_group (" + groups + "), was " + topkGroup);
    }
    if (!(routedScalingFactor > 0) || Double.isInfinite(routedScalingFactor)) {
      throw new IllegalArgumentException(
          "routed_scaling_factor must be a finite positive number, was " + routedScalingFactor);
    }
  }
}
