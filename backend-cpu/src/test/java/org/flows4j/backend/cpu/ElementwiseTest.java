package org.flows4j.backend.cpu;

import static org.flows4j.backend.cpu.Allclose.assertAllClose;
import static org.flows4j.backend.cpu.Allclose.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Unary, binary, comparison and where kernels, through the Tensor API, in both dtypes. */
class ElementwiseTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = new CpuBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    // ---- unary ---------------------------------------------------------------------------

    private static Tensor apply(UnaryOp op, Tensor x) {
        return switch (op) {
            case NEG -> x.neg();
            case EXP -> x.exp();
            case LOG -> x.log();
            case LOG1P -> x.log1p();
            case EXPM1 -> x.expm1();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case SOFTPLUS -> x.softplus();
            case RELU -> x.relu();
            case ABS -> x.abs();
            case SIGN -> x.sign();
            case SQRT -> x.sqrt();
            case SQUARE -> x.square();
            case RECIPROCAL -> x.reciprocal();
        };
    }

    /** Textbook formulas, independent of the backend's rearranged ones; fine for |x| <= 3. */
    private static DoubleUnaryOperator reference(UnaryOp op) {
        return switch (op) {
            case NEG -> x -> -x;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case LOG1P -> x -> Math.log(1 + x);
            case EXPM1 -> x -> Math.exp(x) - 1;
            case TANH -> x -> (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1);
            case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
            case SOFTPLUS -> x -> Math.log(1 + Math.exp(x));
            case RELU -> x -> x > 0 ? x : 0;
            case ABS -> x -> x < 0 ? -x : x;
            case SIGN -> x -> x > 0 ? 1 : x < 0 ? -1 : 0;
            case SQRT -> Math::sqrt;
            case SQUARE -> x -> x * x;
            case RECIPROCAL -> x -> 1 / x;
        };
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void every_unary_op_matches_its_textbook_formula(DType dtype) {
        // exact in float, so both dtypes see the same inputs; negatives give NaN for log and sqrt
        double[] x = {-2.5, -1, -0.25, 0.5, 1, 1.75, 3};
        for (UnaryOp op : UnaryOp.values()) {
            DoubleUnaryOperator f = reference(op);
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = f.applyAsDouble(x[i]);
            }
            Tensor out = apply(op, tensor(backend, dtype, x, 7));
            assertEquals(dtype, out.dtype(), op + " keeps the dtype");
            // the textbook log1p, expm1 and tanh lose a few digits near 0; 1e-12 still covers them here
            assertAllClose(
                    expected,
                    out.toDoubleArray(),
                    Allclose.tolerance(dtype),
                    Allclose.tolerance(dtype),
                    op + " " + dtype.label());
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void float32_is_the_double_result_rounded_once(DType dtype) {
        float x = 0.1f;
        double exact = Math.exp((double) x);
        double out = tensor(backend, dtype, new double[] {x}, 1).exp().item();
        assertEquals(dtype == DType.FLOAT32 ? (double) (float) exact : exact, out);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void stable_forms_neither_overflow_nor_lose_tiny_values(DType dtype) {
        // no absolute floor: the point is the relative accuracy of values far below 1e-6
        double rtol = Allclose.tolerance(dtype);
        double e30 = Math.exp(-30);
        Tensor big = tensor(backend, dtype, new double[] {-1000, -30, 30, 1000}, 4);
        assertAllClose(
                new double[] {0, e30 / (1 + e30), 1 / (1 + e30), 1},
                big.sigmoid().toDoubleArray(),
                rtol,
                0,
                "sigmoid " + dtype.label());
        assertAllClose(
                new double[] {0, Math.log1p(e30), 30 + e30, 1000},
                big.softplus().toDoubleArray(),
                rtol,
                0,
                "softplus " + dtype.label());
        // log(1 + 1e-20) is 0 in floating point; log1p and expm1 must not form 1 + x
        Tensor tiny = tensor(backend, dtype, new double[] {1e-20, -1e-20}, 2);
        double t = dtype == DType.FLOAT32 ? (float) 1e-20 : 1e-20;
        assertAllClose(new double[] {t, -t}, tiny.log1p().toDoubleArray(), rtol, 0, "log1p " + dtype.label());
        assertAllClose(new double[] {t, -t}, tiny.expm1().toDoubleArray(), rtol, 0, "expm1 " + dtype.label());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void unary_special_values(DType dtype) {
        Tensor x = tensor(backend, dtype, new double[] {NAN, 0.0, -0.0, -INF, INF}, 5);
        for (UnaryOp op : UnaryOp.values()) {
            assertTrue(Double.isNaN(apply(op, x).toDoubleArray()[0]), op + " of NaN is NaN");
        }
        assertAllClose(new double[] {NAN, 0, 0, -1, 1}, Shape.of(5), x.sign());
        assertEquals(0.0, x.sign().toDoubleArray()[2], "sign(-0) is +0");
        assertAllClose(new double[] {NAN, 0, 0, 0, INF}, Shape.of(5), x.relu());
        assertAllClose(new double[] {NAN, -INF, -INF, NAN, INF}, Shape.of(5), x.log());
        assertAllClose(new double[] {NAN, INF, -INF, -0.0, 0}, Shape.of(5), x.reciprocal());
        assertAllClose(new double[] {NAN, 0.5, 0.5, 0, 1}, Shape.of(5), x.sigmoid());
        assertAllClose(new double[] {NAN, Math.log(2), Math.log(2), 0, INF}, Shape.of(5), x.softplus());
    }

    // ---- binary --------------------------------------------------------------------------

    private static Tensor apply(BinaryOp op, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case POW -> a.pow(b);
            case MAXIMUM -> a.maximum(b);
            case MINIMUM -> a.minimum(b);
        };
    }

    private static DoubleBinaryOperator reference(BinaryOp op) {
        return switch (op) {
            case ADD -> (a, b) -> a + b;
            case SUB -> (a, b) -> a - b;
            case MUL -> (a, b) -> a * b;
            case DIV -> (a, b) -> a / b;
            case POW -> Math::pow;
            case MAXIMUM -> (a, b) -> a >= b ? a : b;
            case MINIMUM -> (a, b) -> a <= b ? a : b;
        };
    }

    /**
     * The broadcast of {@code f} written the slow, obvious way: for every output index, each
     * operand index is the output index with broadcast dimensions set to 0.
     */
    static double[] broadcastReference(DoubleBinaryOperator f, double[] a, int[] da, double[] b, int[] db, int[] out) {
        int n = Shape.of(out).size();
        double[] r = new double[n];
        for (int flat = 0; flat < n; flat++) {
            r[flat] = f.applyAsDouble(a[operandIndex(flat, out, da)], b[operandIndex(flat, out, db)]);
        }
        return r;
    }

    private static int operandIndex(int flat, int[] out, int[] dims) {
        int[] idx = new int[out.length];
        for (int i = out.length - 1, rest = flat; i >= 0; i--) {
            idx[i] = rest % out[i];
            rest /= out[i];
        }
        int index = 0;
        int shift = out.length - dims.length;
        for (int i = 0; i < dims.length; i++) {
            index = index * dims[i] + (dims[i] == 1 ? 0 : idx[i + shift]);
        }
        return index;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void column_plus_row_broadcasts_both_sides(DType dtype) {
        Tensor col = tensor(backend, dtype, new double[] {1, 2, 3}, 3, 1);
        Tensor row = tensor(backend, dtype, new double[] {10, 20, 30, 40}, 1, 4);
        assertAllClose(new double[] {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43}, Shape.of(3, 4), col.add(row));
        assertAllClose(new double[] {9, 19, 29, 39, 8, 18, 28, 38, 7, 17, 27, 37}, Shape.of(3, 4), row.sub(col));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void scalar_broadcasts_on_either_side(DType dtype) {
        Tensor m = tensor(backend, dtype, new double[] {1, 2, 3, 4}, 2, 2);
        Tensor two = Tensor.scalar(backend, dtype, 2);
        assertAllClose(new double[] {1, 0, -1, -2}, Shape.of(2, 2), two.sub(m));
        assertAllClose(new double[] {-1, 0, 1, 2}, Shape.of(2, 2), m.sub(two));
        assertAllClose(new double[] {2, 1, 2.0 / 3, 0.5}, Shape.of(2, 2), two.div(m));
        assertAllClose(new double[] {1, 4, 9, 16}, Shape.of(2, 2), m.pow(two));
        assertAllClose(new double[] {2, 4, 8, 16}, Shape.of(2, 2), two.pow(m));
        assertAllClose(new double[] {4}, Shape.scalar(), two.add(two));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void rank3_against_rank2_broadcasts_to_2_4_3(DType dtype) {
        double[] av = {1, 2, 3, 4, 5, 6};
        double[] bv = {100, 200, 300, 400};
        Tensor a = tensor(backend, dtype, av, 2, 1, 3);
        Tensor b = tensor(backend, dtype, bv, 4, 1);
        double[] expected = new double[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 3; k++) {
                    expected[(i * 4 + j) * 3 + k] = av[i * 3 + k] + bv[j];
                }
            }
        }
        assertAllClose(expected, Shape.of(2, 4, 3), a.add(b));
        assertAllClose(expected, Shape.of(2, 4, 3), b.add(a));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void every_binary_op_on_every_broadcast_pattern(DType dtype) {
        // values exact in float; b has no zeros and a is positive where b is fractional, so pow is real
        int[][][] cases = {
            {{3, 1}, {1, 4}},
            {{}, {2, 3}},
            {{2, 3}, {}},
            {{2, 1, 3}, {4, 1}},
            {{4, 1}, {2, 1, 3}},
            {{2, 3}, {2, 3}},
            {{3}, {2, 3}},
            {{1, 3, 1}, {2, 1, 2}},
            {{2, 3, 4}, {3, 1}}
        };
        for (int[][] c : cases) {
            int[] da = c[0];
            int[] db = c[1];
            int[] out = Shape.broadcast("test", Shape.of(da), Shape.of(db)).dims();
            double[] a = values(Shape.of(da).size(), 0.5, 0.75);
            double[] b = values(Shape.of(db).size(), -1.5, 0.5);
            for (BinaryOp op : BinaryOp.values()) {
                double[] expected = broadcastReference(reference(op), a, da, b, db, out);
                Tensor r = apply(op, tensor(backend, dtype, a, da), tensor(backend, dtype, b, db));
                assertEquals(Shape.of(out), r.shape());
                double tol = Allclose.tolerance(dtype);
                assertAllClose(
                        expected,
                        r.toDoubleArray(),
                        tol,
                        tol,
                        op + " " + Shape.of(da) + " with " + Shape.of(db) + " " + dtype.label());
            }
        }
    }

    /** {@code start, start + step, ...} skipping 0. */
    private static double[] values(int n, double start, double step) {
        double[] v = new double[n];
        double x = start;
        for (int i = 0; i < n; i++, x += step) {
            v[i] = x == 0 ? 2 : x;
        }
        return v;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void size_zero_dimensions_give_empty_results(DType dtype) {
        Tensor empty = Tensor.zeros(backend, dtype, 0, 3);
        Tensor row = tensor(backend, dtype, new double[] {1, 2, 3}, 3);
        assertAllClose(new double[0], Shape.of(0, 3), empty.add(row));
        assertAllClose(new double[0], Shape.of(0, 3), row.mul(empty));
        assertAllClose(new double[0], Shape.of(0, 3), empty.maximum(Tensor.scalar(backend, dtype, 1)));
        assertAllClose(
                new double[0],
                Shape.of(2, 0),
                Tensor.zeros(backend, dtype, 2, 0).add(tensor(backend, dtype, new double[] {1, 2}, 2, 1)));
        assertAllClose(new double[0], Shape.of(0, 3), empty.exp());
        assertAllClose(new double[0], Shape.of(0, 3), empty.lt(row));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nan_and_infinities_propagate(DType dtype) {
        Tensor a = tensor(backend, dtype, new double[] {NAN, 1, 1, 0, -1, INF}, 6);
        Tensor b = tensor(backend, dtype, new double[] {1, NAN, 0, 0, 0, -INF}, 6);
        assertAllClose(new double[] {NAN, NAN, 1, 0, 0, INF}, Shape.of(6), a.maximum(b));
        assertAllClose(new double[] {NAN, NAN, 0, 0, -1, -INF}, Shape.of(6), a.minimum(b));
        assertAllClose(new double[] {NAN, NAN, INF, NAN, -INF, NAN}, Shape.of(6), a.div(b));
        assertAllClose(new double[] {NAN, NAN, 1, 0, -1, NAN}, Shape.of(6), a.add(b));
        assertAllClose(new double[] {NAN, NAN, 0, 0, -0.0, -INF}, Shape.of(6), a.mul(b));
    }

    // ---- compare and where ---------------------------------------------------------------

    private static Tensor apply(CompareOp op, Tensor a, Tensor b) {
        return switch (op) {
            case EQ -> a.eq(b);
            case NE -> a.ne(b);
            case LT -> a.lt(b);
            case LE -> a.le(b);
            case GT -> a.gt(b);
            case GE -> a.ge(b);
        };
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void comparisons_give_one_or_zero_and_are_false_on_nan_except_ne(DType dtype) {
        // a is a column [4, 1], b a row [1, 3]: every pair, NaN on both sides
        Tensor a = tensor(backend, dtype, new double[] {1, 2, 3, NAN}, 4, 1);
        Tensor b = tensor(backend, dtype, new double[] {2, NAN, -INF}, 1, 3);
        Map<CompareOp, double[]> expected = Map.of(
                CompareOp.EQ, new double[] {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
                CompareOp.NE, new double[] {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1},
                CompareOp.LT, new double[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                CompareOp.LE, new double[] {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
                CompareOp.GT, new double[] {0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0},
                CompareOp.GE, new double[] {0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0});
        assertEquals(CompareOp.values().length, expected.size(), "an expectation for every comparison");
        for (CompareOp op : CompareOp.values()) {
            Tensor r = apply(op, a, b);
            assertEquals(dtype, r.dtype(), op + " returns the operands' dtype");
            assertAllClose(expected.get(op), Shape.of(4, 3), r);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void where_broadcasts_all_three_and_treats_nan_as_true(DType dtype) {
        Tensor cond = tensor(backend, dtype, new double[] {1, 0, NAN}, 3, 1);
        Tensor yes = tensor(backend, dtype, new double[] {10, 20, 30, 40}, 1, 4);
        Tensor no = Tensor.scalar(backend, dtype, -1);
        assertAllClose(
                new double[] {10, 20, 30, 40, -1, -1, -1, -1, 10, 20, 30, 40},
                Shape.of(3, 4),
                Tensor.where(cond, yes, no));
        // the condition alone may be the largest operand
        Tensor mask = tensor(backend, dtype, new double[] {0, 1, 1, 0, -2, 0}, 2, 3);
        assertAllClose(
                new double[] {0, 1, 1, 0, 1, 0},
                Shape.of(2, 3),
                Tensor.where(mask, Tensor.scalar(backend, dtype, 1), Tensor.scalar(backend, dtype, 0)));
        assertAllClose(new double[0], Shape.of(0, 4), Tensor.where(Tensor.zeros(backend, dtype, 0, 1), yes, no));
    }

    @Test
    void compare_of_mixed_shapes_keeps_float64_exactly() {
        Tensor a = tensor(backend, DType.FLOAT64, new double[] {0.1 + 0.2}, 1);
        Tensor b = tensor(backend, DType.FLOAT64, new double[] {0.3, 0.30000000000000004}, 2);
        assertAllClose(new double[] {0, 1}, Shape.of(2), a.eq(b));
    }
}
