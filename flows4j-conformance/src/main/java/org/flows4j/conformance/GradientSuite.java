package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * Every differentiable operation's autodiff gradient on the target, in float64, against
 * central finite differences. Inputs stay inside each domain (log, sqrt, a positive base for
 * pow) and away from kinks (relu and abs at 0, ties of maximum, minimum and max, the bounds
 * of clamp), where a finite difference measures neither one-sided derivative.
 */
final class GradientSuite {

    private final Session session;
    private final long seed;

    private GradientSuite(Session session, long seed) {
        this.session = session;
        this.seed = seed;
    }

    /** The container "gradients [float64]". */
    public static DynamicContainer container(Session session, long seed) {
        GradientSuite s = new GradientSuite(session, seed);
        return DynamicContainer.dynamicContainer(
                "gradients [float64]",
                List.of(
                        s.group("unary", s.unary()),
                        s.group("binary", s.binary()),
                        s.group("selection", s.selection()),
                        s.group("matmul", s.matmul()),
                        s.group("reductions", s.reductions()),
                        s.group("layout", s.layout()),
                        s.group("conv2d", s.conv2d()),
                        s.group("composed", s.composed()),
                        DynamicContainer.dynamicContainer("autodiff", s.autodiff())));
    }

    private DynamicNode group(String name, List<GradientCase> cases) {
        return DynamicContainer.dynamicContainer(name, cases.stream().map(c -> c.test(session)));
    }

    private Gen gen(String name) {
        return new Gen(seed, name);
    }

    private GradientCase gc(String name, Data... inputs) {
        return GradientCase.of(name, seed, inputs);
    }

    private static String dims(int... d) {
        return KernelSuite.dims(d);
    }

    // ---- unary --------------------------------------------------------------------------

    /** A differentiable domain for each op, or null for sign, which is not differentiable. */
    private static Data domain(UnaryOp op, Gen g) {
        return switch (op) {
            case NEG, EXPM1, SQUARE -> g.normal(3, 4);
            case EXP -> g.normal(1, 3, 4);
            case LOG -> g.uniform(0.5, 3, 3, 4);
            case LOG1P -> g.uniform(-0.5, 3, 3, 4);
            case TANH -> g.normal(1.5, 3, 4);
            case SIGMOID, SOFTPLUS -> g.normal(2, 3, 4);
            case RELU, ABS -> g.signed(0.1, 2, 3, 4);
            case SQRT -> g.uniform(0.5, 3, 3, 4);
            case RECIPROCAL -> g.signed(0.5, 2, 3, 4);
            case SIGN -> null;
        };
    }

    private List<GradientCase> unary() {
        List<GradientCase> c = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) {
            String name = op.name().toLowerCase(java.util.Locale.ROOT) + " [3, 4]";
            Data x = domain(op, gen(name));
            if (x != null) {
                var fn = KernelSuite.unaryOf(op).op();
                c.add(gc(name, x).op(t -> fn.apply(t[0])));
            }
        }
        String name = "logSigmoid [3, 4]";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].logSigmoid()));
        name = "exp [] (scalar)";
        c.add(gc(name, gen(name).normal()).op(t -> t[0].exp()));
        return c;
    }

    // ---- binary -------------------------------------------------------------------------

    private static final int[][][] BROADCASTS = {
        {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{}, {2, 3}}, {{2, 3}, {}}, {{2, 1, 3}, {4, 1}}
    };

    private static Data left(BinaryOp op, Gen g, int[] d) {
        return switch (op) {
            case ADD, SUB, MUL, DIV -> g.normal(d);
            case POW -> g.uniform(0.5, 2, d);
            // the two grids are offset by half a step: |a - b| >= 0.1 for every broadcast pair
            case MAXIMUM, MINIMUM -> g.grid(0.0, 0.2, 8, d);
        };
    }

    private static Data right(BinaryOp op, Gen g, int[] d) {
        return switch (op) {
            case ADD, SUB, MUL -> g.normal(d);
            case DIV -> g.signed(0.5, 2, d);
            case POW -> g.uniform(-1.5, 1.5, d);
            case MAXIMUM, MINIMUM -> g.grid(0.1, 0.2, 8, d);
        };
    }

    private List<GradientCase> binary() {
        List<GradientCase> c = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            var fn = KernelSuite.binaryOf(op).op();
            for (int[][] s : BROADCASTS) {
                String name = op.name().toLowerCase(java.util.Locale.ROOT) + " " + dims(s[0]) + " with " + dims(s[1])
                        + (Arrays.equals(s[0], s[1]) ? "" : " (gradients sum back over broadcast axes)");
                Gen g = gen(name);
                c.add(gc(name, left(op, g, s[0]), right(op, g, s[1])).op(t -> fn.apply(t[0], t[1])));
            }
        }
        String name = "mul x * x [3, 4] (one variable used twice accumulates)";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].mul(t[0])));
        name = "pow with a constant base [3, 4] (derivative in the exponent)";
        Gen g = gen(name);
        c.add(gc(name, g.uniform(0.5, 2, 3, 4).asConstant(), g.uniform(-1.5, 1.5, 3, 4))
                .op(t -> t[0].pow(t[1])));
        name = "pow with negative bases and constant integer exponents [3, 4]";
        g = gen(name);
        c.add(gc(
                        name,
                        g.signed(0.5, 2, 3, 4),
                        g.choice(new double[] {2, 3}, 3, 4).asConstant())
                .op(t -> t[0].pow(t[1])));
        name = "add(double), mul(double), div(double), pow(double) [3, 4]";
        c.add(gc(name, gen(name).uniform(0.5, 2, 3, 4))
                .ops(t -> new Tensor[] {t[0].add(1.5), t[0].mul(-0.75), t[0].div(3.0), t[0].pow(2.5)}));
        return c;
    }

    // ---- where, clamp -------------------------------------------------------------------

    private List<GradientCase> selection() {
        List<GradientCase> c = new ArrayList<>();
        double[] bits = {0, 1};
        String name = "where [3, 4] ? [3, 4] : [4] (gradient flows to the chosen side)";
        Gen g = gen(name);
        c.add(gc(name, g.choice(bits, 3, 4).asConstant(), g.normal(3, 4), g.normal(4))
                .op(t -> Tensor.where(t[0], t[1], t[2])));
        name = "where [3, 1] ? [] : [3, 4]";
        g = gen(name);
        c.add(gc(name, g.choice(bits, 3, 1).asConstant(), g.normal(), g.normal(3, 4))
                .op(t -> Tensor.where(t[0], t[1], t[2])));
        name = "clamp(-0.5, 0.5) [4, 5] (no element within 0.05 of a bound)";
        c.add(gc(name, gen(name).grid(0.05, 0.1, 10, 4, 5)).op(t -> t[0].clamp(-0.5, 0.5)));
        return c;
    }

    // ---- matmul -------------------------------------------------------------------------

    private List<GradientCase> matmul() {
        List<GradientCase> c = new ArrayList<>();
        for (int flags = 0; flags < 4; flags++) {
            boolean ta = (flags & 1) != 0;
            boolean tb = (flags & 2) != 0;
            c.add(matmulCase(
                    ta ? new int[] {3, 4} : new int[] {4, 3}, tb ? new int[] {5, 3} : new int[] {3, 5}, ta, tb));
            c.add(matmulCase(
                    ta ? new int[] {2, 4, 3} : new int[] {2, 3, 4},
                    tb ? new int[] {2, 5, 4} : new int[] {2, 4, 5},
                    ta,
                    tb));
        }
        c.add(matmulCase(new int[] {2, 3, 4}, new int[] {4, 5}, false, false));
        c.add(matmulCase(new int[] {2, 3, 4}, new int[] {5, 4}, false, true));
        return c;
    }

    private GradientCase matmulCase(int[] a, int[] b, boolean ta, boolean tb) {
        String name = "matmul " + dims(a) + (ta ? "^T" : "") + "·" + dims(b) + (tb ? "^T" : "");
        Gen g = gen(name);
        return gc(name, g.normal(a), g.normal(b)).op(t -> t[0].matmul(t[1], ta, tb));
    }

    // ---- reductions ---------------------------------------------------------------------

    private List<GradientCase> reductions() {
        List<GradientCase> c = new ArrayList<>();
        String name = "sum [2, 3, 4] over axis 1";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].sum(1)));
        name = "sum [2, 3, 4] over axes [0, 2] keepDims";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].sum(true, 0, 2)));
        name = "sum [2, 3, 4] over all axes";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].sum()));
        name = "mean [3, 4] over axis 0";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].mean(0)));
        name = "mean [2, 3, 4] over all axes keepDims";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].mean(true)));
        name = "max [3, 4] over axis 1 (distinct values)";
        c.add(gc(name, gen(name).distinct(0.1, 3, 4)).op(t -> t[0].max(1)));
        name = "max [2, 3, 4] over axes [0, 2] keepDims (distinct values)";
        c.add(gc(name, gen(name).distinct(0.1, 2, 3, 4)).op(t -> t[0].max(true, 0, 2)));
        name = "max [3, 4] over all axes (distinct values)";
        c.add(gc(name, gen(name).distinct(0.1, 3, 4)).op(t -> t[0].max()));
        name = "logSumExp [3, 4] over axis 1";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].logSumExp(false, 1)));
        name = "logSumExp [2, 3, 4] over axis 0 keepDims";
        c.add(gc(name, gen(name).normal(2, 2, 3, 4)).op(t -> t[0].logSumExp(true, 0)));
        name = "logSumExp [3, 4] over all axes";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].logSumExp(false)));
        return c;
    }

    // ---- layout -------------------------------------------------------------------------

    private List<GradientCase> layout() {
        List<GradientCase> c = new ArrayList<>();
        String name = "reshape [3, 4] to [2, -1]";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].reshape(2, -1)));
        name = "reshape [3, 4] to [4, 3] then exp (a view in a chain)";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].reshape(4, 3).exp()));
        name = "broadcastTo [3, 1] to [2, 3, 4]";
        Shape target = Shape.of(2, 3, 4);
        c.add(gc(name, gen(name).normal(3, 1)).op(t -> t[0].broadcastTo(target)));
        name = "permute [2, 3, 4] by [2, 0, 1]";
        c.add(gc(name, gen(name).normal(2, 3, 4)).op(t -> t[0].permute(2, 0, 1)));
        name = "permute [2, 3, 2, 2] by [0, 2, 3, 1]";
        c.add(gc(name, gen(name).normal(2, 3, 2, 2)).op(t -> t[0].permute(0, 2, 3, 1)));
        name = "transpose() [3, 4]";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].transpose()));
        name = "slice [5, 4] axis 0 [1, 4)";
        c.add(gc(name, gen(name).normal(5, 4)).op(t -> t[0].slice(0, 1, 4)));
        name = "slice [2, 5] axis 1 [2, 2) (empty: zero gradient)";
        c.add(gc(name, gen(name).normal(2, 5)).op(t -> t[0].slice(1, 2, 2)));
        name = "concat axis 1 of [2, 1] + [2, 3]";
        Gen g = gen(name);
        c.add(gc(name, g.normal(2, 1), g.normal(2, 3)).op(t -> Tensor.concat(1, t)));
        name = "concat axis 0 of [2, 3] (constant) + [1, 3]";
        g = gen(name);
        c.add(gc(name, g.normal(2, 3).asConstant(), g.normal(1, 3)).op(t -> Tensor.concat(0, t)));
        name = "split [6, 2] axis 0 into [1, 2, 3]";
        c.add(gc(name, gen(name).normal(6, 2)).ops(t -> t[0].split(0, 1, 2, 3).toArray(new Tensor[0])));
        name = "gather [5, 3] axis 0 indices [4, 0, 0, 2] (repeats)";
        c.add(gc(name, gen(name).normal(5, 3)).op(t -> t[0].gather(0, 4, 0, 0, 2)));
        name = "gather [2, 4] axis 1 indices [3, 3, 1]";
        c.add(gc(name, gen(name).normal(2, 4)).op(t -> t[0].gather(1, 3, 3, 1)));
        name = "scatterAdd [5, 3] into [4, 3] axis 0 indices [0, 3, 0, 1, 0] (repeats)";
        Shape into = Shape.of(4, 3);
        c.add(gc(name, gen(name).normal(5, 3)).op(t -> t[0].scatterAdd(into, 0, 0, 3, 0, 1, 0)));
        name = "to(float64) [3, 4] (a copy)";
        c.add(gc(name, gen(name).normal(3, 4)).op(t -> t[0].to(DType.FLOAT64)));
        return c;
    }

    // ---- conv2d -------------------------------------------------------------------------

    private List<GradientCase> conv2d() {
        List<KernelSuite.Conv> convs = List.of(
                new KernelSuite.Conv(new int[] {2, 2, 4, 4}, new int[] {3, 2, 3, 3}, -1, -1),
                new KernelSuite.Conv(new int[] {1, 3, 3, 3}, new int[] {2, 3, 1, 1}, -1, -1),
                new KernelSuite.Conv(new int[] {1, 2, 4, 5}, new int[] {2, 2, 3, 3}, 0, 0),
                new KernelSuite.Conv(new int[] {1, 2, 4, 5}, new int[] {2, 2, 3, 3}, 2, 1));
        List<GradientCase> c = new ArrayList<>();
        for (KernelSuite.Conv cv : convs) {
            String name = "conv2d " + cv.describe() + " (input and weight)";
            Gen g = gen(name);
            c.add(gc(name, g.normal(cv.x()), g.normal(cv.w())).op(t -> cv.apply(t[0], t[1])));
        }
        return c;
    }

    // ---- composed -----------------------------------------------------------------------

    private List<GradientCase> composed() {
        List<GradientCase> c = new ArrayList<>();
        String name = "2-layer tanh MLP, mean squared error (x [5, 3], W1 [3, 4], b1 [4], W2 [4, 2], b2 [2])";
        Gen g = gen(name);
        c.add(gc(
                        name,
                        g.normal(5, 3).asConstant(),
                        g.normal(0.7, 3, 4),
                        g.normal(0.1, 4),
                        g.normal(0.7, 4, 2),
                        g.normal(0.1, 2),
                        g.normal(5, 2).asConstant())
                .op(t -> {
                    Tensor h = t[0].matmul(t[1]).add(t[2]).tanh();
                    return h.matmul(t[3]).add(t[4]).sub(t[5]).square().mean();
                }));
        name = "affine coupling step: z2 = x2 exp(tanh(x1 W)) + x1 V, log-det (x [4, 4], W [2, 2], V [2, 2])";
        g = gen(name);
        c.add(gc(name, g.normal(4, 4), g.normal(0.5, 2, 2), g.normal(0.5, 2, 2)).ops(t -> {
            List<Tensor> halves = t[0].split(1, 2, 2);
            Tensor s = halves.get(0).matmul(t[1]).tanh();
            Tensor z2 = halves.get(1).mul(s.exp()).add(halves.get(0).matmul(t[2]));
            return new Tensor[] {Tensor.concat(1, halves.get(0), z2), s.sum(1)};
        }));
        name = "Gaussian mixture negative log-likelihood with logSumExp, softplus scales (x [6, 1], mu [3], rho [3])";
        g = gen(name);
        c.add(gc(name, g.normal(6, 1).asConstant(), g.normal(3), g.normal(0.5, 3))
                .op(t -> {
                    Tensor sigma = t[2].softplus().add(0.1);
                    Tensor z = t[0].sub(t[1]).div(sigma);
                    Tensor logp = z.square().mul(-0.5).sub(sigma.log());
                    return logp.logSumExp(false, 1).neg().mean();
                }));
        return c;
    }

    // ---- autodiff itself ----------------------------------------------------------------

    private List<DynamicNode> autodiff() {
        List<DynamicNode> c = new ArrayList<>();
        c.add(DynamicTest.dynamicTest(
                "second order: grad(createGraph) of x^3 via pow is 3x^2, differentiated again 6x",
                () -> secondOrder(session.target(), false)));
        c.add(DynamicTest.dynamicTest(
                "second order: grad(createGraph) of x*x*x is 3x^2, differentiated again 6x",
                () -> secondOrder(session.target(), true)));
        c.add(DynamicTest.dynamicTest(
                "to(float32).to(float64) [3, 4]: the gradient is the weight rounded to float32",
                () -> castRoundTrip(session.target())));
        c.add(DynamicTest.dynamicTest(
                "a variable the output does not depend on gets a zero gradient",
                () -> unusedVariable(session.target())));
        c.add(DynamicTest.dynamicTest(
                "sign, comparisons and detach record no gradient", () -> notRecorded(session.target())));
        return c;
    }

    private void secondOrder(Backend b, boolean product) {
        double[] xs = gen("second order").signed(0.5, 2, 5).values();
        KernelCase.inScope(() -> {
            Tensor x = Tensor.of(b, xs, 5).requiringGrad();
            Tensor y = product ? x.mul(x).mul(x) : x.pow(3.0);
            Tensor dy = Autodiff.grad(y, List.of(x), y.onesLike(), true).get(0);
            if (!dy.requiresGrad()) {
                throw new AssertionError("grad with createGraph = true returned a gradient that records nothing");
            }
            double[] three = Arrays.stream(xs).map(v -> 3 * v * v).toArray();
            Tolerance.FLOAT64.assertAllclose("d(x^3)/dx on '" + b.name() + "'", dy.toDoubleArray(), three);
            Tensor d2 = Autodiff.grad(dy.sum(), List.of(x)).get(0);
            double[] six = Arrays.stream(xs).map(v -> 6 * v).toArray();
            Tolerance.FLOAT64.assertAllclose("d^2(x^3)/dx^2 on '" + b.name() + "'", d2.toDoubleArray(), six);
        });
    }

    private void castRoundTrip(Backend b) {
        Gen g = gen("cast round trip");
        double[] xs = g.normal(3, 4).values();
        double[] ws = g.normal(3, 4).values();
        KernelCase.inScope(() -> {
            Tensor x = Tensor.of(b, xs, 3, 4).requiringGrad();
            Tensor y = x.to(DType.FLOAT32).to(DType.FLOAT64);
            Tensor grad = Autodiff.grad(y.mul(Tensor.of(b, ws, 3, 4)).sum(), List.of(x))
                    .get(0);
            if (grad.dtype() != DType.FLOAT64) {
                throw new AssertionError(
                        "the gradient of a float64 variable is " + grad.dtype().label());
            }
            double[] expected = Arrays.stream(ws).map(w -> (float) w).toArray();
            Tolerance.EXACT.assertAllclose(
                    "gradient through a float32 round trip on '" + b.name() + "'", grad.toDoubleArray(), expected);
        });
    }

    private void unusedVariable(Backend b) {
        KernelCase.inScope(() -> {
            Tensor x = Tensor.of(b, new double[] {1, 2, 3}, 3).requiringGrad();
            Tensor unused = Tensor.of(b, new double[] {4, 5}, 2).requiringGrad();
            List<Tensor> g = Autodiff.grad(x.square().sum(), List.of(x, unused));
            Tolerance.EXACT.assertAllclose("gradient of x^2", g.get(0).toDoubleArray(), new double[] {2, 4, 6});
            if (!g.get(1).shape().equals(Shape.of(2))) {
                throw new AssertionError("an unused variable of shape [2] got a gradient of shape "
                        + g.get(1).shape());
            }
            Tolerance.EXACT.assertAllclose(
                    "gradient of an unused variable", g.get(1).toDoubleArray(), new double[2]);
        });
    }

    private void notRecorded(Backend b) {
        KernelCase.inScope(() -> {
            Tensor x = Tensor.of(b, new double[] {-1, 0, 2}, 3).requiringGrad();
            Tensor[] cut = {x.sign(), x.gt(0.0), x.eq(x), x.detach()};
            String[] names = {"sign", "gt", "eq", "detach"};
            for (int i = 0; i < cut.length; i++) {
                if (cut[i].requiresGrad()) {
                    throw new AssertionError(names[i] + " of a variable requires a gradient; it must cut the record");
                }
            }
            if (!x.exp().requiresGrad()) {
                throw new AssertionError("exp of a variable records no gradient");
            }
        });
    }
}
