package org.flows4j.backend.cpu;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.UnaryOp;

/**
 * The fused kernels of the SPI ({@code Backend#linear}, {@code reluBackward},
 * {@code affineCoupling}) as single passes: each element takes exactly the operations of the
 * composed default, through the same {@link Kernels} loops in the same order, so both give the
 * same bits; what goes is the intermediate arrays and the passes over them. Intermediates live
 * in a per-thread chunk ({@link Buffers#FUSED}) of {@value #CHUNK} elements, in L1. Methods
 * return null for arguments they do not cover (other shapes or dtypes mixed), and the backend
 * then runs the composed default.
 */
final class Fused {

    /** Elements per intermediate chunk: 16 KiB of floats. */
    static final int CHUNK = 4096;

    private Fused() {}

    /** {@code act(x W + b)}: the product, then one pass over it adding the bias row and applying the activation. */
    static CpuStorage linear(
            CpuStorage x, CpuStorage w, CpuStorage bias, UnaryOp act, Kernels kern, Parallel parallel, ArrayPool pool) {
        if (x.shape().rank() != 2
                || w.shape().rank() != 2
                || x.dtype() != w.dtype()
                || (bias != null
                        && (bias.dtype() != x.dtype()
                                || bias.shape().rank() != 1
                                || bias.shape().dim(0) != w.shape().dim(1)))) {
            return null;
        }
        CpuStorage out = MatMul.matmul(x, w, false, false, kern, parallel, pool);
        int rows = out.shape().dim(0);
        int n = out.shape().dim(1);
        if ((bias == null && act == null) || rows == 0 || n == 0) {
            return out;
        }
        Object o = out.array();
        Object b = bias == null ? null : bias.array();
        // rows narrower than a chunk go through it several at a time (the bias repeated once per
        // row in a scratch chunk), so that a product a few columns wide makes a few kernel calls,
        // not three per row; each element gets the same operations either way
        int group = n >= CHUNK ? 1 : CHUNK / n;
        // the bias is added in place (an elementwise add reads each element before writing it);
        // the activation goes through the chunk, since some vector kernels read their input after
        // writing their output and must not run in place
        parallel.forRange(rows, Math.max(1, Parallel.MIN_PARALLEL_ELEMENTS / n), 1, (from, to) -> {
            Buffers buf = Buffers.get();
            if (group > 1) {
                int len = group * n;
                Object repeated = b == null ? null : repeatedRow(buf, b, n, group);
                for (int r = from; r < to; r += group) {
                    epilogue(kern, buf, o, r * n, repeated, 0, act, Math.min(len, (to - r) * n));
                }
                return;
            }
            for (int r = from; r < to; r++) {
                for (int c = 0; c < n; c += CHUNK) {
                    epilogue(kern, buf, o, r * n + c, b, c, act, Math.min(CHUNK, n - c));
                }
            }
        });
        return out;
    }

    /** {@code y[at + i] = act(y[at + i])} for {@code i < len}, in place, chunk by chunk, on the calling thread. */
    static void activateInPlace(Kernels kern, Object y, int at, int len, UnaryOp act) {
        Buffers buf = Buffers.get();
        for (int c = 0; c < len; c += CHUNK) {
            epilogue(kern, buf, y, at + c, null, 0, act, Math.min(CHUNK, len - c));
        }
    }

    /** {@code row} ({@code n} elements) repeated {@code times} times in the bias scratch chunk. */
    private static Object repeatedRow(Buffers buf, Object row, int n, int times) {
        Object out =
                row instanceof float[] ? buf.floats(Buffers.BIAS, n * times) : buf.doubles(Buffers.BIAS, n * times);
        for (int t = 0; t < times; t++) {
            System.arraycopy(row, 0, out, t * n, n);
        }
        return out;
    }

    /**
     * {@code y[at + i] = act(y[at + i] + b[bo + i])} for {@code i < len <= CHUNK}, with no bias
     * when {@code b} is null and no activation when {@code act} is: the linear layer's
     * epilogue on one run of its output.
     */
    private static void epilogue(Kernels kern, Buffers buf, Object y, int at, Object b, int bo, UnaryOp act, int len) {
        if (y instanceof float[] yf) {
            if (b != null) {
                kern.binaryF(BinaryOp.ADD, yf, at, 1, (float[]) b, bo, 1, yf, at, len);
            }
            if (act != null) {
                float[] t = buf.floats(Buffers.FUSED, CHUNK);
                kern.unaryF(act, yf, at, t, 0, len);
                System.arraycopy(t, 0, yf, at, len);
            }
        } else {
            double[] yd = (double[]) y;
            if (b != null) {
                kern.binaryD(BinaryOp.ADD, yd, at, 1, (double[]) b, bo, 1, yd, at, len);
            }
            if (act != null) {
                double[] t = buf.doubles(Buffers.FUSED, CHUNK);
                kern.unaryD(act, yd, at, t, 0, len);
                System.arraycopy(t, 0, yd, at, len);
            }
        }
    }

    /** {@code g * sign(y)}, chunk by chunk: the sign into the scratch chunk, then the product. */
    static CpuStorage reluBackward(CpuStorage g, CpuStorage y, Kernels kern, Parallel parallel, ArrayPool pool) {
        if (!g.shape().equals(y.shape()) || g.dtype() != y.dtype()) {
            return null;
        }
        CpuStorage out = CpuStorage.uninitialized(g.shape(), g.dtype(), pool);
        parallel.forRange(
                g.shape().size(),
                Parallel.MIN_PARALLEL_ELEMENTS,
                64,
                (from, to) -> timesReluSign(kern, g, y, out, from, to - from));
        return out;
    }

    /**
     * {@code d[i] = d[i] * sign(y[i])} for {@code i} in {@code [from, from + len)}, in place, on
     * the calling thread: {@link #reluBackward}'s operations on one range, so the same bits. For
     * a convolution's input gradient that passes through a ReLU ({@link Convolution}).
     */
    static void reluMask(Kernels kern, CpuStorage d, CpuStorage y, int from, int len) {
        timesReluSign(kern, d, y, d, from, len);
    }

    /** {@code out[i] = g[i] * sign(y[i])} on {@code [from, from + len)}, chunk by chunk; {@code out} may be {@code g}. */
    private static void timesReluSign(Kernels kern, CpuStorage g, CpuStorage y, CpuStorage out, int from, int len) {
        Buffers buf = Buffers.get();
        boolean f32 = g.dtype() == DType.FLOAT32;
        for (int at = from; at < from + len; at += CHUNK) {
            int n = Math.min(CHUNK, from + len - at);
            if (f32) {
                float[] t = buf.floats(Buffers.FUSED, CHUNK);
                kern.unaryF(UnaryOp.SIGN, y.floats(), at, t, 0, n);
                kern.binaryF(BinaryOp.MUL, g.floats(), at, 1, t, 0, 1, out.floats(), at, n);
            } else {
                double[] t = buf.doubles(Buffers.FUSED, CHUNK);
                kern.unaryD(UnaryOp.SIGN, y.doubles(), at, t, 0, n);
                kern.binaryD(BinaryOp.MUL, g.doubles(), at, 1, t, 0, 1, out.doubles(), at, n);
            }
        }
    }

    /** Forward {@code x * exp(s) + t}, inverse {@code (x - t) * exp(-s)}, chunk by chunk. */
    static CpuStorage affineCoupling(
            CpuStorage x,
            CpuStorage s,
            CpuStorage t,
            boolean inverse,
            Kernels kern,
            Parallel parallel,
            ArrayPool pool) {
        Shape shape = x.shape();
        if (!shape.equals(s.shape()) || !shape.equals(t.shape()) || x.dtype() != s.dtype() || x.dtype() != t.dtype()) {
            return null;
        }
        CpuStorage out = CpuStorage.uninitialized(shape, x.dtype(), pool);
        int size = shape.size();
        boolean f32 = x.dtype() == DType.FLOAT32;
        parallel.forRange(size, Parallel.MIN_PARALLEL_ELEMENTS, 64, (from, to) -> {
            Buffers buf = Buffers.get();
            for (int at = from; at < to; at += CHUNK) {
                int len = Math.min(CHUNK, to - at);
                if (f32) {
                    float[] e = buf.floats(Buffers.FUSED, 2 * CHUNK);
                    float[] o = out.floats();
                    if (!inverse) {
                        kern.unaryF(UnaryOp.EXP, s.floats(), at, e, 0, len);
                        kern.binaryF(BinaryOp.MUL, x.floats(), at, 1, e, 0, 1, o, at, len);
                        kern.binaryF(BinaryOp.ADD, o, at, 1, t.floats(), at, 1, o, at, len);
                    } else {
                        kern.unaryF(UnaryOp.NEG, s.floats(), at, e, CHUNK, len);
                        kern.unaryF(UnaryOp.EXP, e, CHUNK, e, 0, len);
                        kern.binaryF(BinaryOp.SUB, x.floats(), at, 1, t.floats(), at, 1, o, at, len);
                        kern.binaryF(BinaryOp.MUL, o, at, 1, e, 0, 1, o, at, len);
                    }
                } else {
                    double[] e = buf.doubles(Buffers.FUSED, 2 * CHUNK);
                    double[] o = out.doubles();
                    if (!inverse) {
                        kern.unaryD(UnaryOp.EXP, s.doubles(), at, e, 0, len);
                        kern.binaryD(BinaryOp.MUL, x.doubles(), at, 1, e, 0, 1, o, at, len);
                        kern.binaryD(BinaryOp.ADD, o, at, 1, t.doubles(), at, 1, o, at, len);
                    } else {
                        kern.unaryD(UnaryOp.NEG, s.doubles(), at, e, CHUNK, len);
                        kern.unaryD(UnaryOp.EXP, e, CHUNK, e, 0, len);
                        kern.binaryD(BinaryOp.SUB, x.doubles(), at, 1, t.doubles(), at, 1, o, at, len);
                        kern.binaryD(BinaryOp.MUL, o, at, 1, e, 0, 1, o, at, len);
                    }
                }
            }
        });
        return out;
    }
}
