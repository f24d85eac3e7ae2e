package dev.ringmoe.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The products against a double-precision sum over the same (bf16-rounded) weights, for every
 * kernel path: few and many rows, odd widths and row counts (the tails), views at an offset, and
 * groups of products sharing their input.
 */
class KernelsTest {
  private final SplittableRandom random = new SplittableRandom(11);

  /** Float32 products go to gemm by default; the tests also cover the Vector API f32 kernel. */
  @BeforeEach
  void float32OnTheVectorKernelBelow12Rows() {
    Kernels.f32VectorRows = 12;
  }

  @AfterEach
  void restore() {
    Kernels.f32VectorRows = 0;
  }

  @Test
  void vectorKernelsAreInUse() {
    // Tests run from target/classes, not the multi-release jar: on JDK 19+ they see the JDK 17
    // loads, which that JDK lacks, and exercise the fallback instead.
    assumeTrue(Runtime.version().feature() <= 18, "the JDK 22+ loads live in the jar only");
    assertTrue(Kernels.VECTOR, "the tests run with --add-modules jdk.incubator.vector");
  }

  @Test
  void singleProductsMatchDoubleSums() {
    int[] widths = {2, 6, 16, 30, 34, 64, 66, 130, 512};
    int[] rowCounts = {1, 3, 4, 5, 8, 13};
    int[] tokens = {1, 2, 3, 7, 8, 20};
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.BFLOAT16}) {
      for (int in : widths) {
        for (int rows : rowCounts) {
          for (int n : tokens) {
            check(type, n, in, rows, 0);
          }
        }
      }
    }
  }

  @Test
  void viewsAtAnOffsetReadTheirOwnRows() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.BFLOAT16}) {
      check(type, 1, 64, 12, 37);
      check(type, 3, 130, 9, 5);
      check(type, 16, 66, 7, 100);
    }
  }

  @Test
  void groupsEqualSeparateProductsBitForBit() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.BFLOAT16}) {
      for (int n : new int[] {1, 4, 12}) {
        int in = 96;
        INDArray x = randomMatrix(DataType.FLOAT, n, in);
        INDArray[] ws = {
          randomMatrix(type, 200, in), randomMatrix(type, 3, in), randomMatrix(type, 61, in)
        };
        INDArray[] grouped = new INDArray[ws.length];
        for (int k = 0; k < ws.length; k++) {
          grouped[k] = Nd4j.create(DataType.FLOAT, n, ws[k].rows());
        }
        Tensors.linear(x, ws, grouped);
        for (int k = 0; k < ws.length; k++) {
          INDArray alone = Nd4j.create(DataType.FLOAT, n, ws[k].rows());
          Tensors.linear(x, ws[k], alone);
          float[] a = alone.data().asFloat();
          float[] g = grouped[k].data().asFloat();
          for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(g[i]), type + " " + k);
          }
        }
      }
    }
  }

  @Test
  void aBf16TokensResultDoesNotDependOnTheTokensBesideIt() {
    assumeTrue(Kernels.VECTOR, "a property of the Vector API kernel (gemm blocks by batch)");
    for (int in : new int[] {64, 70, 512}) {
      INDArray w = randomMatrix(DataType.BFLOAT16, 37, in);
      INDArray x = randomMatrix(DataType.FLOAT, 7, in);
      INDArray all = Nd4j.create(DataType.FLOAT, 7, 37);
      Tensors.linear(x, w, all);
      for (int t = 0; t < 7; t++) {
        INDArray one = Nd4j.create(DataType.FLOAT, 1, 37);
        Tensors.linear(x.getRow(t, true).dup(), w, one);
        for (int o = 0; o < 37; o++) {
          assertEquals(
              Float.floatToIntBits(one.getFloat(0, o)),
              Float.floatToIntBits(all.getFloat(t, o)),
              "in=" + in + " token " + t + " row " + o);
        }
      }
    }
  }

  @Test
  void largeProductsSplitAmongThreadsGiveTheSameBits() {
    int in = 1024;
    INDArray x = randomMatrix(DataType.FLOAT, 1, in);
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.BFLOAT16}) {
      INDArray w = randomMatrix(type, 1001, in);
      INDArray first = Nd4j.create(DataType.FLOAT, 1, 1001);
      Tensors.linear(x, w, first);
      for (int repeat = 0; repeat < 20; repeat++) {
        INDArray again = Nd4j.create(DataType.FLOAT, 1, 1001);
        Tensors.linear(x, w, again);
        assertEquals(first, again);
      }
      checkAgainstDoubles(x, w, first, 1, in, 1001);
    }
  }

  private void check(DataType type, int n, int in, int rows, int offsetRows) {
    INDArray x = randomMatrix(DataType.FLOAT, n, in);
    INDArray backing = randomMatrix(type, rows + offsetRows + 1, in);
    INDArray w =
        Nd4j.create(
            backing.data(), new long[] {rows, in}, new long[] {in, 1}, (long) offsetRows * in, 'c');
    INDArray out = Nd4j.create(DataType.FLOAT, n, rows);
    Tensors.linear(x, w, out);
    checkAgainstDoubles(x, w, out, n, in, rows);
  }

  private static void checkAgainstDoubles(
      INDArray x, INDArray w, INDArray out, int n, int in, int rows) {
    for (int t = 0; t < n; t++) {
      for (int o = 0; o < rows; o++) {
        double sum = 0;
        double magnitude = 0;
        for (int i = 0; i < in; i++) {
          double p = x.getDouble(t, i) * w.getDouble(o, i);
          sum += p;
          magnitude += Math.abs(p);
        }
        double got = out.getDouble(t, o);
        assertEquals(
            sum,
            got,
            1e-6 * magnitude + 1e-30,
            () -> w.dataType() + " n=" + n + " in=" + in + " rows=" + rows);
      }
    }
  }

  private INDArray randomMatrix(DataType type, long rows, long cols) {
    float[] values = new float[(int) (rows * cols)];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return Nd4j.create(values, new long[] {rows, cols}, 'c').castTo(type);
  }
}
