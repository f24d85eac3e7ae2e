package dev.ringmoe.moe;

import com.google.common.base.Preconditions;

/** What every built-in gate shares: its expert count, its k and their checks. Immutable. */
abstract class TopKRouter implements Router {
  final int experts;
  final int k;

  TopKRouter(int experts, int k) {
    Preconditions.checkArgument(
        experts > 0 && k > 0 && k <= experts, "top-%s of %s experts", k, experts);
    this.experts = experts;
    this.k = k;
  }

  @Override
  public final int experts() {
    return experts;
  }

  @Override
  public final int topK() {
    return k;
  }

  /** Refuses a routing that does not hold top-{@code k}. */
  final void checkRouting(Routing routing) {
    Preconditions.checkArgument(
        routing.k() == k, "routing holds top-%s, router chooses %s", routing.k(), k);
  }
}
