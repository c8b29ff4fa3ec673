package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.bijectors.ActNorm;
import org.flows4j.layers.bijectors.BatchNorm;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.DiagonalScaling;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.bijectors.Inverse;
import org.flows4j.layers.bijectors.InvertibleConv1x1;
import org.flows4j.layers.bijectors.LocationScale;
import org.flows4j.layers.bijectors.Logit;
import org.flows4j.layers.bijectors.Maf;
import org.flows4j.layers.bijectors.MaskedAutoregressive;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.MultiScale;
import org.flows4j.layers.bijectors.Permutation;
import org.flows4j.layers.bijectors.RationalQuadraticSpline;
import org.flows4j.layers.bijectors.Reshape;
import org.flows4j.layers.bijectors.Scale;
import org.flows4j.layers.bijectors.SplitPrior;
import org.flows4j.layers.bijectors.Squeeze;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Made;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The bijector contract of DESIGN.md, on the target backend in float64, for every bijector of
 * flow-layers and for chains of all of them, with parameters perturbed away from their (often
 * identity) initial values:
 * <ul>
 *   <li>{@code inverse(forward(x)) == x} and the inverse log-det at {@code f(x)} is minus the
 *       forward log-det at {@code x}, both within 1e-9 relative (rounding alone: a million ulps
 *       of O(1) values, room for deep exp/log chains);</li>
 *   <li>the log-det equals {@code log|det J|} of a central-difference Jacobian
 *       ({@code h = 1e-5}: truncation {@code O(h^2)} is about 1e-10 per entry for these smooth
 *       maps), in both directions, within 1e-6;</li>
 *   <li>batches of 1, 2 and 17 agree sample by sample within 1e-12.</li>
 * </ul>
 */
final class BijectorSuite {

    private static final int D = 6;
    private static final Shape VEC = Shape.of(D);
    private static final Shape IMG = Shape.of(2, 4, 4);
    private static final Shape IMG4 = Shape.of(4, 4, 4);

    /** One case: how to build the bijector on a backend, its event shape and its input range. */
    private record Case(String name, Function<BuildContext, Bijector> build, Shape event, double low, double high) {}

    private final Session session;
    private final long seed;

    private BijectorSuite(Session session, long seed) {
        this.session = session;
        this.seed = seed;
    }

    /** The container "bijectors [float64]". */
    static DynamicContainer container(Session session, long seed) {
        BijectorSuite s = new BijectorSuite(session, seed);
        List<DynamicNode> nodes = new ArrayList<>();
        for (Case c : cases()) {
            nodes.add(DynamicContainer.dynamicContainer(
                    c.name(),
                    List.of(
                            DynamicTest.dynamicTest("round trip and inverse log-det", () -> s.roundTrip(c)),
                            DynamicTest.dynamicTest(
                                    "log-det vs numeric Jacobian, both directions", () -> s.jacobian(c)),
                            DynamicTest.dynamicTest("batches of 1, 2, 17 agree", () -> s.batches(c)))));
        }
        return DynamicContainer.dynamicContainer("bijectors [float64]", nodes);
    }

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (CouplingTransform.Scale s : CouplingTransform.Scale.values()) {
            c.add(new Case(
                    "affine coupling " + s + " halves",
                    x -> Coupling.affine(x.split(), Masks.halves(D, false), ContractNets.DENSE, s),
                    VEC,
                    -2,
                    2));
        }
        c.add(new Case(
                "additive coupling odd/even",
                x -> Coupling.additive(x.split(), Masks.oddEven(D, true), ContractNets.DENSE),
                VEC,
                -2,
                2));
        c.add(new Case("diagonal scaling", x -> new DiagonalScaling(x, VEC), VEC, -2, 2));
        c.add(new Case(
                "diagonal scaling (data-initialized)", x -> DiagonalScaling.dataInitialized(x, VEC), VEC, -2, 2));
        c.add(new Case("reverse permutation", x -> Permutation.reverse(D), VEC, -2, 2));
        c.add(new Case("random permutation", x -> Permutation.random(x, D), VEC, -2, 2));
        c.add(new Case("batch norm (evaluation)", x -> new BatchNorm(x, D, 2), VEC, -2, 2));
        c.add(new Case("actnorm on vectors", x -> new ActNorm(x, D, 2), VEC, -2, 2));
        c.add(new Case("1x1 conv plain on vectors", x -> InvertibleConv1x1.plain(x, D), VEC, -2, 2));
        c.add(new Case("1x1 conv LU on vectors", x -> InvertibleConv1x1.lu(x, D), VEC, -2, 2));
        c.add(new Case("elementwise affine", x -> new ElementwiseAffine(x, VEC), VEC, -2, 2));
        c.add(new Case("scale 1/256", x -> new Scale(1.0 / 256), VEC, 0, 256));
        c.add(new Case("logit alpha 0.05", x -> new Logit(0.05), VEC, 0.01, 0.99));
        c.add(new Case(
                "inverse of an affine coupling",
                x -> new Inverse(Coupling.affine(
                        x.split(), Masks.halves(D, true), ContractNets.DENSE, CouplingTransform.Scale.EXP)),
                VEC,
                -2,
                2));
        c.add(new Case(
                "chain of every vector bijector",
                x -> Chain.of(
                        new Logit(0.05),
                        new ActNorm(x, D, 2),
                        Coupling.additive(x.split(), Masks.oddEven(D, false), ContractNets.DENSE),
                        Coupling.affine(
                                x.split(), Masks.halves(D, true), ContractNets.DENSE, CouplingTransform.Scale.SIGMOID),
                        Permutation.random(x, D),
                        new BatchNorm(x, D, 2),
                        InvertibleConv1x1.lu(x, D),
                        InvertibleConv1x1.plain(x, D),
                        new DiagonalScaling(x, VEC),
                        new ElementwiseAffine(x, VEC),
                        new Scale(3.0)),
                VEC,
                0.01,
                0.99));
        c.add(new Case(
                "MAF layer (Gaussian MADE), random ordering",
                x -> MaskedAutoregressive.of(
                        x.split(),
                        Made.Ordering.random(D, x.random()),
                        LocationScale.of(CouplingTransform.Scale.TANH),
                        MADE),
                VEC,
                -2,
                2));
        c.add(new Case(
                "IAF layer (inverse Gaussian MADE)",
                x -> new Inverse(
                        MaskedAutoregressive.of(x.split(), Made.Ordering.reversed(D), LocationScale.gaussian(), MADE)),
                VEC,
                -2,
                2));
        c.add(new Case(
                "NSF-AR layer (spline MADE), knots and tails",
                x -> MaskedAutoregressive.of(x.split(), Made.Ordering.natural(D), SPLINE, MADE),
                VEC,
                -2,
                2));
        c.add(new Case(
                "spline coupling, knots and tails",
                x -> Coupling.of(x.split(), Masks.halves(D, false), SPLINE, ContractNets.DENSE),
                VEC,
                -2,
                2));
        c.add(new Case(
                "conditional MAF layer, fixed context",
                x -> new WithContext(
                        MaskedAutoregressive.of(
                                x.split(), Made.Ordering.random(D, x.random()), LocationScale.gaussian(), MADE, 2),
                        x.tensor(new double[] {0.7, -1.3}, Shape.of(2))),
                VEC,
                -2,
                2));
        c.add(new Case(
                "conditional spline coupling, fixed context",
                x -> new WithContext(
                        Coupling.of(x.split(), Masks.halves(D, true), SPLINE, ContractNets.DENSE, 2),
                        x.tensor(new double[] {-0.4, 0.9}, Shape.of(2))),
                VEC,
                -2,
                2));
        c.add(new Case(
                "MAF preset with batch norm",
                x -> Maf.features(D).transforms(3).network(MADE).batchNorm(true).bijector(x),
                VEC,
                -2,
                2));
        c.add(new Case(
                "checkerboard affine coupling",
                x -> Coupling.affine(
                        x, Masks.checkerboard(IMG, false), ContractNets.CONV, CouplingTransform.Scale.TANH),
                IMG,
                -2,
                2));
        c.add(new Case(
                "channel-wise affine coupling",
                x -> Coupling.affine(x, Masks.channelWise(4, true), ContractNets.CONV, CouplingTransform.Scale.SIGMOID),
                IMG4,
                -2,
                2));
        c.add(new Case("squeeze", x -> new Squeeze(), IMG, -2, 2));
        c.add(new Case("reshape image to vector", x -> new Reshape(IMG, Shape.of(32)), IMG, -2, 2));
        c.add(new Case("actnorm on images", x -> new ActNorm(x, 2, 4), IMG, -2, 2));
        c.add(new Case("batch norm on images", x -> new BatchNorm(x, 2, 4), IMG, -2, 2));
        c.add(new Case("1x1 conv plain on images", x -> InvertibleConv1x1.plain(x, 4), IMG4, -2, 2));
        c.add(new Case("1x1 conv LU on images", x -> InvertibleConv1x1.lu(x, 4), IMG4, -2, 2));
        c.add(new Case("multi-scale with split prior", BijectorSuite::multiScale, IMG, -2, 2));
        c.add(new Case(
                "chain of every image bijector",
                x -> Chain.of(
                        new Logit(0.05),
                        new ActNorm(x, 2, 4),
                        Coupling.affine(
                                x, Masks.checkerboard(IMG, true), ContractNets.CONV, CouplingTransform.Scale.EXP),
                        new BatchNorm(x, 2, 4),
                        new Squeeze(),
                        InvertibleConv1x1.plain(x, 8),
                        Coupling.additive(x, Masks.channelWise(8, false), ContractNets.CONV),
                        new Inverse(new Squeeze())),
                IMG,
                0.01,
                0.99));
        return c;
    }

    /** MADEs for the contract: smooth (tanh) and random, like {@link ContractNets#DENSE}. */
    private static final Made.Spec MADE =
            Made.hidden(12).activation(Activation.TANH).zeroInitLast(false);

    /** A spline whose interval [-1.5, 1.5] leaves part of the inputs in [-2, 2] in the linear tails. */
    private static final RationalQuadraticSpline SPLINE =
            RationalQuadraticSpline.builder().bins(5).bound(1.5).build();

    /** A conditional bijector with its context fixed ({@code [c]}, broadcast to every batch). */
    private static final class WithContext implements Bijector {
        private final Bijector inner;
        private final Tensor context;

        WithContext(Bijector inner, Tensor context) {
            this.inner = inner;
            this.context = context;
        }

        @Override
        public Transformed forward(Tensor x) {
            return inner.forward(x, context);
        }

        @Override
        public Transformed inverse(Tensor z) {
            return inner.inverse(z, context);
        }

        @Override
        public java.util.Map<String, Parameter> variables() {
            return inner.variables();
        }
    }

    private static Bijector multiScale(BuildContext x) {
        Bijector level0 = Chain.of(
                new Squeeze(),
                new ActNorm(x, 8, 4),
                InvertibleConv1x1.lu(x, 8),
                Coupling.affine(x, Masks.channelWise(8, false), ContractNets.CONV, CouplingTransform.Scale.SIGMOID));
        Bijector level1 = Chain.of(
                new Squeeze(),
                Coupling.affine(x, Masks.channelWise(16, true), ContractNets.CONV, CouplingTransform.Scale.TANH),
                new ElementwiseAffine(x, Shape.of(16, 1, 1)));
        return new MultiScale(
                IMG,
                List.of(
                        new MultiScale.Level(
                                level0, Shape.of(8, 2, 2), new SplitPrior(ContractNets.CONV.create(x, 4, 8))),
                        new MultiScale.Level(level1, Shape.of(16, 1, 1), null)));
    }

    /** Builds on the target, initializes on a batch, perturbs parameters and running statistics, evaluation mode. */
    private Bijector prepared(Backend backend, Case c, long salt) {
        RandomSource r = RandomSource.seeded(seed + salt);
        Bijector b = c.build().apply(BuildContext.of(backend, DType.FLOAT64, r));
        b.initialize(input(backend, c, 32, RandomSource.seeded(seed + salt + 1)));
        b.setTraining(false);
        for (var e : b.variables().entrySet()) {
            Parameter p = e.getValue();
            Tensor noise = r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.2);
            if (p.trainable() || e.getKey().endsWith("runningMean")) {
                p.set(p.value().add(noise));
            } else if (e.getKey().endsWith("runningVar")) {
                p.set(p.value().mul(noise.exp()));
            }
        }
        return b;
    }

    private static Tensor input(Backend backend, Case c, int n, RandomSource r) {
        return r.uniform(backend, DType.FLOAT64, Events.batchShape(n, c.event()), c.low(), c.high());
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void roundTrip(Case c) {
        Backend backend = session.target();
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(backend, c, 11);
            Tensor x = input(backend, c, 17, RandomSource.seeded(seed + 5));
            Transformed fwd = b.forward(x);
            check(
                    Shape.of(17).equals(fwd.logDet().shape()),
                    "forward log-det has shape " + fwd.logDet().shape());
            Transformed inv = b.inverse(fwd.value());
            check(
                    Shape.of(17).equals(inv.logDet().shape()),
                    "inverse log-det has shape " + inv.logDet().shape());
            close("inverse(forward(x)) == x", inv.value().toDoubleArray(), x.toDoubleArray(), 1e-9);
            close(
                    "inverse log-det at f(x) == -forward log-det at x",
                    inv.logDet().toDoubleArray(),
                    fwd.logDet().neg().toDoubleArray(),
                    1e-9);
            check(
                    !x.shape().equals(fwd.value().shape()) || differs(x, fwd.value()),
                    c.name() + " is still the identity after perturbation: the check would prove nothing");
        }
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void jacobian(Case c) {
        Backend backend = session.target();
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(backend, c, 12);
            Tensor x = input(backend, c, 3, RandomSource.seeded(seed + 6));
            Transformed fwd = b.forward(x);
            close(
                    "forward log-det vs numeric Jacobian",
                    fwd.logDet().toDoubleArray(),
                    numericLogAbsDet(backend, b::forward, x),
                    1e-6);
            Tensor z = fwd.value();
            close(
                    "inverse log-det vs numeric Jacobian",
                    b.inverse(z).logDet().toDoubleArray(),
                    numericLogAbsDet(backend, b::inverse, z),
                    1e-6);
        }
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void batches(Case c) {
        Backend backend = session.target();
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(backend, c, 13);
            Tensor x = input(backend, c, 17, RandomSource.seeded(seed + 7));
            Transformed full = b.forward(x);
            for (int n : new int[] {1, 2}) {
                Transformed part = b.forward(x.slice(0, 0, n));
                close(
                        "outputs for a batch of " + n,
                        part.value().toDoubleArray(),
                        full.value().slice(0, 0, n).toDoubleArray(),
                        1e-12);
                close(
                        "log-dets for a batch of " + n,
                        part.logDet().toDoubleArray(),
                        full.logDet().slice(0, 0, n).toDoubleArray(),
                        1e-12);
            }
        }
    }

    private static boolean differs(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double diff = 0;
        for (int i = 0; i < x.length; i++) {
            diff += Math.abs(x[i] - y[i]);
        }
        return diff > 1e-6;
    }

    /** log|det J| per sample by central differences, column {@code j} of every sample's Jacobian at once. */
    private static double[] numericLogAbsDet(Backend backend, Function<Tensor, Transformed> f, Tensor x) {
        int n = x.shape().dim(0);
        int d = x.size() / n;
        double[] base = x.toDoubleArray();
        double[][] jac = new double[n][d * d];
        double h = 1e-5;
        for (int j = 0; j < d; j++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            for (int s = 0; s < n; s++) {
                plus[s * d + j] += h;
                minus[s * d + j] -= h;
            }
            double[] yp = f.apply(Tensor.of(backend, DType.FLOAT64, plus, x.shape()))
                    .value()
                    .toDoubleArray();
            double[] ym = f.apply(Tensor.of(backend, DType.FLOAT64, minus, x.shape()))
                    .value()
                    .toDoubleArray();
            check(
                    yp.length == n * d,
                    "the map changes the number of elements per sample: " + d + " to " + yp.length / n);
            for (int s = 0; s < n; s++) {
                for (int i = 0; i < d; i++) {
                    jac[s][i * d + j] = (yp[s * d + i] - ym[s * d + i]) / (2 * h);
                }
            }
        }
        double[] out = new double[n];
        for (int s = 0; s < n; s++) {
            out[s] = logAbsDet(jac[s], d);
        }
        return out;
    }

    /** log|det A| by LU with partial pivoting. */
    static double logAbsDet(double[] a, int n) {
        double[] m = a.clone();
        double sum = 0;
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) {
                if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) {
                    p = i;
                }
            }
            for (int j = 0; j < n; j++) {
                double t = m[k * n + j];
                m[k * n + j] = m[p * n + j];
                m[p * n + j] = t;
            }
            double pivot = m[k * n + k];
            sum += Math.log(Math.abs(pivot));
            for (int i = k + 1; i < n; i++) {
                double factor = m[i * n + k] / pivot;
                for (int j = k; j < n; j++) {
                    m[i * n + j] -= factor * m[k * n + j];
                }
            }
        }
        return sum;
    }

    private static void close(String what, double[] actual, double[] expected, double rtol) {
        new Tolerance(rtol, rtol, "bijector contract").assertAllclose(what, actual, expected);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
