package dev.ringmoe.ring;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.tensor.Tensors;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which weights stay resident on the device and which stream through the ring, computed from the
 * budget. A model is a list of sections: per layer one dense section (attention, norms, router) and
 * one section per expert; the global weights (embedding, final norm, LM head) are always resident.
 *
 * <p>The plan prefers keeping every dense section resident and streaming only experts; it streams
 * dense sections too (a slot then holds a whole layer) only when that buys more slots while fewer
 * than two (the minimum for copies to overlap compute) would fit otherwise. A slot holds one
 * layer's streamed sections, so the ring has K slots of {@link #slotBytes()} each.
 *
 * <p>Immutable and thread-safe. All sizes are bytes of weights in the model's weight type ({@link
 * Tensors#weightType}: bfloat16 for a BF16 checkpoint, else float32), the form compute reads.
 */
public final class SectionPlan {
  private final ModelConfig config;
  private final long budget;
  private final long globalBytes;
  private final long denseBytes;
  private final long residentDenseBytes;
  private final long expertBytes;
  private final boolean denseResident;
  private final int slots;
  private final DataType type;
  private final int width;

  private SectionPlan(
      ModelConfig config, DataType type, long budget, boolean denseResident, int slots) {
    this.config = config;
    this.type = type;
    this.width = type.width();
    this.budget = budget;
    this.globalBytes = width * config.globalParameters();
    this.denseBytes = width * config.denseLayerParameters();
    this.residentDenseBytes = residentDenseBytes(config, width);
    this.expertBytes = width * config.expertParameters();
    this.denseResident = denseResident;
    this.slots = slots;
  }

  /**
   * Plans for {@code budget} device bytes.
   *
   * @param requestedSlots K, or 0 for as many as fit (at most the number of layers)
   * @throws IllegalArgumentException if the budget cannot hold the resident part plus the slots;
   *     the message names the minimum budget
   */
  public static SectionPlan plan(ModelConfig config, long budget, int requestedSlots) {
    return plan(config, DataType.FLOAT, budget, requestedSlots);
  }

  /**
   * Plans for {@code budget} device bytes of weights held as {@code type} (FLOAT or BFLOAT16).
   *
   * @param requestedSlots K, or 0 for as many as fit (at most the number of layers)
   * @throws IllegalArgumentException if the budget cannot hold the resident part plus the slots;
   *     the message names the minimum
   */
  public static SectionPlan plan(
      ModelConfig config, DataType type, long budget, int requestedSlots) {
    return plan(config, type, budget, requestedSlots, 0, "");
  }

  /**
   * As {@link #plan(ModelConfig, DataType, long, int)} for the weights' share of a budget that also
   * holds {@code reserved} bytes of other things ({@code reservedWhat}, for the message): {@code
   * budget} is the whole budget, and a refusal names the whole minimum.
   */
  static SectionPlan plan(
      ModelConfig config, DataType type, long budget, int requestedSlots, HostReservation host) {
    return plan(config, type, budget - host.bytes(), requestedSlots, host.bytes(), host.describe());
  }

  private static SectionPlan plan(
      ModelConfig config,
      DataType type,
      long weightBudget,
      int requestedSlots,
      long reserved,
      String reservedWhat) {
    long budget = weightBudget;
    String besides = reserved > 0 ? ", plus " + reservedWhat : "";
    int layers = config.layers();
    long width = type.width();
    long global = width * config.globalParameters();
    long dense = width * config.denseLayerParameters();
    long experts = width * config.experts() * config.expertParameters();
    long residentA = global + residentDenseBytes(config, (int) width);
    long slotA = experts;
    long residentB = global;
    long slotB = dense + experts;
    if (requestedSlots > 0) {
      int k = Math.min(requestedSlots, layers);
      if (residentA + k * slotA <= budget) {
        return new SectionPlan(config, type, budget, true, k);
      }
      if (residentB + k * slotB <= budget) {
        return new SectionPlan(config, type, budget, false, k);
      }
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a device budget of %s cannot hold the resident weights plus %d ring slot(s): the minimum for %d slot(s) "
                  + "is %s (resident %s + %d x %s per slot%s)",
              ByteSizes.format(budget + reserved),
              k,
              k,
              ByteSizes.format(residentB + k * slotB + reserved),
              ByteSizes.format(residentB),
              k,
              ByteSizes.format(slotB),
              besides));
    }
    long kA = budget >= residentA ? (budget - residentA) / slotA : 0;
    long kB = budget >= residentB ? (budget - residentB) / slotB : 0;
    // Dense sections resident means less to copy per token; prefer it unless streaming them buys
    // more slots below
    // the two that overlap needs.
    if (kA >= Math.min(2, layers) || (kA >= 1 && kA >= kB)) {
      return new SectionPlan(config, type, budget, true, (int) Math.min(kA, layers));
    }
    if (kB >= 1) {
      return new SectionPlan(config, type, budget, false, (int) Math.min(kB, layers));
    }
    long minimum = weightMinimum(config, type, 1);
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "a device budget of %s cannot hold the resident weights plus one ring slot: the minimum is %s (the embedding "
                + "and LM head, %s, plus one layer's slot, %s%s)",
            ByteSizes.format(budget + reserved),
            ByteSizes.format(minimum + reserved),
            ByteSizes.format(residentB),
            ByteSizes.format(slotB),
            besides));
  }

  /**
   * The smallest budget {@link #plan} accepts for {@code slots} ring slots when {@code
   * reservedBytes} of the budget go to other things first (the KV cache, direct I/O's staging
   * area): the same arithmetic {@code plan} decides by, so a budget one byte smaller is refused.
   * {@code slots} 0 (as many as fit) needs what one slot needs.
   *
   * @param type the dtype weights are held in ({@link Tensors#weightType})
   * @param slots K &gt;= 0, capped at the number of layers as {@code plan} caps it
   * @param reservedBytes bytes of the budget that are not weights, &gt;= 0
   * @return bytes
   */
  public static long minimumBudget(
      ModelConfig config, DataType type, int slots, long reservedBytes) {
    if (slots < 0 || reservedBytes < 0) {
      throw new IllegalArgumentException(
          "slots and reserved bytes must be >= 0, were " + slots + " and " + reservedBytes);
    }
    return weightMinimum(config, type, Math.max(1, slots)) + reservedBytes;
  }

  /** The weights' share of the smallest budget for K slots: the cheaper of the two layouts. */
  private static long weightMinimum(ModelConfig config, DataType type, int slots) {
    long width = type.width();
    int k = Math.min(slots, config.layers());
    long global = width * config.globalParameters();
    long dense = width * config.denseLayerParameters();
    long experts = width * config.experts() * config.expertParameters();
    long residentA = global + residentDenseBytes(config, (int) width);
    return Math.min(residentA + k * experts, global + k * (dense + experts));
  }

  public ModelConfig config() {
    return config;
  }

  /** The device budget the plan was made for. */
  public long budget() {
    return budget;
  }

  /** Whether every layer's dense section stays resident (only experts stream). */
  public boolean denseResident() {
    return denseResident;
  }

  /** Ring slots K. */
  public int slots() {
    return slots;
  }

  /** Bytes of the largest layer's dense section: what a slot holds. */
  public long denseBytes() {
    return denseBytes;
  }

  /** Bytes of one expert section. */
  public long expertBytes() {
    return expertBytes;
  }

  /** Bytes of one slot: one layer's streamed sections. */
  public long slotBytes() {
    return (denseResident ? 0 : denseBytes) + config.experts() * expertBytes;
  }

  /** Bytes that never move. */
  public long residentBytes() {
    return globalBytes + (denseResident ? residentDenseBytes : 0);
  }

  /** Every layer's dense section (they differ where some layers are dense MLPs). */
  static long residentDenseBytes(ModelConfig config, int width) {
    long sum = 0;
    for (int l = 0; l < config.layers(); l++) {
      sum += (long) width * config.manifest().dense(l).parameters();
    }
    return sum;
  }

  /** The dtype weights are held and computed in. */
  public DataType weightType() {
    return type;
  }

  /** Resident bytes plus every slot: the device bytes the plan allocates. */
  public long deviceBytes() {
    return residentBytes() + slots * slotBytes();
  }

  /** Whether every layer has a slot of its own (nothing is evicted after the first load). */
  public boolean holdsEveryLayer() {
    return slots == config.layers();
  }

  /** A printable description of the plan. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "device budget %s: resident %s (embedding, LM head%s), ring of %d slot(s) x %s (%s), %s allocated; "
            + "%s weights total %s",
        ByteSizes.format(budget),
        ByteSizes.format(residentBytes()),
        denseResident ? ", every layer's attention and router" : "",
        slots,
        ByteSizes.format(slotBytes()),
        denseResident
            ? config.experts() + " experts of one layer"
            : "one layer: dense + " + config.experts() + " experts",
        ByteSizes.format(deviceBytes()),
        type == DataType.BFLOAT16 ? "bfloat16" : "float32",
        ByteSizes.format(config.weightBytes(width)));
  }

  @Override
  public String toString() {
    return describe();
  }
}
