package org.flows4j.conformance;

import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.ReduceOp;

/**
 * The specification of each primitive written as plain loops over host doubles, so the kit
 * checks a backend against what the SPI documents and not only against another backend
 * (which, when the target is the reference itself, would prove nothing). Clarity over speed:
 * the kit's tensors are small.
 */
final class Host {

    private Host() {}

    // ---- elementwise ---------------------------------------------------------------------

    /** {@code ln(1 + e^x)} as the SPI specifies it, {@code max(x, 0) + log1p(e^-|x|)}. */
    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** {@code 1 / (1 + e^-x)} without overflow: through {@code e^x} for negative {@code x}. */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** {@code max(x, 0)} with NaN kept. */
    public static double relu(double x) {
        return Double.isNaN(x) ? x : (x > 0 ? x : 0.0);
    }

    /** {@code f} applied to each element. */
    public static Data unary(Data x, DoubleUnaryOperator f) {
        double[] v = x.values();
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return Data.of(x.shape(), out);
    }

    /** {@code f(a, b)} elementwise with NumPy broadcasting. */
    public static Data binary(Data a, Data b, DoubleBinaryOperator f) {
        Shape s = Shape.broadcast("host", a.shape(), b.shape());
        int[] ia = broadcastIndex(a.shape(), s);
        int[] ib = broadcastIndex(b.shape(), s);
        double[] out = new double[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a.values()[ia[i]], b.values()[ib[i]]);
        }
        return Data.of(s, out);
    }

    /** {@code c != 0 ? t : f} with all three broadcasting (a NaN condition is not 0, so it selects {@code t}). */
    public static Data where(Data c, Data t, Data f) {
        Shape s = Shape.broadcast("host", Shape.broadcast("host", c.shape(), t.shape()), f.shape());
        int[] ic = broadcastIndex(c.shape(), s);
        int[] it = broadcastIndex(t.shape(), s);
        int[] iff = broadcastIndex(f.shape(), s);
        double[] out = new double[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.values()[ic[i]] != 0 ? t.values()[it[i]] : f.values()[iff[i]];
        }
        return Data.of(s, out);
    }

    /** {@code x} broadcast to {@code target}. */
    public static Data broadcastTo(Data x, Shape target) {
        int[] idx = broadcastIndex(x.shape(), target);
        double[] out = new double[idx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = x.values()[idx[i]];
        }
        return Data.of(target, out);
    }

    /** For each element of {@code to}, the flat index of the element of {@code from} that broadcasts to it. */
    static int[] broadcastIndex(Shape from, Shape to) {
        int rank = to.rank();
        int offset = rank - from.rank();
        int[] fromStrides = from.strides();
        int[] idx = new int[rank];
        int[] out = new int[to.size()];
        for (int i = 0; i < out.length; i++) {
            int f = 0;
            for (int d = offset; d < rank; d++) {
                if (from.dim(d - offset) != 1) {
                    f += idx[d] * fromStrides[d - offset];
                }
            }
            out[i] = f;
            increment(idx, to);
        }
        return out;
    }

    private static void increment(int[] idx, Shape shape) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape.dim(d)) {
                return;
            }
            idx[d] = 0;
        }
    }

    // ---- linear algebra and reductions ---------------------------------------------------

    /**
     * {@code op(a) · op(b)} for rank 2 by rank 2, rank 3 by rank 3 (batched) or rank 3 by
     * rank 2 (the matrix shared by the batch), summed in the order of {@code k}.
     */
    public static Data matmul(Data a, Data b, boolean transposeA, boolean transposeB) {
        Shape sa = a.shape();
        Shape sb = b.shape();
        int batch = sa.rank() == 3 ? sa.dim(0) : 1;
        boolean sharedB = sb.rank() == 2;
        int m = sa.dim(transposeA ? -1 : -2);
        int k = sa.dim(transposeA ? -2 : -1);
        int n = sb.dim(transposeB ? -2 : -1);
        int ra = sa.dim(-2);
        int ca = sa.dim(-1);
        int rb = sb.dim(-2);
        int cb = sb.dim(-1);
        double[] out = new double[batch * m * n];
        for (int bi = 0; bi < batch; bi++) {
            int offA = bi * ra * ca;
            int offB = sharedB ? 0 : bi * rb * cb;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a.values()[offA + (transposeA ? p * ca + i : i * ca + p)];
                        double y = b.values()[offB + (transposeB ? j * cb + p : p * cb + j)];
                        s += x * y;
                    }
                    out[(bi * m + i) * n + j] = s;
                }
            }
        }
        return Data.of(sa.rank() == 3 ? Shape.of(batch, m, n) : Shape.of(m, n), out);
    }

    /**
     * {@code op} over {@code axes} (all when empty), keeping them with size 1 if {@code keepDims}:
     * 0, NaN (0 / 0) and -inf over nothing for sum, mean and max; max is NaN if any element is.
     */
    public static Data reduce(ReduceOp op, Data x, boolean keepDims, int... axes) {
        Shape s = x.shape();
        int rank = s.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            reduced[a < 0 ? a + rank : a] = true;
        }
        if (axes.length == 0) {
            java.util.Arrays.fill(reduced, true);
        }
        int[] kept = s.dims();
        int count = 1;
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                count *= kept[d];
                kept[d] = 1;
            }
        }
        Shape keptShape = Shape.of(kept);
        double[] out = new double[keptShape.size()];
        java.util.Arrays.fill(out, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0.0);
        int[] keptStrides = keptShape.strides();
        int[] idx = new int[rank];
        for (int i = 0; i < s.size(); i++) {
            int o = 0;
            for (int d = 0; d < rank; d++) {
                if (!reduced[d]) {
                    o += idx[d] * keptStrides[d];
                }
            }
            double v = x.values()[i];
            out[o] = op == ReduceOp.MAX ? Math.max(out[o], v) : out[o] + v;
            increment(idx, s);
        }
        if (op == ReduceOp.MEAN) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= count;
            }
        }
        if (keepDims) {
            return Data.of(keptShape, out);
        }
        int[] dims = new int[rank - countTrue(reduced)];
        int j = 0;
        for (int d = 0; d < rank; d++) {
            if (!reduced[d]) {
                dims[j++] = s.dim(d);
            }
        }
        return Data.of(Shape.of(dims), out);
    }

    private static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean v : b) {
            n += v ? 1 : 0;
        }
        return n;
    }

    /** {@code ln sum exp x} over {@code axes}, around the maximum; {@code -inf} for an all {@code -inf} slice. */
    public static Data logSumExp(Data x, boolean keepDims, int... axes) {
        Data m = reduce(ReduceOp.MAX, x, true, axes);
        Data shift = unary(m, v -> v == Double.NEGATIVE_INFINITY ? 0 : v);
        Data e = binary(x, shift, (a, b) -> Math.exp(a - b));
        Data s = reduce(ReduceOp.SUM, e, true, axes);
        Data r = binary(unary(s, Math::log), shift, Double::sum);
        return keepDims ? r : Data.of(reduce(ReduceOp.SUM, x, false, axes).shape(), r.values());
    }

    // ---- layout --------------------------------------------------------------------------

    /** Result axis {@code i} is input axis {@code axes[i]}. */
    public static Data permute(Data x, int... axes) {
        Shape s = x.shape();
        int rank = s.rank();
        int[] dims = new int[rank];
        int[] in = new int[rank];
        int[] strides = s.strides();
        for (int i = 0; i < rank; i++) {
            in[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
            dims[i] = s.dim(in[i]);
        }
        Shape out = Shape.of(dims);
        double[] v = new double[out.size()];
        int[] idx = new int[rank];
        for (int i = 0; i < v.length; i++) {
            int f = 0;
            for (int d = 0; d < rank; d++) {
                f += idx[d] * strides[in[d]];
            }
            v[i] = x.values()[f];
            increment(idx, out);
        }
        return Data.of(out, v);
    }

    /** Result index {@code i} along {@code axis} is input index {@code indices[i]} (a slice is consecutive indices). */
    public static Data gather(Data x, int axis, int... indices) {
        Shape s = x.shape();
        int a = s.normalizeAxis(axis);
        int outer = prefix(s, a);
        int inner = suffix(s, a);
        int dim = s.dim(a);
        double[] out = new double[outer * indices.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(
                        x.values(), (o * dim + indices[i]) * inner, out, (o * indices.length + i) * inner, inner);
            }
        }
        return Data.of(s.withDim(a, indices.length), out);
    }

    /** Indices {@code [start, end)} along {@code axis}. */
    public static Data slice(Data x, int axis, int start, int end) {
        return gather(x, axis, range(start, end));
    }

    /** Zeros of {@code target} with source slice {@code i} along {@code axis} added into slice {@code indices[i]}. */
    public static Data scatterAdd(Data source, Shape target, int axis, int... indices) {
        int a = target.normalizeAxis(axis);
        int outer = prefix(target, a);
        int inner = suffix(target, a);
        int dim = target.dim(a);
        double[] out = new double[target.size()];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < indices.length; i++) {
                for (int q = 0; q < inner; q++) {
                    out[(o * dim + indices[i]) * inner + q] += source.values()[(o * indices.length + i) * inner + q];
                }
            }
        }
        return Data.of(target, out);
    }

    /** The parts joined along {@code axis}. */
    public static Data concat(int axis, List<Data> parts) {
        Shape first = parts.get(0).shape();
        int a = first.normalizeAxis(axis);
        int outer = prefix(first, a);
        int inner = suffix(first, a);
        int total = 0;
        for (Data p : parts) {
            total += p.shape().dim(a);
        }
        double[] out = new double[outer * total * inner];
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (Data p : parts) {
                int len = p.shape().dim(a) * inner;
                System.arraycopy(p.values(), o * len, out, pos, len);
                pos += len;
            }
        }
        return Data.of(first.withDim(a, total), out);
    }

    static int[] range(int start, int end) {
        int[] r = new int[end - start];
        for (int i = 0; i < r.length; i++) {
            r[i] = start + i;
        }
        return r;
    }

    private static int prefix(Shape s, int axis) {
        int p = 1;
        for (int d = 0; d < axis; d++) {
            p *= s.dim(d);
        }
        return p;
    }

    private static int suffix(Shape s, int axis) {
        int p = 1;
        for (int d = axis + 1; d < s.rank(); d++) {
            p *= s.dim(d);
        }
        return p;
    }

    // ---- convolution ---------------------------------------------------------------------

    /** Cross-correlation, NCHW, stride 1, zero padding {@code padH}, {@code padW} on each side. */
    public static Data conv2d(Data x, Data w, int padH, int padW) {
        Conv c = new Conv(x.shape(), w.shape(), padH, padW);
        double[] y = new double[c.outShape().size()];
        c.forEach((yi, xi, wi) -> y[yi] += x.values()[xi] * w.values()[wi]);
        return Data.of(c.outShape(), y);
    }

    /** The gradient of {@link #conv2d} with respect to its input for output gradient {@code g}. */
    public static Data conv2dBackwardInput(Data g, Data w, Shape inputShape, int padH, int padW) {
        Conv c = new Conv(inputShape, w.shape(), padH, padW);
        double[] gx = new double[inputShape.size()];
        c.forEach((yi, xi, wi) -> gx[xi] += g.values()[yi] * w.values()[wi]);
        return Data.of(inputShape, gx);
    }

    /** The gradient of {@link #conv2d} with respect to its weight for output gradient {@code g}. */
    public static Data conv2dBackwardWeight(Data x, Data g, Shape weightShape, int padH, int padW) {
        Conv c = new Conv(x.shape(), weightShape, padH, padW);
        double[] gw = new double[weightShape.size()];
        c.forEach((yi, xi, wi) -> gw[wi] += g.values()[yi] * x.values()[xi]);
        return Data.of(weightShape, gw);
    }

    private interface Tap {
        void accept(int outIndex, int inIndex, int weightIndex);
    }

    /** The index arithmetic of one convolution: every (output, input, weight) triple that multiplies. */
    private record Conv(Shape in, Shape weight, int padH, int padW) {

        Shape outShape() {
            return Shape.of(
                    in.dim(0),
                    weight.dim(0),
                    in.dim(2) + 2 * padH - weight.dim(2) + 1,
                    in.dim(3) + 2 * padW - weight.dim(3) + 1);
        }

        void forEach(Tap tap) {
            int n = in.dim(0);
            int cin = in.dim(1);
            int h = in.dim(2);
            int w = in.dim(3);
            int cout = weight.dim(0);
            int kh = weight.dim(2);
            int kw = weight.dim(3);
            Shape out = outShape();
            int oh = out.dim(2);
            int ow = out.dim(3);
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < cout; o++) {
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            int yi = ((b * cout + o) * oh + y) * ow + x;
                            for (int c = 0; c < cin; c++) {
                                for (int p = 0; p < kh; p++) {
                                    int iy = y + p - padH;
                                    if (iy < 0 || iy >= h) {
                                        continue;
                                    }
                                    for (int q = 0; q < kw; q++) {
                                        int ix = x + q - padW;
                                        if (ix >= 0 && ix < w) {
                                            tap.accept(
                                                    yi,
                                                    ((b * cin + c) * h + iy) * w + ix,
                                                    ((o * cin + c) * kh + p) * kw + q);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
