package dev.ringmoe.ring;

import dev.ringmoe.model.ExpertWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Device memory for one expert of any layer, with views made once. Guarded by the owning cache's lock. */
final class ExpertSlot implements LoadTarget, AutoCloseable {
  final int index;
  final INDArray memory;
  final ExpertWeights weights;
  private volatile int generation;
  long key = -1;
  Load load;
  int users;

  ExpertSlot(int index, int hidden, int intermediate) {
    this.index = index;
    long floats = 3L * hidden * intermediate;
    this.memory = Nd4j.create(DataType.FLOAT, floats);
    long block = (long) intermediate * hidden;
    this.weights = new ExpertWeights(view(intermediate, hidden, 0), view(intermediate, hidden, block),
        view(hidden, intermediate, 2 * block));
  }

  private INDArray view(long rows, long cols, long offset) {
    return Nd4j.create(memory.data(), new long[] {rows, cols}, new long[] {cols, 1}, offset, 'c');
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
