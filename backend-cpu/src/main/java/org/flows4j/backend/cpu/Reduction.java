package org.flows4j.backend.cpu;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.ReduceOp;

/**
 * Sum, mean and maximum over a set of axes, accumulated in double (float32 inputs are read
 * in place, widened element by element) and rounded once at the end.
 *
 * <p>Size-1 dimensions are dropped and neighbouring dimensions that are both reduced or both
 * kept are merged, which leaves alternating groups. The innermost reduced group is reduced
 * first, then the next one out of the doubles that remain, and so on; each pass is a
 * {@code [outer, red, inner]} reduction over the middle axis: a row reduction when
 * {@code inner = 1} (sum over the last axes, or everything), a column reduction otherwise
 * (sum over the batch axis), both unit-stride.
 *
 * <p>Passes over at least {@link Parallel#MIN_PARALLEL_ELEMENTS} inputs are split over the
 * threads by output elements, each output summed by one thread in a fixed order. A row is
 * summed in blocks of {@value #BLOCK} with four running sums each, and the blocks of one long
 * row are summed in parallel and then added in order: the bits depend on the shapes only,
 * never on the thread count.
 */
final class Reduction {

    /** Elements per block of a row reduction. */
    static final int BLOCK = 1 << 14;

    private Reduction() {}

    /**
     * {@code op} over {@code axes}. An empty reduced axis leaves the initial value: 0 for a
     * sum, {@code 0 / 0 = NaN} for a mean, {@code -inf} for a maximum, as {@link ReduceOp}
     * documents. The maximum uses {@link Math#max}, which propagates NaN.
     */
    static CpuStorage reduce(ReduceOp op, CpuStorage x, int[] axes, boolean keepDims, Parallel parallel) {
        int[] dims = x.shape().dims();
        boolean[] reduced = new boolean[dims.length];
        long count = 1;
        for (int a : axes) {
            reduced[a] = true;
            count *= dims[a];
        }
        int[] keptDims = dims.clone();
        for (int a : axes) {
            keptDims[a] = 1;
        }
        Shape kept = Shape.of(keptDims);
        Shape shape = keepDims ? kept : removeAxes(dims, reduced, axes.length);
        boolean max = op == ReduceOp.MAX;
        double[] acc;
        if (kept.size() == 0) {
            acc = new double[0];
        } else if (count == 0) {
            acc = new double[kept.size()];
            if (max) {
                Arrays.fill(acc, Double.NEGATIVE_INFINITY);
            }
        } else {
            acc = reduceGroups(dims, reduced, x, max, parallel);
        }
        if (op == ReduceOp.MEAN) {
            double n = count;
            for (int k = 0; k < acc.length; k++) {
                acc[k] /= n;
            }
        }
        return CpuStorage.fromComputed(acc, shape, x.dtype());
    }

    /** The passes over the merged groups, innermost reduced group first; no dimension is 0. */
    private static double[] reduceGroups(int[] dims, boolean[] reduced, CpuStorage x, boolean max, Parallel parallel) {
        int[] gd = new int[dims.length];
        boolean[] gr = new boolean[dims.length];
        int groups = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) {
                continue;
            }
            if (groups > 0 && gr[groups - 1] == reduced[i]) {
                gd[groups - 1] *= dims[i];
            } else {
                gd[groups] = dims[i];
                gr[groups] = reduced[i];
                groups++;
            }
        }
        Object in = x.dtype() == DType.FLOAT32 ? x.floats() : x.doubles();
        boolean anyPass = false;
        for (int gi = groups - 1; gi >= 0; gi--) {
            if (!gr[gi]) {
                continue;
            }
            int outer = 1;
            for (int i = 0; i < gi; i++) {
                outer *= gd[i];
            }
            int inner = 1;
            for (int i = gi + 1; i < groups; i++) {
                inner *= gd[i];
            }
            in = pass(in, outer, gd[gi], inner, max, parallel);
            gd[gi] = 1;
            anyPass = true;
        }
        if (!anyPass) {
            // nothing of size > 1 is reduced: a copy in double
            return in instanceof float[] f ? Convert.toDoubles(f) : ((double[]) in).clone();
        }
        return (double[]) in;
    }

    /** {@code out[o, i] = op over r of in[o, r, i]} for {@code in} of {@code [outer, red, inner]}. */
    private static double[] pass(Object in, int outer, int red, int inner, boolean max, Parallel parallel) {
        double[] out = new double[outer * inner];
        if (max) {
            Arrays.fill(out, Double.NEGATIVE_INFINITY);
        }
        boolean big = (long) outer * red * inner >= Parallel.MIN_PARALLEL_ELEMENTS;
        if (inner == 1) {
            if (outer == 1 && red > BLOCK) {
                // one long row: its blocks in parallel, then added in order
                int blocks = (red + BLOCK - 1) / BLOCK;
                double[] part = new double[blocks];
                parallel.forRange(blocks, big ? 2 : Integer.MAX_VALUE, 1, (from, to) -> {
                    for (int b = from; b < to; b++) {
                        int start = b * BLOCK;
                        part[b] = run(in, start, Math.min(BLOCK, red - start), max);
                    }
                });
                double s = max ? Double.NEGATIVE_INFINITY : 0;
                for (double v : part) {
                    s = max ? Math.max(s, v) : s + v;
                }
                out[0] = s;
            } else {
                parallel.forRange(outer, big ? 2 : Integer.MAX_VALUE, 1, (from, to) -> {
                    for (int o = from; o < to; o++) {
                        out[o] = row(in, o * red, red, max);
                    }
                });
            }
            return out;
        }
        // columns: each thread takes a range of output elements, row by row of the input
        parallel.forRange(outer * inner, big ? 2 : Integer.MAX_VALUE, 16, (from, to) -> {
            int e = from;
            while (e < to) {
                int o = e / inner;
                int i0 = e - o * inner;
                int i1 = Math.min(inner, i0 + (to - e));
                for (int r = 0; r < red; r++) {
                    columns(in, (o * red + r) * inner, out, o * inner, i0, i1, max);
                }
                e += i1 - i0;
            }
        });
        return out;
    }

    /** One row of {@code n} elements from {@code off}, block by block. */
    private static double row(Object in, int off, int n, boolean max) {
        double s = max ? Double.NEGATIVE_INFINITY : 0;
        for (int start = 0; start < n; start += BLOCK) {
            double v = run(in, off + start, Math.min(BLOCK, n - start), max);
            s = max ? Math.max(s, v) : s + v;
        }
        return s;
    }

    /** One block: four running sums (or maxima), so the additions overlap, combined pairwise. */
    private static double run(Object in, int off, int n, boolean max) {
        double s0 = max ? Double.NEGATIVE_INFINITY : 0;
        double s1 = s0;
        double s2 = s0;
        double s3 = s0;
        int i = 0;
        if (in instanceof float[] f) {
            if (max) {
                for (; i + 3 < n; i += 4) {
                    s0 = Math.max(s0, f[off + i]);
                    s1 = Math.max(s1, f[off + i + 1]);
                    s2 = Math.max(s2, f[off + i + 2]);
                    s3 = Math.max(s3, f[off + i + 3]);
                }
                for (; i < n; i++) {
                    s0 = Math.max(s0, f[off + i]);
                }
                return Math.max(Math.max(s0, s1), Math.max(s2, s3));
            }
            for (; i + 3 < n; i += 4) {
                s0 += f[off + i];
                s1 += f[off + i + 1];
                s2 += f[off + i + 2];
                s3 += f[off + i + 3];
            }
            for (; i < n; i++) {
                s0 += f[off + i];
            }
            return (s0 + s1) + (s2 + s3);
        }
        double[] d = (double[]) in;
        if (max) {
            for (; i + 3 < n; i += 4) {
                s0 = Math.max(s0, d[off + i]);
                s1 = Math.max(s1, d[off + i + 1]);
                s2 = Math.max(s2, d[off + i + 2]);
                s3 = Math.max(s3, d[off + i + 3]);
            }
            for (; i < n; i++) {
                s0 = Math.max(s0, d[off + i]);
            }
            return Math.max(Math.max(s0, s1), Math.max(s2, s3));
        }
        for (; i + 3 < n; i += 4) {
            s0 += d[off + i];
            s1 += d[off + i + 1];
            s2 += d[off + i + 2];
            s3 += d[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += d[off + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code out[oo + i] op= in[off + i]} for {@code i0 <= i < i1}. */
    private static void columns(Object in, int off, double[] out, int oo, int i0, int i1, boolean max) {
        if (in instanceof float[] f) {
            if (max) {
                for (int i = i0; i < i1; i++) {
                    out[oo + i] = Math.max(out[oo + i], f[off + i]);
                }
            } else {
                for (int i = i0; i < i1; i++) {
                    out[oo + i] += f[off + i];
                }
            }
        } else {
            double[] d = (double[]) in;
            if (max) {
                for (int i = i0; i < i1; i++) {
                    out[oo + i] = Math.max(out[oo + i], d[off + i]);
                }
            } else {
                for (int i = i0; i < i1; i++) {
                    out[oo + i] += d[off + i];
                }
            }
        }
    }

    private static Shape removeAxes(int[] dims, boolean[] reduced, int removed) {
        int[] out = new int[dims.length - removed];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (!reduced[i]) {
                out[j++] = dims[i];
            }
        }
        return Shape.of(out);
    }
}
