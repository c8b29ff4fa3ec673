package org.flows4j.backend.cpu;

import java.util.Arrays;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.ReduceOp;

/**
 * Sum, mean and maximum over a set of axes, accumulated in double. The input is walked once in
 * row-major order while an {@link IndexPlan} maps each element to its output slot (stride 0
 * along the reduced axes), so any set of axes costs the same single pass.
 */
final class Reduction {

    private Reduction() {
    }

    /**
     * {@code op} over {@code axes}. An empty reduced axis leaves the initial value: 0 for a
     * sum, {@code 0 / 0 = NaN} for a mean, {@code -inf} for a maximum, as {@link ReduceOp}
     * documents. The maximum uses {@link Math#max}, which propagates NaN.
     */
    static CpuStorage reduce(ReduceOp op, CpuStorage x, int[] axes, boolean keepDims) {
        int[] dims = x.shape().dims();
        int[] keptDims = dims.clone();
        long count = 1;
        for (int a : axes) {
            keptDims[a] = 1;
            count *= dims[a];
        }
        Shape kept = Shape.of(keptDims);
        int[] outStrides = kept.strides();
        for (int a : axes) {
            outStrides[a] = 0;
        }
        double[] acc = new double[kept.size()];
        if (op == ReduceOp.MAX) {
            Arrays.fill(acc, Double.NEGATIVE_INFINITY);
        }
        double[] in = x.readDoubles();
        IndexPlan plan = IndexPlan.of(dims, x.shape().strides(), outStrides);
        int si = plan.step[0];
        int so = plan.step[1];
        boolean max = op == ReduceOp.MAX;
        for (int r = 0; r < plan.rows; r++) {
            int i = plan.base[0][r];
            int o = plan.base[1][r];
            if (so == 0) {
                // the whole run lands in one slot: keep it in a register
                double s = acc[o];
                for (int j = 0; j < plan.inner; j++, i += si) {
                    s = max ? Math.max(s, in[i]) : s + in[i];
                }
                acc[o] = s;
            } else if (max) {
                for (int j = 0; j < plan.inner; j++, i += si, o += so) {
                    acc[o] = Math.max(acc[o], in[i]);
                }
            } else {
                for (int j = 0; j < plan.inner; j++, i += si, o += so) {
                    acc[o] += in[i];
                }
            }
        }
        if (op == ReduceOp.MEAN) {
            double n = count;
            for (int k = 0; k < acc.length; k++) {
                acc[k] /= n;
            }
        }
        return CpuStorage.fromComputed(acc, keepDims ? kept : removeAxes(dims, axes), x.dtype());
    }

    private static Shape removeAxes(int[] dims, int[] axes) {
        boolean[] reduced = new boolean[dims.length];
        for (int a : axes) {
            reduced[a] = true;
        }
        int[] out = new int[dims.length - axes.length];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (!reduced[i]) {
                out[j++] = dims[i];
            }
        }
        return Shape.of(out);
    }
}
