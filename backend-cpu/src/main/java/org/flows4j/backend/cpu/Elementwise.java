package org.flows4j.backend.cpu;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;

/**
 * The elementwise kernels. Every operation is one {@code double -> double} function from the
 * tables below, applied by one loop per dtype: a float32 element is widened, computed in
 * double and rounded once, so both dtypes share each formula and differ only in storage.
 */
final class Elementwise {

    private Elementwise() {
    }

    // ---- the formulas ------------------------------------------------------------------

    /** The function of a unary primitive. */
    static DoubleUnaryOperator function(UnaryOp op) {
        return switch (op) {
            case NEG -> x -> -x;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case LOG1P -> Math::log1p;
            case EXPM1 -> Math::expm1;
            case TANH -> Math::tanh;
            case SIGMOID -> Elementwise::sigmoid;
            case SOFTPLUS -> Elementwise::softplus;
            // Math.max returns NaN for a NaN argument, and +0 for -0
            case RELU -> x -> Math.max(x, 0.0);
            case ABS -> Math::abs;
            // signum keeps the sign of a zero; the SPI asks for 0 for both zeros
            case SIGN -> x -> x == 0 ? 0.0 : Math.signum(x);
            case SQRT -> Math::sqrt;
            case SQUARE -> x -> x * x;
            case RECIPROCAL -> x -> 1 / x;
        };
    }

    /** The function of a binary primitive; {@link Math#max} and {@link Math#min} propagate NaN. */
    static DoubleBinaryOperator function(BinaryOp op) {
        return switch (op) {
            case ADD -> (a, b) -> a + b;
            case SUB -> (a, b) -> a - b;
            case MUL -> (a, b) -> a * b;
            case DIV -> (a, b) -> a / b;
            case POW -> Elementwise::pow;
            case MAXIMUM -> Math::max;
            case MINIMUM -> Math::min;
        };
    }

    /**
     * A comparison as a function giving 1 or 0. Java's relational operators already follow
     * IEEE 754: every comparison with NaN is false, and {@code !=} is true.
     */
    static DoubleBinaryOperator function(CompareOp op) {
        return switch (op) {
            case EQ -> (a, b) -> a == b ? 1 : 0;
            case NE -> (a, b) -> a != b ? 1 : 0;
            case LT -> (a, b) -> a < b ? 1 : 0;
            case LE -> (a, b) -> a <= b ? 1 : 0;
            case GT -> (a, b) -> a > b ? 1 : 0;
            case GE -> (a, b) -> a >= b ? 1 : 0;
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

    // ---- the loops -----------------------------------------------------------------------

    /** {@code f} applied to every element of {@code x}. */
    static CpuStorage unary(DoubleUnaryOperator f, CpuStorage x) {
        Shape shape = x.shape();
        if (x.dtype() == DType.FLOAT32) {
            float[] in = x.floats();
            float[] out = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                out[i] = (float) f.applyAsDouble(in[i]);
            }
            return CpuStorage.wrap(out, shape);
        }
        double[] in = x.doubles();
        double[] out = new double[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = f.applyAsDouble(in[i]);
        }
        return CpuStorage.wrap(out, shape);
    }

    /** {@code f(a, b)} with both sides broadcasting to their common shape. */
    static CpuStorage binary(DoubleBinaryOperator f, CpuStorage a, CpuStorage b) {
        if (a.shape().equals(b.shape())) {
            return sameShape(f, a, b);
        }
        Shape shape = Shape.broadcast("binary", a.shape(), b.shape());
        int[] dims = shape.dims();
        IndexPlan plan = IndexPlan.of(dims, shape.strides(),
                IndexPlan.broadcastStrides(a.shape(), dims), IndexPlan.broadcastStrides(b.shape(), dims));
        int[] outBase = plan.base[0];
        int[] aBase = plan.base[1];
        int[] bBase = plan.base[2];
        int sa = plan.step[1];
        int sb = plan.step[2];
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floats();
            float[] y = b.floats();
            float[] out = new float[shape.size()];
            for (int r = 0; r < plan.rows; r++) {
                for (int j = 0, o = outBase[r], ia = aBase[r], ib = bBase[r]; j < plan.inner; j++, ia += sa, ib += sb) {
                    out[o + j] = (float) f.applyAsDouble(x[ia], y[ib]);
                }
            }
            return CpuStorage.wrap(out, shape);
        }
        double[] x = a.doubles();
        double[] y = b.doubles();
        double[] out = new double[shape.size()];
        for (int r = 0; r < plan.rows; r++) {
            for (int j = 0, o = outBase[r], ia = aBase[r], ib = bBase[r]; j < plan.inner; j++, ia += sa, ib += sb) {
                out[o + j] = f.applyAsDouble(x[ia], y[ib]);
            }
        }
        return CpuStorage.wrap(out, shape);
    }

    /** The fast path of {@link #binary}: equal shapes need no index arithmetic at all. */
    private static CpuStorage sameShape(DoubleBinaryOperator f, CpuStorage a, CpuStorage b) {
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floats();
            float[] y = b.floats();
            float[] out = new float[x.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) f.applyAsDouble(x[i], y[i]);
            }
            return CpuStorage.wrap(out, a.shape());
        }
        double[] x = a.doubles();
        double[] y = b.doubles();
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(x[i], y[i]);
        }
        return CpuStorage.wrap(out, a.shape());
    }

    /**
     * {@code c != 0 ? t : f} with all three broadcasting together; a NaN condition is not 0.
     * Operands of another shape are broadcast first: the selection itself moves no arithmetic,
     * and the backward rules that call it pass operands of one shape.
     */
    static CpuStorage where(CpuStorage c, CpuStorage t, CpuStorage f) {
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", c.shape(), t.shape()), f.shape());
        CpuStorage cond = expand(c, shape);
        CpuStorage yes = expand(t, shape);
        CpuStorage no = expand(f, shape);
        if (c.dtype() == DType.FLOAT32) {
            float[] out = new float[shape.size()];
            select(cond.floats(), yes.floats(), no.floats(), out);
            return CpuStorage.wrap(out, shape);
        }
        double[] out = new double[shape.size()];
        select(cond.doubles(), yes.doubles(), no.doubles(), out);
        return CpuStorage.wrap(out, shape);
    }

    private static CpuStorage expand(CpuStorage x, Shape shape) {
        return x.shape().equals(shape) ? x : Layout.broadcastTo(x, shape);
    }

    private static void select(float[] cond, float[] yes, float[] no, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = cond[i] != 0 ? yes[i] : no[i];
        }
    }

    private static void select(double[] cond, double[] yes, double[] no, double[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = cond[i] != 0 ? yes[i] : no[i];
        }
    }

    /** C99 pow, as the SPI specifies: Java's Math.pow gives NaN for pow(1, NaN) and pow(-1, +-inf). */
    static double pow(double a, double b) {
        if (a == 1.0 || (a == -1.0 && Double.isInfinite(b))) {
            return 1.0;
        }
        return Math.pow(a, b);
    }
}
