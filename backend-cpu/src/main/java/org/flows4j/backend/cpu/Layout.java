package org.flows4j.backend.cpu;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/**
 * The layout kernels. Slicing, joining and gathering move whole contiguous blocks with
 * {@link System#arraycopy}, which needs no per-dtype code; permuting and broadcasting read
 * each element through an {@link IndexPlan}.
 *
 * <p>Along an axis, a row-major tensor is {@code [outer, dim, inner]}: {@code outer} is the
 * product of the dimensions before the axis and {@code inner} of those after it, so index
 * {@code i} of the axis is the block of {@code inner} elements at {@code (o * dim + i) * inner}.
 */
final class Layout {

    private Layout() {}

    /** {@code x} broadcast to {@code shape}. */
    static CpuStorage broadcastTo(CpuStorage x, Shape shape, ArrayPool pool) {
        int[] dims = shape.dims();
        return gatherStrided(x, shape, IndexPlan.broadcastStrides(x.shape(), dims), pool);
    }

    /** Result dimension {@code i} is input dimension {@code axes[i]}. */
    static CpuStorage permute(CpuStorage x, int[] axes, ArrayPool pool) {
        int[] inDims = x.shape().dims();
        int[] inStrides = x.shape().strides();
        int[] dims = new int[axes.length];
        int[] strides = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            dims[i] = inDims[axes[i]];
            strides[i] = inStrides[axes[i]];
        }
        return gatherStrided(x, Shape.of(dims), strides, pool);
    }

    /**
     * A new row-major storage of {@code shape} whose element at multi-index {@code i} is read
     * from {@code x} at {@code sum_d i[d] * strides[d]}.
     */
    private static CpuStorage gatherStrided(CpuStorage x, Shape shape, int[] strides, ArrayPool pool) {
        IndexPlan plan = IndexPlan.of(shape.dims(), strides);
        int[] base = plan.base[0];
        int step = plan.step[0];
        int n = plan.inner;
        if (x.dtype() == DType.FLOAT32) {
            float[] in = x.floats();
            float[] out = pool.floats(shape.size());
            for (int r = 0, o = 0; r < plan.rows; r++) {
                for (int j = 0, src = base[r]; j < n; j++, src += step) {
                    out[o++] = in[src];
                }
            }
            return CpuStorage.wrap(out, shape);
        }
        double[] in = x.doubles();
        double[] out = pool.doubles(shape.size());
        for (int r = 0, o = 0; r < plan.rows; r++) {
            for (int j = 0, src = base[r]; j < n; j++, src += step) {
                out[o++] = in[src];
            }
        }
        return CpuStorage.wrap(out, shape);
    }

    /** Indices {@code [start, end)} of {@code axis}. */
    static CpuStorage slice(CpuStorage x, int axis, int start, int end, ArrayPool pool) {
        Shape shape = x.shape().withDim(axis, end - start);
        CpuStorage out = CpuStorage.uninitialized(shape, x.dtype(), pool);
        int dim = x.shape().dim(axis);
        int inner = inner(x.shape(), axis);
        int block = (end - start) * inner;
        copyBlocks(x.array(), start * inner, dim * inner, out.array(), 0, block, block, outer(x.shape(), axis));
        return out;
    }

    /** The parts joined along {@code axis}. */
    static CpuStorage concat(List<CpuStorage> parts, int axis, ArrayPool pool) {
        CpuStorage first = parts.get(0);
        int total = 0;
        for (CpuStorage p : parts) {
            total += p.shape().dim(axis);
        }
        Shape shape = first.shape().withDim(axis, total);
        CpuStorage out = CpuStorage.uninitialized(shape, first.dtype(), pool);
        int inner = inner(shape, axis);
        int outer = outer(shape, axis);
        // part by part: each part's blocks go to the same offset of every row of the result
        int at = 0;
        for (CpuStorage p : parts) {
            int block = p.shape().dim(axis) * inner;
            copyBlocks(p.array(), 0, block, out.array(), at, total * inner, block, outer);
            at += block;
        }
        return out;
    }

    /** Blocks shorter than this are copied by a typed loop: {@code System.arraycopy} costs more per call than a few elements do. */
    static final int SHORT_BLOCK = 32;

    /**
     * {@code count} blocks of {@code block} elements, block {@code o} from {@code src} at
     * {@code srcAt + o srcStride} to {@code dst} at {@code dstAt + o dstStride}: with
     * {@code System.arraycopy} when blocks are long, else element by element (a slice or a join
     * along the last axis of {@code [512, 2]} moved one element per call).
     */
    private static void copyBlocks(
            Object src, int srcAt, int srcStride, Object dst, int dstAt, int dstStride, int block, int count) {
        if (block >= SHORT_BLOCK) {
            for (int o = 0; o < count; o++) {
                System.arraycopy(src, srcAt + o * srcStride, dst, dstAt + o * dstStride, block);
            }
        } else if (src instanceof float[] s && dst instanceof float[] d) {
            for (int o = 0; o < count; o++) {
                for (int i = 0, from = srcAt + o * srcStride, to = dstAt + o * dstStride; i < block; i++) {
                    d[to + i] = s[from + i];
                }
            }
        } else {
            double[] s = (double[]) src;
            double[] d = (double[]) dst;
            for (int o = 0; o < count; o++) {
                for (int i = 0, from = srcAt + o * srcStride, to = dstAt + o * dstStride; i < block; i++) {
                    d[to + i] = s[from + i];
                }
            }
        }
    }

    /**
     * Result index {@code i} along {@code axis} is input index {@code indices[i]}. Blocks of
     * {@code inner > 1} elements move with {@link System#arraycopy}; single elements (a
     * gather along the last axis, as the odd/even split of a coupling) in a typed loop, where
     * an arraycopy per element would cost more than the element.
     */
    static CpuStorage gather(CpuStorage x, int axis, int[] indices, ArrayPool pool) {
        Shape shape = x.shape().withDim(axis, indices.length);
        CpuStorage out = CpuStorage.uninitialized(shape, x.dtype(), pool);
        int dim = x.shape().dim(axis);
        int inner = inner(shape, axis);
        int outer = outer(shape, axis);
        if (inner == 1 && x.dtype() == DType.FLOAT32) {
            float[] in = x.floats();
            float[] o = out.floats();
            for (int r = 0, dst = 0; r < outer; r++) {
                int src = r * dim;
                for (int index : indices) {
                    o[dst++] = in[src + index];
                }
            }
        } else if (inner == 1) {
            double[] in = x.doubles();
            double[] o = out.doubles();
            for (int r = 0, dst = 0; r < outer; r++) {
                int src = r * dim;
                for (int index : indices) {
                    o[dst++] = in[src + index];
                }
            }
        } else {
            int dst = 0;
            for (int r = 0; r < outer; r++) {
                for (int index : indices) {
                    System.arraycopy(x.array(), (r * dim + index) * inner, out.array(), dst, inner);
                    dst += inner;
                }
            }
        }
        return out;
    }

    /**
     * Zeros of {@code shape} with source block {@code i} along {@code axis} added into block
     * {@code indices[i]}. Distinct indices (the backward pass of a partition or permutation)
     * touch each output element at most once, so the sum {@code 0 + s} is formed directly in
     * the storage's dtype; repeated indices accumulate in double and are rounded once.
     */
    static CpuStorage scatterAdd(Shape shape, int axis, int[] indices, CpuStorage source, ArrayPool pool) {
        int dim = shape.dim(axis);
        if (!distinct(indices, dim)) {
            return scatterAddRepeated(shape, axis, indices, source);
        }
        int inner = inner(shape, axis);
        int outer = outer(shape, axis);
        int n = shape.size();
        if (source.dtype() == DType.FLOAT32) {
            float[] src = source.floats();
            float[] out = pool.floats(n);
            java.util.Arrays.fill(out, 0, n, 0f);
            if (inner == 1) {
                for (int r = 0, s = 0; r < outer; r++) {
                    int base = r * dim;
                    for (int index : indices) {
                        out[base + index] = src[s++] + 0f; // 0 + s: a -0 source gives +0, as the sum does
                    }
                }
                return CpuStorage.wrap(out, shape);
            }
            for (int r = 0, s = 0; r < outer; r++) {
                for (int index : indices) {
                    for (int d = (r * dim + index) * inner, end = d + inner; d < end; d++) {
                        out[d] = src[s++] + 0f; // 0 + s: a -0 source gives +0, as the sum does
                    }
                }
            }
            return CpuStorage.wrap(out, shape);
        }
        double[] src = source.doubles();
        double[] out = pool.doubles(n);
        java.util.Arrays.fill(out, 0, n, 0.0);
        if (inner == 1) {
            for (int r = 0, s = 0; r < outer; r++) {
                int base = r * dim;
                for (int index : indices) {
                    out[base + index] = src[s++] + 0.0;
                }
            }
            return CpuStorage.wrap(out, shape);
        }
        for (int r = 0, s = 0; r < outer; r++) {
            for (int index : indices) {
                for (int d = (r * dim + index) * inner, end = d + inner; d < end; d++) {
                    out[d] = src[s++] + 0.0;
                }
            }
        }
        return CpuStorage.wrap(out, shape);
    }

    /** Whether no index in {@code indices} (each in {@code [0, dim)}) appears twice. */
    private static boolean distinct(int[] indices, int dim) {
        if (indices.length > dim) {
            return false;
        }
        boolean[] seen = new boolean[dim];
        for (int index : indices) {
            if (seen[index]) {
                return false;
            }
            seen[index] = true;
        }
        return true;
    }

    private static CpuStorage scatterAddRepeated(Shape shape, int axis, int[] indices, CpuStorage source) {
        double[] src = source.readDoubles();
        double[] out = new double[shape.size()];
        int dim = shape.dim(axis);
        int inner = inner(shape, axis);
        int s = 0;
        for (int o = 0, n = outer(shape, axis); o < n; o++) {
            for (int index : indices) {
                int d = (o * dim + index) * inner;
                for (int j = 0; j < inner; j++) {
                    out[d + j] += src[s++];
                }
            }
        }
        return CpuStorage.fromComputed(out, shape, source.dtype());
    }

    /** The product of the dimensions before {@code axis}. */
    static int outer(Shape shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) {
            n *= shape.dim(i);
        }
        return n;
    }

    /** The product of the dimensions after {@code axis}. */
    static int inner(Shape shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.rank(); i++) {
            n *= shape.dim(i);
        }
        return n;
    }
}
