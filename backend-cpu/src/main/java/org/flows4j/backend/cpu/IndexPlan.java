package org.flows4j.backend.cpu;

import org.flows4j.api.Shape;

/**
 * A walk over a row-major iteration space that reads (or writes) several operands through
 * their own strides, a stride of 0 standing for a broadcast dimension. Computed once per
 * kernel call so that the per-element loops of every dtype stay free of index arithmetic
 * beyond one addition per operand.
 *
 * <p>The space is cut into {@link #rows} runs of {@link #inner} consecutive elements; in run
 * {@code r}, operand {@code p} starts at {@code base[p][r]} and advances by {@code step[p]}.
 * Size-1 dimensions are dropped and neighbouring dimensions that every operand walks
 * contiguously are merged first, so equal shapes give one long run and the inner run is as
 * long as the layouts allow.
 */
final class IndexPlan {

    /** The number of runs (0 for an empty space). */
    final int rows;
    /** The length of each run. */
    final int inner;
    /** {@code base[p][r]}: where operand {@code p} starts in run {@code r}. */
    final int[][] base;
    /** {@code step[p]}: how far operand {@code p} moves between elements of a run. */
    final int[] step;

    private IndexPlan(int rows, int inner, int[][] base, int[] step) {
        this.rows = rows;
        this.inner = inner;
        this.base = base;
        this.step = step;
    }

    /**
     * The plan for iterating over {@code dims} in row-major order where operand {@code p}
     * reads element {@code sum_i index[i] * strides[p][i]}.
     */
    static IndexPlan of(int[] dims, int[]... strides) {
        int ops = strides.length;
        for (int d : dims) {
            if (d == 0) {
                return new IndexPlan(0, 0, new int[ops][0], new int[ops]);
            }
        }
        // Drop size-1 dimensions, then merge dimension i into i+1 where every operand's
        // stride over i equals its stride over i+1 times the size of i+1.
        int[] cd = new int[dims.length];
        int[][] cs = new int[ops][dims.length];
        int rank = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) {
                continue;
            }
            boolean merge = rank > 0;
            for (int p = 0; p < ops && merge; p++) {
                merge = strides[p][i] * dims[i] == cs[p][rank - 1];
            }
            if (merge) {
                cd[rank - 1] *= dims[i];
                for (int p = 0; p < ops; p++) {
                    cs[p][rank - 1] = strides[p][i];
                }
            } else {
                cd[rank] = dims[i];
                for (int p = 0; p < ops; p++) {
                    cs[p][rank] = strides[p][i];
                }
                rank++;
            }
        }
        int[] step = new int[ops];
        if (rank == 0) {
            return new IndexPlan(1, 1, new int[ops][1], step);
        }
        int inner = cd[rank - 1];
        for (int p = 0; p < ops; p++) {
            step[p] = cs[p][rank - 1];
        }
        int rows = 1;
        for (int i = 0; i < rank - 1; i++) {
            rows *= cd[i];
        }
        int[][] base = new int[ops][rows];
        int[] index = new int[rank - 1];
        int[] offset = new int[ops];
        for (int r = 0; r < rows; r++) {
            for (int p = 0; p < ops; p++) {
                base[p][r] = offset[p];
            }
            // odometer over the outer dimensions, updating every operand's offset incrementally
            for (int i = rank - 2; i >= 0; i--) {
                index[i]++;
                for (int p = 0; p < ops; p++) {
                    offset[p] += cs[p][i];
                }
                if (index[i] < cd[i]) {
                    break;
                }
                index[i] = 0;
                for (int p = 0; p < ops; p++) {
                    offset[p] -= cs[p][i] * cd[i];
                }
            }
        }
        return new IndexPlan(rows, inner, base, step);
    }

    /**
     * The strides with which an operand of {@code shape} is read when broadcast to
     * {@code target} (aligned from the right; 0 for a missing or size-1 dimension).
     */
    static int[] broadcastStrides(Shape shape, int[] target) {
        int[] own = shape.strides();
        int[] dims = shape.dims();
        int shift = target.length - dims.length;
        int[] out = new int[target.length];
        for (int i = 0; i < dims.length; i++) {
            out[i + shift] = dims[i] == 1 ? 0 : own[i];
        }
        return out;
    }
}
