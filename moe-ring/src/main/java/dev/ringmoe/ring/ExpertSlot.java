package dev.ringmoe.ring;

import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.model.ExpertWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Device memory for one expert of any layer, with views made once. Guarded by the owning cache's
 * lock.
 */
final class ExpertSlot implements LoadTarget, AutoCloseable {
  final int index;
  final INDArray memory;
  final ExpertWeights weights;
  private volatile int generation;
  long key = -1;
  Load load;
  int users;

  /** A slot laid out as {@code section} (any expert: they all have the same shapes). */
  ExpertSlot(int index, Section section, DataType type) {
    this.index = index;
    this.memory = Nd4j.create(type, section.nativeFloats());
    this.weights = views(section, memory, 0);
  }

  /**
   * An expert's gate (if it has one), up and down matrices as views of {@code memory} from {@code
   * base} floats on.
   */
  static ExpertWeights views(Section section, INDArray memory, long base) {
    // no EXPERT_GATE: a ReLU expert (T5-style)
    return new ExpertWeights(
        section.find(Role.EXPERT_GATE).isEmpty()
            ? null
            : view(
                memory,
                section.get(Role.EXPERT_GATE).shape(),
                base + section.offset(Role.EXPERT_GATE)),
        view(memory, section.get(Role.EXPERT_UP).shape(), base + section.offset(Role.EXPERT_UP)),
        view(
            memory, section.get(Role.EXPERT_DOWN).shape(), base + section.offset(Role.EXPERT_DOWN)),
        bias(section, Role.EXPERT_GATE_BIAS),
        bias(section, Role.EXPERT_UP_BIAS),
        bias(section, Role.EXPERT_DOWN_BIAS));
  }

  /**
   * A heap array for the expert's bias of {@code role}, if its section has one: like a dense
   * section's vectors, biases live on the heap and are refilled by each copy into the slot.
   */
  private static float[] bias(Section section, Role role) {
    return section.find(role).map(t -> new float[(int) t.elements()]).orElse(null);
  }

  /** The slot's heap array for {@code role} (one of the expert bias roles). */
  static float[] vector(ExpertWeights w, Role role) {
    return switch (role) {
      case EXPERT_GATE_BIAS -> w.gateBias();
      case EXPERT_UP_BIAS -> w.upBias();
      case EXPERT_DOWN_BIAS -> w.downBias();
      default -> throw new IllegalArgumentException("an expert has no vector " + role);
    };
  }

  /** A row-major [rows, cols] view of {@code memory} at {@code offset} elements. */
  static INDArray view(INDArray memory, long[] shape, long offset) {
    return Nd4j.create(memory.data(), shape, new long[] {shape[1], 1}, offset, 'c');
  }

  /** Gives the slot to another expert; its previous load becomes stale. */
  void assign(long newKey) {
    generation++;
    key = newKey;
  }

  @Override
  public int generation() {
    return generation;
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public void close() {
    memory.close();
  }
}
