package org.flows4j.backend.cpu;

import org.flows4j.api.Shape;

/**
 * Matrix products in double precision. Both operands are first brought into plain row-major
 * {@code op(a) [m, k]} and {@code op(b) [k, n]} (a copy only where a transpose or a float32
 * widening is needed, which costs {@code O(mk + kn)} against the {@code O(mkn)} product), so
 * one i-k-j loop serves all four transpose combinations with unit-stride inner reads.
 */
final class MatMul {

    private MatMul() {
    }

    /** {@code op(a) · op(b)} for rank 2, or per batch for rank 3; see {@code Backend#matmul}. */
    static CpuStorage matmul(CpuStorage a, CpuStorage b, boolean transposeA, boolean transposeB, Parallel parallel) {
        boolean batched = a.shape().rank() == 3;
        int batch = batched ? a.shape().dim(0) : 1;
        int m = a.shape().dim(transposeA ? -1 : -2);
        int k = a.shape().dim(transposeA ? -2 : -1);
        int n = b.shape().dim(transposeB ? -2 : -1);
        double[] x = rowMajor(a, batch, transposeA);
        double[] y = rowMajor(b, batch, transposeB);
        double[] c = new double[batch * m * n];
        parallel.forEach(batch * m, (long) batch * m * k * n, row -> {
            int bt = row / Math.max(m, 1);
            int i = row - bt * m;
            int xRow = (bt * m + i) * k;
            int yMat = bt * k * n;
            int cRow = (bt * m + i) * n;
            for (int kk = 0; kk < k; kk++) {
                double aik = x[xRow + kk];
                int yRow = yMat + kk * n;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += aik * y[yRow + j];
                }
            }
        });
        Shape shape = batched ? Shape.of(batch, m, n) : Shape.of(m, n);
        return CpuStorage.fromComputed(c, shape, a.dtype());
    }

    /**
     * The matrices of {@code s} as doubles in row-major order, transposed (each matrix of the
     * batch) when asked. The array of a float64 storage is returned as is when no transpose is
     * needed; it is only read.
     */
    private static double[] rowMajor(CpuStorage s, int batch, boolean transpose) {
        double[] v = s.readDoubles();
        if (!transpose) {
            return v;
        }
        int rows = s.shape().dim(-2);
        int cols = s.shape().dim(-1);
        double[] t = new double[v.length];
        for (int bt = 0; bt < batch; bt++) {
            int off = bt * rows * cols;
            for (int r = 0; r < rows; r++) {
                for (int col = 0; col < cols; col++) {
                    t[off + col * rows + r] = v[off + r * cols + col];
                }
            }
        }
        return t;
    }
}
