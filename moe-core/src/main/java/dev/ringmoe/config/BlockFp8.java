package dev.ringmoe.config;

/**
 * Block-wise FP8 weights as the released DeepSeek-V3 stores them ({@code quantization_config}
 * {@code {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
 * "weight_block_size": [rows, cols]}}): every quantizable linear weight [out, in] is {@code
 * F8_E4M3} with an F32 {@code <name>_scale_inv} of shape [ceil(out / rows), ceil(in / cols)]
 * holding one multiplier per block (edge blocks partial). RingMoE dequantizes them to float32 at
 * load.
 *
 * <p>Immutable and thread-safe.
 *
 * @param blockRows block height (rows = output features)
 * @param blockCols block width (columns = input features)
 */
public record BlockFp8(int blockRows, int blockCols) {
  /**
   * @throws IllegalArgumentException if a block dimension is not positive
   */
  public BlockFp8 {
    if (blockRows <= 0 || blockCols <= 0) {
      throw new IllegalArgumentException(
          "quantization_config.weight_block_size must be two positive integers, was ["
              + blockRows
              + ", "
              + blockCols
              + "]");
    }
  }
}
