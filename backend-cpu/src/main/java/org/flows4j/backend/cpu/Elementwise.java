package org.flows4j.backend.cpu;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;

/**
 * The elementwise kernels: the formulas, and the walks that hand contiguous runs to
 * {@link Kernels}. Operations that IEEE 754 rounds correctly are computed in the storage's
 * dtype (for float32 that equals computing in double and rounding once); the others
 * (exponentials, logarithms, tanh, power) are computed in double and rounded once, except the
 * float32 exponential, sigmoid, softplus and tanh, which {@link FloatMath} computes in float32
 * within 3 ulps.
 *
 * <p>An output of at least {@link Parallel#MIN_PARALLEL_ELEMENTS} elements is cut into one
 * contiguous range per thread; a smaller one is computed on the calling thread with no hand-off.
 * Each element is computed the same way on any thread, so the bits do not depend on the split.
 * Every kernel writes each element of its output, which may therefore be a recycled array
 * ({@link ArrayPool}).
 */
final class Elementwise {

    /** Ranges handed to threads start at multiples of this (a whole number of vectors). */
    private static final int GRAIN = 64;

    private Elementwise() {}

    // ---- the formulas ------------------------------------------------------------------

    /** A unary primitive on one value. */
    static double apply(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case SOFTPLUS -> softplus(x);
            // Math.max returns NaN for a NaN argument, and +0 for -0
            case RELU -> Math.max(x, 0.0);
            case ABS -> Math.abs(x);
            // signum keeps the sign of a zero; the SPI asks for 0 for both zeros
            case SIGN -> x == 0 ? 0.0 : Math.signum(x);
            case SQRT -> Math.sqrt(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1 / x;
        };
    }

    /**
     * A comparison. Java's relational operators already follow IEEE 754: every comparison with
     * NaN is false, and {@code !=} is true. Float operands widen exactly, so this serves both dtypes.
     */
    static boolean test(CompareOp op, double a, double b) {
        return switch (op) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
        };
    }

    /**
     * {@code 1 / (1 + e^-x)}. For negative {@code x} the equal form {@code e^x / (1 + e^x)} is
     * used, so that {@code e^-x} is never evaluated where it could overflow.
     */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /**
     * {@code ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|)}: the exponent is never positive, so it
     * cannot overflow, and log1p keeps the small tail accurate for large {@code |x|}.
     */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    // ---- the walks -----------------------------------------------------------------------

    /** {@code op} applied to every element of {@code x}. */
    static CpuStorage unary(UnaryOp op, CpuStorage x, Kernels kern, Parallel parallel, ArrayPool pool) {
        CpuStorage out = CpuStorage.uninitialized(x.shape(), x.dtype(), pool);
        int n = x.shape().size();
        if (x.dtype() == DType.FLOAT32) {
            float[] in = x.floats();
            float[] o = out.floats();
            parallel.forRange(
                    n,
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    GRAIN,
                    (from, to) -> kern.unaryF(op, in, from, o, from, to - from));
        } else {
            double[] in = x.doubles();
            double[] o = out.doubles();
            parallel.forRange(
                    n,
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    GRAIN,
                    (from, to) -> kern.unaryD(op, in, from, o, from, to - from));
        }
        return out;
    }

    /** A binary kernel on one contiguous run: steps of 0 or 1 are vectorized, others walk. */
    @FunctionalInterface
    private interface Run {
        void run(Object x, int xo, int sx, Object y, int yo, int sy, Object out, int oo, int n);
    }

    /** {@code op(a, b)} with both sides broadcasting to their common shape. */
    static CpuStorage binary(BinaryOp op, CpuStorage a, CpuStorage b, Kernels kern, Parallel parallel, ArrayPool pool) {
        boolean f32 = a.dtype() == DType.FLOAT32;
        return broadcast(
                "binary",
                a,
                b,
                parallel,
                pool,
                f32
                        ? (x, xo, sx, y, yo, sy, o, oo, n) ->
                                kern.binaryF(op, (float[]) x, xo, sx, (float[]) y, yo, sy, (float[]) o, oo, n)
                        : (x, xo, sx, y, yo, sy, o, oo, n) ->
                                kern.binaryD(op, (double[]) x, xo, sx, (double[]) y, yo, sy, (double[]) o, oo, n));
    }

    /** 1 where {@code op(a, b)} holds, else 0, both sides broadcasting. */
    static CpuStorage compare(
            CompareOp op, CpuStorage a, CpuStorage b, Kernels kern, Parallel parallel, ArrayPool pool) {
        boolean f32 = a.dtype() == DType.FLOAT32;
        return broadcast(
                "compare",
                a,
                b,
                parallel,
                pool,
                f32
                        ? (x, xo, sx, y, yo, sy, o, oo, n) ->
                                kern.compareF(op, (float[]) x, xo, sx, (float[]) y, yo, sy, (float[]) o, oo, n)
                        : (x, xo, sx, y, yo, sy, o, oo, n) ->
                                kern.compareD(op, (double[]) x, xo, sx, (double[]) y, yo, sy, (double[]) o, oo, n));
    }

    /**
     * The walk of a broadcasting binary kernel: an {@link IndexPlan} cuts the output into runs
     * along which each operand moves by a fixed step (0 for a broadcast one), and each thread
     * takes a contiguous range of output elements, that is, whole runs and at most two pieces.
     * The output is row-major in the plan's order, so element {@code e} is written at {@code e}.
     */
    private static CpuStorage broadcast(
            String op, CpuStorage a, CpuStorage b, Parallel parallel, ArrayPool pool, Run kernel) {
        Shape shape = a.shape().equals(b.shape()) ? a.shape() : Shape.broadcast(op, a.shape(), b.shape());
        CpuStorage out = CpuStorage.uninitialized(shape, a.dtype(), pool);
        Object x = a.array();
        Object y = b.array();
        Object o = out.array();
        int size = shape.size();
        if (a.shape().equals(b.shape())) {
            parallel.forRange(
                    size,
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    GRAIN,
                    (from, to) -> kernel.run(x, from, 1, y, from, 1, o, from, to - from));
            return out;
        }
        int[] dims = shape.dims();
        IndexPlan plan = IndexPlan.of(
                dims, IndexPlan.broadcastStrides(a.shape(), dims), IndexPlan.broadcastStrides(b.shape(), dims));
        if (plan.rows == 0) {
            return out;
        }
        int inner = plan.inner;
        int sa = plan.step[0];
        int sb = plan.step[1];
        int[] aBase = plan.base[0];
        int[] bBase = plan.base[1];
        parallel.forRange(size, Parallel.MIN_PARALLEL_ELEMENTS, GRAIN, (from, to) -> {
            int e = from;
            int r = from / inner;
            int j = from - r * inner;
            while (e < to) {
                int len = Math.min(inner - j, to - e);
                kernel.run(x, aBase[r] + j * sa, sa, y, bBase[r] + j * sb, sb, o, e, len);
                e += len;
                r++;
                j = 0;
            }
        });
        return out;
    }

    /**
     * {@code c != 0 ? t : f} with all three broadcasting together; a NaN condition is not 0.
     * Operands of another shape are broadcast first: the selection itself moves no arithmetic,
     * and the backward rules that call it pass operands of one shape.
     */
    static CpuStorage where(CpuStorage c, CpuStorage t, CpuStorage f, Kernels kern, Parallel parallel, ArrayPool pool) {
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", c.shape(), t.shape()), f.shape());
        CpuStorage cond = expand(c, shape, pool);
        CpuStorage yes = expand(t, shape, pool);
        CpuStorage no = expand(f, shape, pool);
        CpuStorage out = CpuStorage.uninitialized(shape, c.dtype(), pool);
        if (c.dtype() == DType.FLOAT32) {
            parallel.forRange(
                    shape.size(),
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    GRAIN,
                    (from, to) -> kern.whereF(cond.floats(), yes.floats(), no.floats(), out.floats(), from, to));
        } else {
            parallel.forRange(
                    shape.size(),
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    GRAIN,
                    (from, to) -> kern.whereD(cond.doubles(), yes.doubles(), no.doubles(), out.doubles(), from, to));
        }
        // the broadcast copies were private to this call: their arrays go back to the pool
        for (CpuStorage[] pair : new CpuStorage[][] {{cond, c}, {yes, t}, {no, f}}) {
            if (pair[0] != pair[1]) {
                pool.recycle(pair[0].array());
            }
        }
        return out;
    }

    private static CpuStorage expand(CpuStorage x, Shape shape, ArrayPool pool) {
        return x.shape().equals(shape) ? x : Layout.broadcastTo(x, shape, pool);
    }
}
