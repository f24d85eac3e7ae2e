package dev.ringmoe.moe;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ExpertActivation;
import dev.ringmoe.config.ModelConfig;

/**
 * The element-wise step of a gated feed-forward network, between the gate/up projections and the
 * down projection: {@link #SWIGLU} ({@code silu(gate) * up}) or gpt-oss's clamped form ({@link
 * #clamped}). Float32 in the order Hugging Face's modeling code computes it.
 *
 * <p>Immutable and thread-safe.
 */
public final class GatedActivation {
  /** gpt-oss's sigmoid scale, fixed in its modeling code. */
  static final float GPT_OSS_ALPHA = 1.702f;

  /** {@code silu(gate) * up}. */
  public static final GatedActivation SWIGLU = new GatedActivation(Float.NaN);

  private final float limit;

  private GatedActivation(float limit) {
    this.limit = limit;
  }

  /**
   * gpt-oss's {@code (clamp(up, -limit, limit) + 1) * g * sigmoid(1.702 * g)} with {@code g =
   * min(gate, limit)}.
   */
  public static GatedActivation clamped(double limit) {
    Preconditions.checkArgument(limit > 0 && Double.isFinite(limit), "limit %s", limit);
    return new GatedActivation((float) limit);
  }

  /** The activation of {@code config}'s experts. */
  public static GatedActivation of(ModelConfig config) {
    return config.expertActivation() == ExpertActivation.CLAMPED_SWIGLU
        ? clamped(config.swigluLimit())
        : SWIGLU;
  }

  /** {@code gate[i] = act(gate[i], up[i])} for {@code i < n}. */
  void apply(float[] gate, float[] up, int n) {
    if (Float.isNaN(limit)) {
      for (int i = 0; i < n; i++) {
        float x = gate[i];
        gate[i] = x / (1f + (float) Math.exp(-x)) * up[i];
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      // torch's clamp: NaN stays NaN (Math.min and the comparisons below keep it)
      float g = Math.min(gate[i], limit);
      float u = up[i];
      u = u > limit ? limit : (u < -limit ? -limit : u);
      float sigmoid = (float) (1.0 / (1.0 + Math.exp(-(g * GPT_OSS_ALPHA))));
      gate[i] = (u + 1f) * (g * sigmoid);
    }
  }

  @Override
  public String toString() {
    return Float.isNaN(limit) ? "SwiGLU" : "clamped SwiGLU (limit " + limit + ")";
  }
}
