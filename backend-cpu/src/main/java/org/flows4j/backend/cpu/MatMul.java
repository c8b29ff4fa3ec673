package org.flows4j.backend.cpu;

import org.flows4j.api.Shape;

/**
 * Matrix products, rank 2 and batched rank 3, in the storage's own dtype, through
 * {@link Gemm}: a transposed operand is read in place by the packing, never copied first.
 */
final class MatMul {

    private MatMul() {}

    /** {@code op(a) · op(b)} for rank 2, or per batch for rank 3; see {@code Backend#matmul}. */
    static CpuStorage matmul(
            CpuStorage a,
            CpuStorage b,
            boolean transposeA,
            boolean transposeB,
            Kernels kern,
            Parallel parallel,
            ArrayPool pool) {
        boolean batched = a.shape().rank() == 3;
        int batch = batched ? a.shape().dim(0) : 1;
        int m = a.shape().dim(transposeA ? -1 : -2);
        int k = a.shape().dim(transposeA ? -2 : -1);
        int n = b.shape().dim(transposeB ? -2 : -1);
        int lda = a.shape().dim(-1);
        int ldb = b.shape().dim(-1);
        Shape shape = batched ? Shape.of(batch, m, n) : Shape.of(m, n);
        // every element is stored by the product (zeros when k = 0), so a recycled array will do
        CpuStorage out = CpuStorage.uninitialized(shape, a.dtype(), pool);
        Object x = a.array();
        Object y = b.array();
        Object c = out.array();
        int sa = m * k;
        int sb = k * n;
        int sc = m * n;
        if (batch > 1 && batch >= parallel.threads()) {
            // many matrices: one thread per matrix, each product on its own thread
            parallel.forEach(
                    batch,
                    (long) batch * m * n * k,
                    bt -> Gemm.gemm(
                            kern,
                            Parallel.SERIAL,
                            m,
                            n,
                            k,
                            x,
                            bt * sa,
                            lda,
                            transposeA,
                            y,
                            bt * sb,
                            ldb,
                            transposeB,
                            c,
                            bt * sc,
                            n,
                            false));
        } else {
            for (int bt = 0; bt < batch; bt++) {
                Gemm.gemm(
                        kern,
                        parallel,
                        m,
                        n,
                        k,
                        x,
                        bt * sa,
                        lda,
                        transposeA,
                        y,
                        bt * sb,
                        ldb,
                        transposeB,
                        c,
                        bt * sc,
                        n,
                        false);
            }
        }
        return out;
    }
}
