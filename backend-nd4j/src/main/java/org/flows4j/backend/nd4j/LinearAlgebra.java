package org.flows4j.backend.nd4j;

import org.flows4j.api.Shape;
import org.flows4j.api.backend.ReduceOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products (ND4J's {@code matmul}, which calls BLAS gemm, batched for rank 3) and
 * reductions ({@code reduce_sum}, {@code reduce_mean}, {@code reduce_max}). ND4J's maximum
 * skips NaN, so a reduction with a NaN input marks the affected results NaN afterwards; and
 * reductions over an axis of size 0 give the SPI's values (0, NaN, -inf) without calling ND4J.
 */
final class LinearAlgebra {

    private LinearAlgebra() {}

    static Nd4jStorage matmul(Nd4jStorage a, Nd4jStorage b, boolean transposeA, boolean transposeB) {
        int[] da = a.shape().dims();
        int[] db = b.shape().dims();
        int r = da.length;
        int m = transposeA ? da[r - 1] : da[r - 2];
        int k = transposeA ? da[r - 2] : da[r - 1];
        int n = transposeB ? db[r - 2] : db[r - 1];
        Shape out = r == 2 ? Shape.of(m, n) : Shape.of(da[0], m, n);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, a.dtype());
        }
        DataType type = Nd.type(a.dtype());
        if (k == 0) {
            // an empty sum: BLAS is not asked about zero-length products
            return Nd4jStorage.owning(Nd.filled(type, out, 0), out, a.dtype());
        }
        INDArray z = Nd.alloc(type, out);
        try {
            Nd.exec(
                    "matmul",
                    new INDArray[] {a.array(), b.array()},
                    new INDArray[] {z},
                    transposeA ? 1 : 0,
                    transposeB ? 1 : 0);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, a.dtype());
    }

    static Nd4jStorage reduce(ReduceOp op, Nd4jStorage x, int[] axes, boolean keepDims) {
        Shape in = x.shape();
        if (axes.length == 0) {
            return x.isEmpty()
                    ? Nd4jStorage.empty(in, x.dtype())
                    : Nd4jStorage.owning(Nd.copy(x.array()), in, x.dtype());
        }
        Shape out = reducedShape(in, axes, keepDims);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, x.dtype());
        }
        DataType type = Nd.type(x.dtype());
        if (x.isEmpty()) {
            // some reduced axis has size 0 while the result has elements
            double identity = switch (op) {
                case SUM -> 0;
                case MEAN -> Double.NaN;
                case MAX -> Double.NEGATIVE_INFINITY;
            };
            return Nd4jStorage.owning(Nd.filled(type, out, identity), out, x.dtype());
        }
        String name = switch (op) {
            case SUM -> "reduce_sum";
            case MEAN -> "reduce_mean";
            case MAX -> "reduce_max";
        };
        INDArray z = Nd.alloc(type, out);
        try {
            Nd.exec(name, new INDArray[] {x.array()}, new INDArray[] {z}, axes, new boolean[] {keepDims});
            if (op == ReduceOp.MAX && Nd.hasNaN(x.array())) {
                z = markNaN(z, x.array(), out, axes, keepDims);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, x.dtype());
    }

    /** {@code z} (owned) with NaN wherever the reduced slice of {@code x} holds a NaN. */
    private static INDArray markNaN(INDArray z, INDArray x, Shape out, int[] axes, boolean keepDims) {
        try (Scratch s = new Scratch()) {
            s.add(z);
            INDArray isNaN = s.add(s.add(x.neq(x)).castTo(x.dataType()));
            INDArray any = s.add(Nd.alloc(x.dataType(), out));
            Nd.exec("reduce_max", new INDArray[] {isNaN}, new INDArray[] {any}, axes, new boolean[] {keepDims});
            INDArray mask = s.add(any.gt(0.0));
            INDArray nan = s.add(Nd.filled(x.dataType(), out, Double.NaN));
            return Nd.select(mask, nan, z);
        }
    }

    static Shape reducedShape(Shape in, int[] axes, boolean keepDims) {
        int[] d = in.dims();
        boolean[] reduced = new boolean[d.length];
        for (int a : axes) {
            reduced[a] = true;
        }
        int[] out = new int[keepDims ? d.length : d.length - axes.length];
        int j = 0;
        for (int i = 0; i < d.length; i++) {
            if (!reduced[i]) {
                out[j++] = d[i];
            } else if (keepDims) {
                out[j++] = 1;
            }
        }
        return Shape.of(out);
    }
}
