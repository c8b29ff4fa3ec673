package org.flows4j.backend.nd4j;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Elementwise kernels: ND4J's operations where they meet the SPI's contract, with fixes where
 * they do not (measured on nd4j-native 1.0.0-M2.1):
 * <ul>
 *   <li>{@code log1p}, {@code expm1} and {@code tanh} are evaluated as {@code log(1 + x)},
 *       {@code exp(x) - 1} and a quotient of exponentials, which lose all relative accuracy
 *       as {@code x -> 0} (relative error about {@code u / |x|}, {@code u} the unit roundoff).
 *       Below a threshold {@code T} they are replaced by their Taylor series:
 *       <pre>
 *   log1p x = x - x^2/2 + x^3/3 - x^4/4      (truncation x^4/5 relative)
 *   expm1 x = x + x^2/2 + x^3/6 + x^4/24     (truncation x^4/120)
 *   tanh x  = x - x^3/3 + 2x^5/15            (truncation 17x^6/315)
 *       </pre>
 *       with {@code T = 1e-4} in float64 (truncation below 1e-17, ND4J's error above it at most
 *       {@code 1.1e-16 / 1e-4 ~ 1e-12}) and {@code T = 1e-2} in float32 (truncation below 2e-9,
 *       ND4J's error above it at most {@code 6e-8 / 1e-2 = 6e-6}).</li>
 *   <li>ND4J's {@code softplus} is {@code log(1 + e^x)}, which for {@code x = -30} is off by
 *       1e-3 relative; it is computed as {@code max(x, 0) + log1p(e^-|x|)}, which never
 *       overflows, with the accurate {@code log1p} above.</li>
 *   <li>{@code sign(NaN)} is 0 in ND4J, and {@code maximum}/{@code minimum} return the other
 *       operand when the first one is NaN; the NaN is put back.</li>
 * </ul>
 * Everything else ({@code pow} with C99 semantics, comparisons with IEEE NaN rules, NumPy
 * broadcasting on either side) is ND4J's own behaviour.
 */
final class Elementwise {

    private static final double[] LOG1P_SERIES = {1, -1.0 / 2, 1.0 / 3, -1.0 / 4};
    private static final double[] EXPM1_SERIES = {1, 1.0 / 2, 1.0 / 6, 1.0 / 24};
    private static final double[] TANH_SERIES = {1, 0, -1.0 / 3, 0, 2.0 / 15};

    /**
     * Elements from which an addition, subtraction or product of two arrays of one shape runs
     * from Java over the buffers ({@link DirectKernels#binary}) rather than through ND4J.
     */
    static final int DIRECT_ELEMENTS = 1 << 12;

    private Elementwise() {}

    // ---- unary ---------------------------------------------------------------------------

    static Nd4jStorage unary(UnaryOp op, Nd4jStorage x) {
        if (x.isEmpty()) {
            return Nd4jStorage.empty(x.shape(), x.dtype());
        }
        INDArray a = x.array();
        INDArray r = switch (op) {
            case NEG -> a.neg();
            case EXP -> Transforms.exp(a, true);
            case LOG -> Transforms.log(a, true);
            case LOG1P -> log1p(a, x.dtype());
            case EXPM1 -> withSeries(a, x.dtype(), Transforms.expm1(a, true), EXPM1_SERIES);
            case TANH -> withSeries(a, x.dtype(), Transforms.tanh(a, true), TANH_SERIES);
            case SIGMOID -> Transforms.sigmoid(a, true);
            case SOFTPLUS -> softplus(a, x.dtype());
            case RELU -> Transforms.relu(a, true);
            case ABS -> Transforms.abs(a, true);
            case SIGN -> sign(a, x.shape());
            case SQRT -> Transforms.sqrt(a, true);
            case SQUARE -> a.mul(a);
            case RECIPROCAL -> a.rdiv(1.0);
        };
        return Nd4jStorage.owning(r, x.shape(), x.dtype());
    }

    /**
     * {@code sign(x)} with NaN kept and +0 at both zeros: one vector pass from Java over the
     * buffers ({@link DirectKernels#sign}) where it can, since ND4J's sign and the NaN check it
     * needs cost about 0.25 ms for 256,000 floats (twenty calls a nice:paper step, ReLU's
     * backward pass); else ND4J's sign with NaN put back.
     */
    private static INDArray sign(INDArray a, Shape shape) {
        if (Nd.direct(a)) {
            INDArray r = Nd.alloc(a.dataType(), shape);
            DirectKernels.sign(a.data().asNio(), r.data().asNio(), (int) a.length(), a.dataType() == DataType.FLOAT);
            return r;
        }
        return keepNaN(a, Transforms.sign(a, true));
    }

    private static INDArray log1p(INDArray a, DType dtype) {
        return withSeries(a, dtype, Transforms.log1p(a, true), LOG1P_SERIES);
    }

    /** {@code max(x, 0) + log1p(e^-|x|)}: the exponent is never positive, so nothing overflows. */
    private static INDArray softplus(INDArray a, DType dtype) {
        try (Scratch s = new Scratch()) {
            INDArray e = s.add(Transforms.abs(a, true));
            e.negi();
            Transforms.exp(e, false);
            INDArray l = s.add(log1p(e, dtype));
            INDArray r = Transforms.relu(a, true);
            r.addi(l);
            return r;
        }
    }

    /**
     * {@code fromNd4j} (owned, of {@code a}'s shape) with the elements where {@code |a| < T}
     * replaced by {@code a * (c[0] + a * (c[1] + ...))}. One counting pass decides whether any
     * element is that small; random data almost never is, and then nothing else runs.
     */
    private static INDArray withSeries(INDArray a, DType dtype, INDArray fromNd4j, double[] c) {
        double threshold = dtype == DType.FLOAT64 ? 1e-4 : 1e-2;
        if (Nd.count(a, Conditions.absLessThan(threshold)) == 0) {
            return fromNd4j;
        }
        try (Scratch s = new Scratch()) {
            s.add(fromNd4j);
            INDArray small = s.add(s.add(Transforms.abs(a, true)).lt(threshold));
            INDArray series = s.add(a.mul(c[c.length - 1]));
            for (int i = c.length - 2; i >= 0; i--) {
                series.addi(c[i]);
                series.muli(a);
            }
            return Nd.select(small, series, fromNd4j);
        }
    }

    /** {@code r} (owned, of {@code a}'s shape) with NaN wherever {@code a} is NaN. */
    private static INDArray keepNaN(INDArray a, INDArray r) {
        if (!Nd.hasNaN(a)) {
            return r;
        }
        try (Scratch s = new Scratch()) {
            s.add(r);
            INDArray nan = s.add(a.neq(a));
            return Nd.select(nan, a, r);
        }
    }

    // ---- binary --------------------------------------------------------------------------

    private static String opName(BinaryOp op) {
        return switch (op) {
            case ADD -> "add";
            case SUB -> "subtract";
            case MUL -> "multiply";
            case DIV -> "divide";
            case POW -> "Pow";
            case MAXIMUM -> "maximum";
            case MINIMUM -> "minimum";
        };
    }

    private static String opName(CompareOp op) {
        return switch (op) {
            case EQ -> "equals";
            case NE -> "not_equals";
            case LT -> "less";
            case LE -> "less_equal";
            case GT -> "greater";
            case GE -> "greater_equal";
        };
    }

    static Nd4jStorage binary(BinaryOp op, Nd4jStorage a, Nd4jStorage b) {
        Shape out = Shape.broadcast(op.name().toLowerCase(java.util.Locale.ROOT), a.shape(), b.shape());
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, a.dtype());
        }
        INDArray r = Nd.alloc(Nd.type(a.dtype()), out);
        if ((op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL)
                && a.shape().equals(b.shape())
                && a.size() >= DIRECT_ELEMENTS
                && Nd.direct(a.array())
                && Nd.direct(b.array())) {
            // ND4J's dispatch costs more than the arithmetic: 0.1 to 0.2 ms for 256,000 floats
            DirectKernels.binary(
                    op,
                    a.array().data().asNio(),
                    b.array().data().asNio(),
                    r.data().asNio(),
                    a.size(),
                    a.dtype() == DType.FLOAT32);
            return Nd4jStorage.owning(r, out, a.dtype());
        }
        try {
            Nd.exec(opName(op), new INDArray[] {a.array(), b.array()}, new INDArray[] {r});
            if ((op == BinaryOp.MAXIMUM || op == BinaryOp.MINIMUM) && (Nd.hasNaN(a.array()) || Nd.hasNaN(b.array()))) {
                r = propagateNaN(r, a, b, out);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(r);
            throw e;
        }
        return Nd4jStorage.owning(r, out, a.dtype());
    }

    /** {@code r} (owned, of shape {@code out}) with NaN wherever either operand, broadcast, is NaN. */
    private static INDArray propagateNaN(INDArray r, Nd4jStorage a, Nd4jStorage b, Shape out) {
        INDArray result = r;
        for (Nd4jStorage operand : new Nd4jStorage[] {a, b}) {
            try (Scratch s = new Scratch()) {
                INDArray x = Nd.expand(s, operand.array(), operand.shape(), out);
                INDArray nan = s.add(x.neq(x));
                s.add(result);
                result = Nd.select(nan, x, result);
            }
        }
        return result;
    }

    static Nd4jStorage compare(CompareOp op, Nd4jStorage a, Nd4jStorage b) {
        Shape out = Shape.broadcast(op.name().toLowerCase(java.util.Locale.ROOT), a.shape(), b.shape());
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, a.dtype());
        }
        try (Scratch s = new Scratch()) {
            INDArray bool = s.add(Nd.alloc(DataType.BOOL, out));
            Nd.exec(opName(op), new INDArray[] {a.array(), b.array()}, new INDArray[] {bool});
            return Nd4jStorage.owning(bool.castTo(Nd.type(a.dtype())), out, a.dtype());
        }
    }

    /** {@code condition != 0 ? ifTrue : ifFalse}; NaN is not equal to 0, so a NaN condition selects {@code ifTrue}. */
    static Nd4jStorage where(Nd4jStorage condition, Nd4jStorage ifTrue, Nd4jStorage ifFalse) {
        Shape out =
                Shape.broadcast("where", Shape.broadcast("where", condition.shape(), ifTrue.shape()), ifFalse.shape());
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, ifTrue.dtype());
        }
        try (Scratch s = new Scratch()) {
            INDArray c = Nd.expand(s, condition.array(), condition.shape(), out);
            INDArray mask = s.add(c.neq(0.0));
            INDArray t = Nd.expand(s, ifTrue.array(), ifTrue.shape(), out);
            INDArray f = Nd.expand(s, ifFalse.array(), ifFalse.shape(), out);
            return Nd4jStorage.owning(Nd.select(mask, t, f), out, ifTrue.dtype());
        }
    }

    /** The same elements in {@code dtype}: a copy even when the dtype does not change. */
    static Nd4jStorage cast(Nd4jStorage x, DType dtype) {
        if (x.isEmpty()) {
            return Nd4jStorage.empty(x.shape(), dtype);
        }
        INDArray a = x.array();
        // castTo returns the array itself when the type does not change
        INDArray r = x.dtype() == dtype ? Nd.copy(a) : a.castTo(Nd.type(dtype));
        return Nd4jStorage.owning(r, x.shape(), dtype);
    }
}
