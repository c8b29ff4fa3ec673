package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Freed storages give their arrays to later outputs: only arrays their storage owns (never a
 * view's), once, and only to kernels that overwrite every element, which the NaN left in
 * recycled arrays here would reveal; a freed storage refuses further use.
 */
class ArrayPoolTest {

    private static final int N = ArrayPool.MIN_LENGTH * 2;

    private static float[] nans(int n) {
        float[] f = new float[n];
        Arrays.fill(f, Float.NaN);
        return f;
    }

    @Test
    void a_freed_array_becomes_the_next_output_of_its_length() {
        try (CpuBackend b = FastPaths.fast()) {
            float[] data = nans(N);
            Storage s = b.fromFloats(data, Shape.of(N), DType.FLOAT32);
            b.free(s);
            b.free(s); // twice: still recycled once
            assertEquals(4L * N, b.pool().bytes());
            float[] one = new float[N];
            Arrays.fill(one, 1f);
            Storage ones = b.fromFloats(one, Shape.of(N), DType.FLOAT32);
            Storage out = b.unary(UnaryOp.NEG, ones);
            assertSame(data, CpuStorage.of(out).floats());
            assertEquals(0, b.pool().bytes());
            float[] expected = new float[N];
            Arrays.fill(expected, -1f);
            assertArrayEquals(expected, b.toFloats(out));
            // full writes every element, so it takes a recycled array too
            b.free(out);
            Storage twos = b.full(Shape.of(N), DType.FLOAT32, 2);
            assertSame(data, CpuStorage.of(twos).floats());
            Arrays.fill(expected, 2f);
            assertArrayEquals(expected, b.toFloats(twos));
        }
    }

    @Test
    void a_view_keeps_its_bases_array_and_small_arrays_are_not_kept() {
        try (CpuBackend b = FastPaths.fast()) {
            Storage base = b.full(Shape.of(N), DType.FLOAT64, 2);
            Storage view = b.reshape(base, Shape.of(2, N / 2));
            b.free(view);
            assertEquals(0, b.pool().bytes());
            b.free(base);
            assertEquals(8L * N, b.pool().bytes());
            b.free(b.full(Shape.of(ArrayPool.MIN_LENGTH - 1), DType.FLOAT32, 0));
            assertEquals(8L * N, b.pool().bytes());
            b.free(null); // tolerated, as before
        }
    }

    @Test
    void a_freed_storage_refuses_further_use() {
        try (CpuBackend b = FastPaths.fast()) {
            Storage s = b.full(Shape.of(3), DType.FLOAT32, 1);
            b.free(s);
            assertThrows(IllegalStateException.class, () -> b.unary(UnaryOp.EXP, s));
            assertThrows(IllegalStateException.class, () -> b.toDoubles(s));
        }
    }

    @Test
    void recycled_garbage_never_reaches_a_result() {
        // every output below may take an array full of NaN; each must overwrite all of it
        for (DType dtype : DType.values()) {
            try (CpuBackend b = FastPaths.fast()) {
                RandomSource rng = RandomSource.seeded(3);
                int rows = 256;
                int cols = 260;
                Shape shape = Shape.of(rows, cols);
                double[] xv = rng.normal(shape.size());
                double[] yv = rng.normal(shape.size());
                double[] expectedSum = new double[shape.size()];
                for (int i = 0; i < expectedSum.length; i++) {
                    expectedSum[i] = dtype == DType.FLOAT32 ? (float) xv[i] + (float) yv[i] : xv[i] + yv[i];
                }
                double[] reference;
                try (Backend fresh = FastPaths.scalar()) {
                    Tensor x = Tensor.of(fresh, dtype, xv, shape);
                    Tensor y = Tensor.of(fresh, dtype, yv, Shape.of(cols, rows));
                    reference = x.matmul(y).toDoubleArray();
                }
                for (int round = 0; round < 3; round++) {
                    // a step's worth of garbage: NaN arrays of every size the kernels below make
                    for (int size : new int[] {shape.size(), rows * rows, 2 * shape.size()}) {
                        double[] nan = new double[size];
                        Arrays.fill(nan, Double.NaN);
                        b.free(b.fromDoubles(nan, Shape.of(size), dtype));
                    }
                    // the scope frees this round's tensors, so the next round recycles their arrays
                    MemoryScope scope = MemoryScope.open();
                    try {
                        Tensor x = Tensor.of(b, dtype, xv, shape);
                        Tensor y = Tensor.of(b, dtype, yv, shape);
                        Allclose.assertAllClose(expectedSum, x.add(y).toDoubleArray(), 0, 0, "add round " + round);
                        double[] product = x.matmul(Tensor.of(b, dtype, yv, Shape.of(cols, rows)))
                                .toDoubleArray();
                        double tol = dtype == DType.FLOAT32 ? 1e-4 : 1e-10;
                        Allclose.assertAllClose(reference, product, tol, tol, "matmul round " + round);
                        Tensor zeroK = Tensor.zeros(b, dtype, rows, 0).matmul(Tensor.zeros(b, dtype, 0, rows));
                        Allclose.assertAllClose(new double[rows * rows], zeroK.toDoubleArray(), 0, 0, "k = 0");
                        Tensor.concat(1, x, y).relu().sum();
                    } finally {
                        scope.close();
                    }
                }
            }
        }
    }

    @Test
    void a_closed_backend_drops_its_arrays() {
        CpuBackend b = FastPaths.fast();
        b.free(b.full(Shape.of(N), DType.FLOAT32, 0));
        b.close();
        assertEquals(0, b.pool().bytes());
    }
}
