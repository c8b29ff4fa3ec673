package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;

/**
 * Every primitive kernel of the SPI, reached through the {@link Tensor} API, on random inputs
 * and on the edge cases the SPI documents: broadcasting on either side, size-0 and size-1
 * dimensions, scalars, NaN and infinities.
 */
final class KernelSuite {

    /** ±0, ±1e-8, ±30, ±1000, ±inf and NaN: underflow, overflow, cancellation and the IEEE rules. */
    private static final double[] EDGE = {
        0.0, -0.0, 1e-8, -1e-8, 30, -30, 1000, -1000, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN
    };

    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;

    /** Values for comparisons: small integers make ties, plus signed zeros, infinities and NaN. */
    private static final double[] COMPARABLE = {-1, 0, 1, -1, 0, 1, -0.0, INF, -INF, NAN};

    private final Session session;
    private final long seed;
    private final DType dtype;

    private KernelSuite(Session session, long seed, DType dtype) {
        this.session = session;
        this.seed = seed;
        this.dtype = dtype;
    }

    /** The container "kernels [dtype]". */
    public static DynamicContainer container(Session session, long seed, DType dtype) {
        KernelSuite s = new KernelSuite(session, seed, dtype);
        return DynamicContainer.dynamicContainer(
                "kernels [" + dtype.label() + "]",
                List.of(
                        s.group("creation and transfer", s.creation()),
                        s.group("unary", s.unary()),
                        s.group("binary", s.binary()),
                        s.group("compare and where", s.compare()),
                        s.group("matmul", s.matmul()),
                        s.group("reductions", s.reductions()),
                        s.group("logSumExp", s.logSumExp()),
                        s.group("layout", s.layout()),
                        s.group("conv2d", s.conv2d()),
                        s.group("cast", s.cast())));
    }

    private DynamicNode group(String name, List<KernelCase> cases) {
        return DynamicContainer.dynamicContainer(name, cases.stream().map(c -> c.test(session, dtype)));
    }

    private Gen gen(String name) {
        return new Gen(seed, name);
    }

    static String dims(int... d) {
        return Arrays.toString(d);
    }

    // ---- creation -----------------------------------------------------------------------

    private List<KernelCase> creation() {
        List<KernelCase> c = new ArrayList<>();
        String name = "Tensor.of and toDoubleArray round trip [3, 4]";
        c.add(KernelCase.of(name, gen(name).normal(3, 4)).exact().op(t -> t[0]).host(d -> d[0]));
        name = "toFloatArray and Tensor.of(float[]) round trip [2, 3]";
        c.add(KernelCase.of(name, gen(name).normal(2, 3))
                .exact()
                .outputs(DType.FLOAT32)
                .op(t -> Tensor.of(t[0].backend(), t[0].toFloatArray(), 2, 3))
                .host(d -> Data.of(d[0].shape(), d[0].roundedTo(DType.FLOAT32).values())));
        name = "edge values round trip [11]";
        c.add(KernelCase.of(name, Data.of(new int[] {11}, EDGE))
                .exact()
                .op(t -> t[0])
                .host(d -> d[0]));
        name = "empty round trip [0, 3]";
        c.add(KernelCase.of(name, Data.of(new int[] {0, 3}))
                .exact()
                .op(t -> t[0])
                .host(d -> d[0]));
        name = "full [2, 3] 2.5, zeros [0, 3], ones [], scalar -1.25";
        c.add(KernelCase.of(name, Data.of(new int[] {}, 0))
                .exact()
                .ops(t -> new Tensor[] {
                    Tensor.full(t[0].backend(), t[0].dtype(), Shape.of(2, 3), 2.5),
                    Tensor.zeros(t[0].backend(), t[0].dtype(), 0, 3),
                    Tensor.ones(t[0].backend(), t[0].dtype()),
                    Tensor.scalar(t[0].backend(), t[0].dtype(), -1.25)
                })
                .hosts(d -> new Data[] {
                    Data.of(new int[] {2, 3}, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5),
                    Data.of(new int[] {0, 3}),
                    Data.of(new int[] {}, 1),
                    Data.of(new int[] {}, -1.25)
                }));
        name = "item of [] and of [1, 1]";
        c.add(KernelCase.of(name, Data.of(new int[] {}, 3.25), Data.of(new int[] {1, 1}, -0.5))
                .exact()
                .ops(t -> new Tensor[] {
                    Tensor.scalar(t[0].backend(), t[0].dtype(), t[0].item()),
                    Tensor.scalar(t[1].backend(), t[1].dtype(), t[1].item())
                })
                .hosts(d -> new Data[] {Data.of(new int[] {}, 3.25), Data.of(new int[] {}, -0.5)}));
        return c;
    }

    // ---- unary --------------------------------------------------------------------------

    /** One unary operation: the tensor method, its host specification and a valid random domain. */
    record Unary(
            String name,
            Function<Tensor, Tensor> op,
            DoubleUnaryOperator host,
            Function<Gen, Data> domain,
            boolean exact) {}

    /** Every {@link UnaryOp}: the switch has no default, so a new primitive fails to compile here until covered. */
    static Unary unaryOf(UnaryOp op) {
        return switch (op) {
            case NEG -> new Unary("neg", Tensor::neg, x -> -x, g -> g.normal(3, 3, 4), true);
            case EXP -> new Unary("exp", Tensor::exp, Math::exp, g -> g.normal(2, 3, 4), false);
            case LOG -> new Unary("log", Tensor::log, Math::log, g -> g.uniform(0.05, 5, 3, 4), false);
            case LOG1P -> new Unary("log1p", Tensor::log1p, Math::log1p, g -> g.uniform(-0.9, 5, 3, 4), false);
            case EXPM1 -> new Unary("expm1", Tensor::expm1, Math::expm1, g -> g.normal(2, 3, 4), false);
            case TANH -> new Unary("tanh", Tensor::tanh, Math::tanh, g -> g.normal(3, 3, 4), false);
            case SIGMOID -> new Unary("sigmoid", Tensor::sigmoid, Host::sigmoid, g -> g.normal(4, 3, 4), false);
            case SOFTPLUS -> new Unary("softplus", Tensor::softplus, Host::softplus, g -> g.normal(4, 3, 4), false);
            case RELU -> new Unary("relu", Tensor::relu, Host::relu, g -> g.normal(3, 4), true);
            case ABS -> new Unary("abs", Tensor::abs, Math::abs, g -> g.normal(3, 4), true);
            case SIGN ->
                new Unary(
                        "sign",
                        Tensor::sign,
                        Math::signum,
                        g -> g.choice(new double[] {-2, -0.5, -0.0, 0.0, 0.5, 3}, 3, 4),
                        true);
            case SQRT -> new Unary("sqrt", Tensor::sqrt, Math::sqrt, g -> g.uniform(0, 5, 3, 4), false);
            case SQUARE -> new Unary("square", Tensor::square, x -> x * x, g -> g.normal(3, 3, 4), false);
            case RECIPROCAL ->
                new Unary("reciprocal", Tensor::reciprocal, x -> 1 / x, g -> g.signed(0.1, 3, 3, 4), false);
        };
    }

    private List<KernelCase> unary() {
        List<KernelCase> c = new ArrayList<>();
        List<Unary> all = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) {
            all.add(unaryOf(op));
        }
        all.add(new Unary("logSigmoid", Tensor::logSigmoid, x -> -Host.softplus(-x), g -> g.normal(5, 3, 4), false));
        for (Unary u : all) {
            String name = u.name() + " [3, 4]";
            c.add(unaryCase(name, u, u.domain().apply(gen(name))));
            c.add(unaryCase(
                    u.name() + " edge values ±0 ±1e-8 ±30 ±1000 ±inf NaN [11]",
                    u,
                    Data.of(new int[] {11}, EDGE.clone())));
        }
        String name = "exp [0, 3] (empty)";
        c.add(unaryCase(name, unaryOf(UnaryOp.EXP), Data.of(new int[] {0, 3})));
        name = "tanh [] (scalar)";
        c.add(unaryCase(name, unaryOf(UnaryOp.TANH), gen(name).normal()));
        name = "sigmoid [129, 257] (more elements than one thread's share)";
        c.add(unaryCase(name, unaryOf(UnaryOp.SIGMOID), gen(name).normal(3, 129, 257)));
        name = "softplus [4, 6] from 15 to 25 (across PyTorch's threshold, 20, where it returns x)";
        c.add(unaryCase(name, unaryOf(UnaryOp.SOFTPLUS), gen(name).uniform(15, 25, 4, 6)));
        name = "sqrt [2, 1, 3]";
        c.add(unaryCase(name, unaryOf(UnaryOp.SQRT), gen(name).uniform(0, 4, 2, 1, 3)));
        return c;
    }

    private static KernelCase unaryCase(String name, Unary u, Data input) {
        KernelCase k = KernelCase.of(name, input).op(t -> u.op().apply(t[0])).host(d -> Host.unary(d[0], u.host()));
        return u.exact() ? k.exact() : k;
    }

    // ---- binary -------------------------------------------------------------------------

    /** One binary operation with valid random domains for each side. */
    record Binary(
            String name,
            BiFunction<Tensor, Tensor, Tensor> op,
            DoubleBinaryOperator host,
            BiFunction<Gen, int[], Data> left,
            BiFunction<Gen, int[], Data> right) {}

    /** Every {@link BinaryOp} (no default: a new primitive fails to compile here until covered). */
    static Binary binaryOf(BinaryOp op) {
        BiFunction<Gen, int[], Data> normal = (g, d) -> g.normal(d);
        return switch (op) {
            case ADD -> new Binary("add", Tensor::add, Double::sum, normal, normal);
            case SUB -> new Binary("sub", Tensor::sub, (a, b) -> a - b, normal, normal);
            case MUL -> new Binary("mul", Tensor::mul, (a, b) -> a * b, normal, normal);
            case DIV -> new Binary("div", Tensor::div, (a, b) -> a / b, normal, (g, d) -> g.signed(0.2, 3, d));
            case POW ->
                new Binary(
                        "pow", Tensor::pow, Math::pow, (g, d) -> g.uniform(0.1, 3, d), (g, d) -> g.uniform(-2, 2, d));
            case MAXIMUM -> new Binary("maximum", Tensor::maximum, Math::max, normal, normal);
            case MINIMUM -> new Binary("minimum", Tensor::minimum, Math::min, normal, normal);
        };
    }

    /** The broadcasting cases: equal shapes, both sides broadcasting, scalars, rank mismatch, size 0, size 1. */
    static final int[][][] BROADCASTS = {
        {{3, 4}, {3, 4}},
        {{3, 1}, {1, 4}},
        {{}, {2, 3}},
        {{2, 3}, {}},
        {{2, 1, 3}, {4, 1}},
        {{4, 1}, {2, 1, 3}},
        {{0, 3}, {3}},
        {{1}, {5}},
        {{129, 257}, {257}},
    };

    /**
     * Edge pairs: IEEE division by zero, infinities that cancel, NaN on either side, signed
     * zeros, underflow, negative bases with integer and fractional exponents. No pair raises
     * ±1 to an infinite or NaN power, where {@link Math#pow} (NaN) and C99's pow (1) disagree.
     */
    private static final double[] EDGE_A = {1, -1, 0, -0.0, INF, -INF, INF, NAN, 2, 1e-8, 1000, -2, 0, -2, -8};

    private static final double[] EDGE_B = {0, 0, 0, 1, INF, INF, -INF, 1, NAN, -1e-8, -1000, 0.5, INF, 3, 2};

    private List<KernelCase> binary() {
        List<KernelCase> c = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            Binary b = binaryOf(op);
            for (int[][] shapes : BROADCASTS) {
                String name = b.name() + " " + dims(shapes[0]) + " with " + dims(shapes[1]);
                Gen g = gen(name);
                c.add(binaryCase(
                        name, b, b.left().apply(g, shapes[0]), b.right().apply(g, shapes[1])));
            }
            c.add(binaryCase(
                    b.name() + " edge pairs (x/0, inf-inf, NaN either side, ±0, negative bases) [15]",
                    b,
                    Data.of(new int[] {EDGE_A.length}, EDGE_A.clone()),
                    Data.of(new int[] {EDGE_B.length}, EDGE_B.clone())));
        }
        String name = "add(double) and mul(double) [2, 3]";
        c.add(KernelCase.of(name, gen(name).normal(2, 3))
                .ops(t -> new Tensor[] {t[0].add(1.5), t[0].mul(-0.25)})
                .hosts(d -> new Data[] {Host.unary(d[0], x -> x + 1.5), Host.unary(d[0], x -> x * -0.25)}));
        return c;
    }

    private static KernelCase binaryCase(String name, Binary b, Data left, Data right) {
        KernelCase k = KernelCase.of(name, left, right)
                .op(t -> b.op().apply(t[0], t[1]))
                .host(d -> Host.binary(d[0], d[1], b.host()));
        return b.name().equals("maximum") || b.name().equals("minimum") ? k.exact() : k;
    }

    // ---- compare and where --------------------------------------------------------------

    /** Every {@link CompareOp} with IEEE semantics: NaN compares false except for {@code ne}. */
    record Compare(String name, BiFunction<Tensor, Tensor, Tensor> op, DoubleBinaryOperator host) {}

    static Compare compareOf(CompareOp op) {
        return switch (op) {
            case EQ -> new Compare("eq", Tensor::eq, (a, b) -> a == b ? 1 : 0);
            case NE -> new Compare("ne", Tensor::ne, (a, b) -> a != b ? 1 : 0);
            case LT -> new Compare("lt", Tensor::lt, (a, b) -> a < b ? 1 : 0);
            case LE -> new Compare("le", Tensor::le, (a, b) -> a <= b ? 1 : 0);
            case GT -> new Compare("gt", Tensor::gt, (a, b) -> a > b ? 1 : 0);
            case GE -> new Compare("ge", Tensor::ge, (a, b) -> a >= b ? 1 : 0);
        };
    }

    private static final int[][][] COMPARE_SHAPES = {
        {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{}, {2, 3}}, {{2, 3}, {}}, {{0, 3}, {3}}
    };

    private List<KernelCase> compare() {
        List<KernelCase> c = new ArrayList<>();
        for (CompareOp op : CompareOp.values()) {
            Compare cmp = compareOf(op);
            for (int[][] shapes : COMPARE_SHAPES) {
                String name =
                        cmp.name() + " " + dims(shapes[0]) + " with " + dims(shapes[1]) + " (ties, ±0, ±inf, NaN)";
                Gen g = gen(name);
                c.add(KernelCase.of(name, g.choice(COMPARABLE, shapes[0]), g.choice(COMPARABLE, shapes[1]))
                        .exact()
                        .op(t -> cmp.op().apply(t[0], t[1]))
                        .host(d -> Host.binary(d[0], d[1], cmp.host())));
            }
        }
        String name = "gt(double) and lt(double) [3, 4]";
        c.add(KernelCase.of(name, gen(name).choice(COMPARABLE, 3, 4))
                .exact()
                .ops(t -> new Tensor[] {t[0].gt(0.0), t[0].lt(0.0)})
                .hosts(d -> new Data[] {Host.unary(d[0], x -> x > 0 ? 1 : 0), Host.unary(d[0], x -> x < 0 ? 1 : 0)}));
        int[][][] whereShapes = {
            {{3, 4}, {3, 4}, {3, 4}},
            {{3, 1}, {1, 4}, {}},
            {{4}, {2, 3, 4}, {3, 1}},
            {{0, 3}, {3}, {1}},
            {{2, 3}, {}, {}}
        };
        double[] conditions = {0, 1, -0.0, NAN, 2, -1, 0};
        for (int[][] s : whereShapes) {
            String n = "where " + dims(s[0]) + " ? " + dims(s[1]) + " : " + dims(s[2]) + " (NaN condition selects)";
            Gen g = gen(n);
            Data ifTrue = withSpecials(g.normal(s[1]));
            c.add(KernelCase.of(n, g.choice(conditions, s[0]), ifTrue, g.normal(s[2]))
                    .exact()
                    .op(t -> Tensor.where(t[0], t[1], t[2]))
                    .host(d -> Host.where(d[0], d[1], d[2])));
        }
        return c;
    }

    /** NaN and +inf in the first two elements, so selection is seen to carry them. */
    private static Data withSpecials(Data d) {
        double[] v = d.values();
        if (v.length > 0) {
            v[0] = NAN;
        }
        if (v.length > 1) {
            v[1] = INF;
        }
        return d;
    }

    // ---- matmul -------------------------------------------------------------------------

    private List<KernelCase> matmul() {
        List<KernelCase> c = new ArrayList<>();
        int[][] sizes = {{5, 3, 4}, {33, 17, 9}, {1, 7, 1}, {7, 1, 7}};
        for (int[] mkn : sizes) {
            for (int flags = 0; flags < 4; flags++) {
                boolean ta = (flags & 1) != 0;
                boolean tb = (flags & 2) != 0;
                c.add(matmulCase(matrix(mkn[0], mkn[1], ta), matrix(mkn[1], mkn[2], tb), ta, tb, ""));
            }
        }
        c.add(matmulCase(new int[] {3, 0}, new int[] {0, 4}, false, false, " (k = 0 gives zeros)"));
        c.add(matmulCase(new int[] {0, 4}, new int[] {3, 0}, true, true, " (k = 0 transposed)"));
        c.add(matmulCase(new int[] {0, 3}, new int[] {3, 4}, false, false, " (m = 0)"));
        c.add(matmulCase(new int[] {3, 4}, new int[] {4, 0}, false, false, " (n = 0)"));
        c.add(matmulCase(new int[] {65, 129}, new int[] {129, 67}, false, false, " (larger than a block)"));
        for (int flags = 0; flags < 4; flags++) {
            boolean ta = (flags & 1) != 0;
            boolean tb = (flags & 2) != 0;
            c.add(matmulCase(batch(3, matrix(4, 5, ta)), batch(3, matrix(5, 2, tb)), ta, tb, " (batched)"));
        }
        c.add(matmulCase(new int[] {1, 2, 3}, new int[] {1, 3, 2}, false, false, " (batch of 1)"));
        c.add(matmulCase(new int[] {2, 3, 0}, new int[] {2, 0, 4}, false, false, " (batched, k = 0)"));
        c.add(matmulCase(new int[] {0, 3, 4}, new int[] {0, 4, 2}, false, false, " (empty batch)"));
        c.add(matmulCase(new int[] {3, 4, 5}, new int[] {5, 2}, false, false, " (rank 3 by a shared matrix)"));
        c.add(matmulCase(new int[] {3, 4, 5}, new int[] {2, 5}, false, true, " (rank 3 by a shared matrix)"));
        return c;
    }

    private static int[] matrix(int rows, int cols, boolean transposed) {
        return transposed ? new int[] {cols, rows} : new int[] {rows, cols};
    }

    private static int[] batch(int b, int[] m) {
        return new int[] {b, m[0], m[1]};
    }

    private KernelCase matmulCase(int[] a, int[] b, boolean ta, boolean tb, String note) {
        String name = "matmul " + dims(a) + (ta ? "^T" : "") + "·" + dims(b) + (tb ? "^T" : "") + note;
        Gen g = gen(name);
        return KernelCase.of(name, g.normal(a), g.normal(b))
                .accumulates()
                .op(t -> t[0].matmul(t[1], ta, tb))
                .host(d -> Host.matmul(d[0], d[1], ta, tb));
    }

    // ---- reductions ---------------------------------------------------------------------

    // A table row of test inputs: never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    private record Reduction(int[] dims, boolean keepDims, int[] axes, String note) {}

    private List<KernelCase> reductions() {
        List<Reduction> rs = List.of(
                new Reduction(new int[] {3, 4, 5}, false, new int[] {0}, ""),
                new Reduction(new int[] {3, 4, 5}, false, new int[] {1}, ""),
                new Reduction(new int[] {3, 4, 5}, false, new int[] {2}, ""),
                new Reduction(new int[] {3, 4, 5}, true, new int[] {-1}, ""),
                new Reduction(new int[] {3, 4, 5}, false, new int[] {0, 2}, ""),
                new Reduction(new int[] {3, 4, 5}, true, new int[] {2, 0}, ""),
                new Reduction(new int[] {3, 4, 5}, false, new int[] {}, ""),
                new Reduction(new int[] {3, 4, 5}, true, new int[] {}, ""),
                new Reduction(new int[] {3, 1, 4}, false, new int[] {1}, " (size-1 axis)"),
                new Reduction(new int[] {3, 1, 4}, true, new int[] {0, 1}, " (size-1 axis)"),
                new Reduction(new int[] {1, 5}, false, new int[] {0}, " (size-1 axis)"),
                new Reduction(new int[] {0, 3}, false, new int[] {0}, " (empty axis)"),
                new Reduction(new int[] {3, 0}, true, new int[] {1}, " (empty axis)"),
                new Reduction(new int[] {0, 3}, false, new int[] {}, " (empty tensor)"),
                new Reduction(new int[] {0, 3}, false, new int[] {1}, " (empty result)"),
                new Reduction(new int[] {}, false, new int[] {}, " (scalar)"),
                new Reduction(new int[] {64, 300}, false, new int[] {1}, " (long rows)"));
        List<KernelCase> c = new ArrayList<>();
        for (ReduceOp op : ReduceOp.values()) {
            String opName = op.name().toLowerCase(java.util.Locale.ROOT);
            for (Reduction r : rs) {
                String name = opName + " " + dims(r.dims()) + " over " + axes(r.axes())
                        + (r.keepDims() ? " keepDims" : "")
                        + r.note();
                c.add(reduceCase(name, op, gen(name).normal(r.dims()), r.keepDims(), r.axes()));
            }
            String name = opName + " [3, 4] over axis 1 (rows with NaN, -inf, +inf)";
            c.add(reduceCase(
                    name,
                    op,
                    Data.of(new int[] {3, 4}, 1, NAN, 2, 3, -INF, -INF, -INF, -INF, INF, 1, 2, -1),
                    false,
                    1));
        }
        return c;
    }

    static String axes(int[] axes) {
        if (axes.length == 0) {
            return "all axes";
        }
        return axes.length == 1 ? "axis " + axes[0] : "axes " + dims(axes);
    }

    private static KernelCase reduceCase(String name, ReduceOp op, Data x, boolean keepDims, int... axes) {
        KernelCase k = KernelCase.of(name, x)
                .op(t -> switch (op) {
                    case SUM -> t[0].sum(keepDims, axes);
                    case MEAN -> t[0].mean(keepDims, axes);
                    case MAX -> t[0].max(keepDims, axes);
                })
                .host(d -> Host.reduce(op, d[0], keepDims, axes));
        return op == ReduceOp.MAX ? k.exact() : k.accumulates();
    }

    // ---- logSumExp ----------------------------------------------------------------------

    private List<KernelCase> logSumExp() {
        List<KernelCase> c = new ArrayList<>();
        c.add(lseCase(new int[] {3, 4}, false, 1));
        c.add(lseCase(new int[] {3, 4}, true, 0));
        c.add(lseCase(new int[] {2, 3, 4}, false));
        c.add(lseCase(new int[] {2, 3, 4}, true, 0, 2));
        String name = "logSumExp [3, 3] over axis 1 (a row all -inf, huge and very negative rows)";
        c.add(lseKernel(
                name, Data.of(new int[] {3, 3}, -INF, -INF, -INF, 1000, 1000, 999, -1000, -1001, -1000), false, 1));
        name = "logSumExp [0, 3] over axis 0 (empty axis gives -inf)";
        c.add(lseKernel(name, Data.of(new int[] {0, 3}), false, 0));
        return c;
    }

    private KernelCase lseCase(int[] d, boolean keepDims, int... axes) {
        String name = "logSumExp " + dims(d) + " over " + axes(axes) + (keepDims ? " keepDims" : "");
        return lseKernel(name, gen(name).normal(3, d), keepDims, axes);
    }

    private static KernelCase lseKernel(String name, Data x, boolean keepDims, int... axes) {
        // the scale lse(|x|) >= max|x| + 0 bounds the magnitudes the result is computed from
        return KernelCase.of(name, x)
                .accumulates()
                .op(t -> t[0].logSumExp(keepDims, axes))
                .host(d -> Host.logSumExp(d[0], keepDims, axes));
    }

    // ---- layout -------------------------------------------------------------------------

    private List<KernelCase> layout() {
        List<KernelCase> c = new ArrayList<>();
        reshapes(c);
        int[][][] broadcasts = {
            {{3, 1}, {2, 3, 4}}, {{}, {2, 2}}, {{4}, {3, 4}}, {{1, 0}, {3, 0}}, {{2, 1, 3}, {2, 4, 3}}
        };
        for (int[][] b : broadcasts) {
            String name = "broadcastTo " + dims(b[0]) + " to " + dims(b[1]);
            Shape target = Shape.of(b[1]);
            c.add(KernelCase.of(name, gen(name).normal(b[0]))
                    .exact()
                    .op(t -> t[0].broadcastTo(target))
                    .host(d -> Host.broadcastTo(d[0], target)));
        }
        int[][][] permutes = {
            {{2, 3, 4}, {2, 0, 1}},
            {{2, 3, 4}, {0, 2, 1}},
            {{2, 3, 4}, {-1, 0, 1}},
            {{2, 3, 4, 5}, {0, 2, 3, 1}},
            {{2, 3, 4, 5}, {3, 2, 1, 0}},
            {{2, 3, 4, 5}, {1, 0, 3, 2}},
            {{0, 3}, {1, 0}}
        };
        for (int[][] p : permutes) {
            String name = "permute " + dims(p[0]) + " by " + dims(p[1]);
            int[] ax = p[1];
            c.add(KernelCase.of(name, gen(name).normal(p[0]))
                    .exact()
                    .op(t -> t[0].permute(ax))
                    .host(d -> Host.permute(d[0], ax)));
        }
        String name = "transpose() [3, 4]";
        c.add(KernelCase.of(name, gen(name).normal(3, 4))
                .exact()
                .op(t -> t[0].transpose())
                .host(d -> Host.permute(d[0], 1, 0)));
        name = "transpose() [2, 3, 4]";
        c.add(KernelCase.of(name, gen(name).normal(2, 3, 4))
                .exact()
                .op(t -> t[0].transpose())
                .host(d -> Host.permute(d[0], 0, 2, 1)));
        name = "transpose(0, 2) [2, 3, 4]";
        c.add(KernelCase.of(name, gen(name).normal(2, 3, 4))
                .exact()
                .op(t -> t[0].transpose(0, 2))
                .host(d -> Host.permute(d[0], 2, 1, 0)));
        slices(c);
        concats(c);
        gathers(c);
        return c;
    }

    private void reshapes(List<KernelCase> c) {
        int[][][] reshapes = {
            {{3, 4, 5}, {12, 5}},
            {{3, 4, 5}, {-1}},
            {{3, 4, 5}, {5, -1, 3}},
            {{0, 3}, {3, 0}},
            {{}, {1, 1}},
            {{1, 1}, {}},
            {{2, 3}, {2, 3}}
        };
        for (int[][] r : reshapes) {
            String name = "reshape " + dims(r[0]) + " to " + dims(r[1]);
            int[] to = r[1];
            c.add(KernelCase.of(name, gen(name).normal(r[0]))
                    .exact()
                    .op(t -> t[0].reshape(to))
                    .host(d -> Data.of(inferred(d[0].shape(), to), d[0].values())));
        }
        // a view made by reshape must read correctly in the kernels that consume it
        String name = "reshape [3, 4] to [4, 3], then add [3], permute and matmul";
        Gen g = gen(name);
        c.add(KernelCase.of(name, g.normal(3, 4), g.normal(3), g.normal(3, 2))
                .accumulates()
                .ops(t -> {
                    Tensor v = t[0].reshape(4, 3);
                    return new Tensor[] {v.add(t[1]), v.permute(1, 0), v.matmul(t[2])};
                })
                .hosts(d -> {
                    Data v = Data.of(new int[] {4, 3}, d[0].values());
                    return new Data[] {
                        Host.binary(v, d[1], Double::sum), Host.permute(v, 1, 0), Host.matmul(v, d[2], false, false)
                    };
                }));
    }

    private static Shape inferred(Shape from, int[] to) {
        int[] d = to.clone();
        int known = 1;
        int infer = -1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                infer = i;
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            d[infer] = from.size() / known;
        }
        return Shape.of(d);
    }

    private void slices(List<KernelCase> c) {
        int[][] slices = {{0, 1, 4}, {1, 0, 2}, {-1, 3, 4}, {0, 2, 2}, {0, 0, 5}};
        for (int[] s : slices) {
            String name =
                    "slice [5, 4] axis " + s[0] + " [" + s[1] + ", " + s[2] + ")" + (s[1] == s[2] ? " (empty)" : "");
            c.add(sliceCase(name, gen(name).normal(5, 4), s[0], s[1], s[2]));
        }
        String name = "slice [2, 5, 3] axis 1 [1, 3)";
        c.add(sliceCase(name, gen(name).normal(2, 5, 3), 1, 1, 3));
        name = "split [6, 4] axis 0 into [1, 2, 3]";
        c.add(splitCase(name, gen(name).normal(6, 4), 0, 1, 2, 3));
        name = "split [2, 4] axis 1 into [4, 0] (an empty piece)";
        c.add(splitCase(name, gen(name).normal(2, 4), 1, 4, 0));
        name = "split [2, 6, 3] axis -2 into [3, 3]";
        c.add(splitCase(name, gen(name).normal(2, 6, 3), -2, 3, 3));
    }

    private static KernelCase sliceCase(String name, Data x, int axis, int start, int end) {
        return KernelCase.of(name, x)
                .exact()
                .op(t -> t[0].slice(axis, start, end))
                .host(d -> Host.slice(d[0], axis, start, end));
    }

    private static KernelCase splitCase(String name, Data x, int axis, int... sizes) {
        return KernelCase.of(name, x)
                .exact()
                .ops(t -> t[0].split(axis, sizes).toArray(new Tensor[0]))
                .hosts(d -> {
                    Data[] out = new Data[sizes.length];
                    int start = 0;
                    for (int i = 0; i < sizes.length; i++) {
                        out[i] = Host.slice(d[0], axis, start, start + sizes[i]);
                        start += sizes[i];
                    }
                    return out;
                });
    }

    private void concats(List<KernelCase> c) {
        int[][][] concats = {
            {{0}, {2, 3}, {4, 3}},
            {{1}, {2, 1}, {2, 0}, {2, 3}},
            {{2}, {2, 3, 1}, {2, 3, 2}, {2, 3, 4}},
            {{-1}, {2, 2}, {2, 5}},
            {{0}, {2, 3}},
            {{0}, {0, 3}, {0, 3}},
        };
        for (int[][] spec : concats) {
            int axis = spec[0][0];
            int[][] parts = Arrays.copyOfRange(spec, 1, spec.length);
            String name = "concat axis " + axis + " of "
                    + Arrays.stream(parts).map(KernelSuite::dims).collect(Collectors.joining(" + "))
                    + (Arrays.stream(parts).anyMatch(p -> Shape.of(p).size() == 0) ? " (empty part)" : "");
            Gen g = gen(name);
            Data[] in = Arrays.stream(parts).map(g::normal).toArray(Data[]::new);
            c.add(KernelCase.of(name, in)
                    .exact()
                    .op(t -> Tensor.concat(axis, t))
                    .host(d -> Host.concat(axis, List.of(d))));
        }
    }

    private void gathers(List<KernelCase> c) {
        Object[][] gathers = {
            {new int[] {5, 3}, 0, new int[] {4, 0, 0, 2, 4}},
            {new int[] {5, 3}, 1, new int[] {2, 2, 0}},
            {new int[] {5, 3}, 0, new int[] {}},
            {new int[] {2, 4, 3}, 1, new int[] {3, 1, 3}},
            {new int[] {5}, 0, new int[] {1, 1, 1}},
        };
        for (Object[] spec : gathers) {
            int[] d = (int[]) spec[0];
            int axis = (Integer) spec[1];
            int[] idx = (int[]) spec[2];
            String name = "gather " + dims(d) + " axis " + axis + " indices " + dims(idx)
                    + (hasRepeats(idx) ? " (repeats)" : "") + (idx.length == 0 ? " (none)" : "");
            c.add(KernelCase.of(name, gen(name).normal(d))
                    .exact()
                    .op(t -> t[0].gather(axis, idx))
                    .host(x -> Host.gather(x[0], axis, idx)));
        }
        Object[][] scatters = {
            {new int[] {5, 3}, new int[] {4, 3}, 0, new int[] {0, 3, 0, 1, 0}},
            {new int[] {2, 4}, new int[] {2, 3}, 1, new int[] {2, 2, 0, 1}},
            {new int[] {0, 3}, new int[] {4, 3}, 0, new int[] {}},
            {new int[] {2, 3, 2}, new int[] {2, 5, 2}, 1, new int[] {4, 4, 0}},
            // a slice's backward pass: consecutive indices, zeros on both sides, before, after
            {new int[] {2, 3, 2}, new int[] {2, 7, 2}, 1, new int[] {2, 3, 4}},
            {new int[] {3, 2}, new int[] {3, 5}, 1, new int[] {0, 1}},
            {new int[] {2, 4}, new int[] {5, 4}, 0, new int[] {3, 4}},
            {new int[] {3, 1}, new int[] {3, 4}, 1, new int[] {2}},
        };
        for (Object[] spec : scatters) {
            int[] src = (int[]) spec[0];
            Shape target = Shape.of((int[]) spec[1]);
            int axis = (Integer) spec[2];
            int[] idx = (int[]) spec[3];
            String name = "scatterAdd " + dims(src) + " into " + target + " axis " + axis + " indices " + dims(idx)
                    + (hasRepeats(idx) ? " (repeats accumulate)" : "") + (idx.length == 0 ? " (none: zeros)" : "");
            c.add(KernelCase.of(name, gen(name).normal(src))
                    .accumulates()
                    .op(t -> t[0].scatterAdd(target, axis, idx))
                    .host(x -> Host.scatterAdd(x[0], target, axis, idx)));
        }
    }

    static boolean hasRepeats(int[] idx) {
        return IntStream.of(idx).distinct().count() < idx.length;
    }

    // ---- conv2d -------------------------------------------------------------------------

    /** A convolution: input and weight dimensions and padding ({@code -1}: "same"). */
    // A table row of test inputs, printed through describe(): never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record Conv(int[] x, int[] w, int padH, int padW) {
        String describe() {
            return "x " + dims(x) + " w " + dims(w) + (padH < 0 ? " same" : " padding (" + padH + ", " + padW + ")");
        }

        int ph() {
            return padH < 0 ? w[2] / 2 : padH;
        }

        int pw() {
            return padW < 0 ? w[3] / 2 : padW;
        }

        int[] out() {
            return new int[] {x[0], w[0], x[2] + 2 * ph() - w[2] + 1, x[3] + 2 * pw() - w[3] + 1};
        }

        Tensor apply(Tensor input, Tensor weight) {
            return padH < 0 ? input.conv2d(weight) : input.conv2d(weight, padH, padW);
        }
    }

    static final List<Conv> CONVS = List.of(
            new Conv(new int[] {2, 3, 6, 5}, new int[] {4, 3, 3, 3}, -1, -1),
            new Conv(new int[] {2, 3, 4, 4}, new int[] {5, 3, 1, 1}, -1, -1),
            new Conv(new int[] {1, 1, 4, 4}, new int[] {1, 1, 3, 3}, -1, -1),
            new Conv(new int[] {2, 2, 5, 5}, new int[] {3, 2, 5, 5}, -1, -1),
            new Conv(new int[] {1, 2, 5, 6}, new int[] {3, 2, 3, 3}, 0, 0),
            new Conv(new int[] {1, 2, 5, 6}, new int[] {3, 2, 3, 3}, 2, 1),
            new Conv(new int[] {2, 2, 4, 5}, new int[] {2, 2, 1, 3}, 0, 1),
            // above 2^17 multiply-adds, where a threaded backend splits the work
            new Conv(new int[] {4, 8, 12, 11}, new int[] {6, 8, 3, 3}, -1, -1),
            new Conv(new int[] {0, 2, 4, 4}, new int[] {3, 2, 3, 3}, -1, -1));

    private List<KernelCase> conv2d() {
        List<KernelCase> c = new ArrayList<>();
        for (Conv cv : CONVS) {
            String name = "conv2d " + cv.describe();
            Gen g = gen(name);
            c.add(KernelCase.of(name, g.normal(cv.x()), g.normal(cv.w()))
                    .accumulates()
                    .op(t -> cv.apply(t[0], t[1]))
                    .host(d -> Host.conv2d(d[0], d[1], cv.ph(), cv.pw())));
        }
        for (Conv cv : CONVS) {
            String name = "conv2d backward kernels (input, weight) through autodiff, " + cv.describe();
            Gen g = gen(name);
            Shape xs = Shape.of(cv.x());
            Shape ws = Shape.of(cv.w());
            c.add(KernelCase.of(name, g.normal(cv.x()), g.normal(cv.w()), g.normal(cv.out()))
                    .accumulates()
                    .ops(t -> {
                        Tensor x = t[0].requiringGrad();
                        Tensor w = t[1].requiringGrad();
                        return Autodiff.grad(cv.apply(x, w), List.of(x, w), t[2], false)
                                .toArray(new Tensor[0]);
                    })
                    .hosts(d -> new Data[] {
                        Host.conv2dBackwardInput(d[2], d[1], xs, cv.ph(), cv.pw()),
                        Host.conv2dBackwardWeight(d[0], d[2], ws, cv.ph(), cv.pw())
                    }));
        }
        return c;
    }

    // ---- cast ---------------------------------------------------------------------------

    private List<KernelCase> cast() {
        List<KernelCase> c = new ArrayList<>();
        DType other = dtype == DType.FLOAT64 ? DType.FLOAT32 : DType.FLOAT64;
        String name = "cast [3, 4] " + dtype.label() + " to " + other.label();
        c.add(castCase(name, gen(name).normal(3, 3, 4), other));
        name = "cast [3, 4] " + dtype.label() + " to " + dtype.label() + " (a copy)";
        c.add(castCase(name, gen(name).normal(3, 3, 4), dtype));
        // overflow to inf, underflow to 0, a tie-breaking halfway value, signed zero and NaN
        name = "cast edge values [8] " + dtype.label() + " to " + other.label();
        c.add(castCase(name, Data.of(new int[] {8}, 1e39, -1e39, 1e-46, 1 + 0x1p-24, -0.0, NAN, INF, 1.0 / 3), other));
        name = "cast [0, 2] " + dtype.label() + " to " + other.label() + " (empty)";
        c.add(castCase(name, Data.of(new int[] {0, 2}), other));
        return c;
    }

    private static KernelCase castCase(String name, Data x, DType to) {
        return KernelCase.of(name, x).exact().outputs(to).op(t -> t[0].to(to)).host(d -> d[0].roundedTo(to));
    }
}
