package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bijector contract of DESIGN.md, for every bijector and for chains of all of them, in
 * float64, with parameters perturbed away from their (often identity) initial values:
 * round trip, forward log-det equal to minus the inverse log-det, log-det equal to
 * {@code log|det J|} of a central-difference Jacobian in both directions, and batch sizes 1,
 * 2 and 17 agreeing sample by sample.
 *
 * <p>Tolerances: the round trip and the log-det identity involve only rounding (1e-9 is a
 * million ulps of O(1) values, room for the exp/log chains of deep compositions). The
 * numeric Jacobian uses central differences with h = 1e-5: truncation error O(h^2 f''') is
 * about 1e-10 per entry for these smooth maps, so log|det| agrees to 1e-6.
 */
@SuppressWarnings("try") // scopes opened only for their close()
class BijectorContractTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** One case: a name, how to build the bijector, the event shape and the input range. */
    record Case(String name, Function<RandomSource, Bijector> build, Shape event, double low, double high) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final int D = 6;
    private static final Shape VEC = Shape.of(D);
    private static final Shape IMG = Shape.of(2, 4, 4);
    private static final Shape IMG4 = Shape.of(4, 4, 4);

    static Stream<Arguments> cases() {
        List<Case> c = new ArrayList<>();
        CouplingTransform additive = new CouplingTransform.Additive();
        for (CouplingTransform.Scale s : CouplingTransform.Scale.values()) {
            c.add(new Case("affine coupling " + s + " halves", r -> new Coupling(Masks.halves(D, false),
                    TestNets.dense(backend, 3, 6, r), new CouplingTransform.Affine(s)), VEC, -2, 2));
        }
        c.add(new Case("additive coupling odd/even", r -> new Coupling(Masks.oddEven(D, true),
                TestNets.dense(backend, 3, 3, r), additive), VEC, -2, 2));
        c.add(new Case("affine coupling odd/even", r -> new Coupling(Masks.oddEven(D, false),
                TestNets.dense(backend, 3, 6, r), new CouplingTransform.Affine(CouplingTransform.Scale.TANH)), VEC, -2, 2));
        c.add(new Case("diagonal scaling", r -> new DiagonalScaling(backend, DType.FLOAT64, VEC), VEC, -2, 2));
        c.add(new Case("reverse permutation", r -> Permutation.reverse(D), VEC, -2, 2));
        c.add(new Case("random permutation", r -> Permutation.random(D, r), VEC, -2, 2));
        c.add(new Case("batch norm (evaluation)", r -> new BatchNorm(backend, DType.FLOAT64, D, 2), VEC, -2, 2));
        c.add(new Case("actnorm on vectors", r -> new ActNorm(backend, DType.FLOAT64, D, 2), VEC, -2, 2));
        c.add(new Case("1x1 conv plain on vectors", r -> InvertibleConv1x1.plain(backend, DType.FLOAT64, D, r), VEC, -2, 2));
        c.add(new Case("1x1 conv LU on vectors", r -> InvertibleConv1x1.lu(backend, DType.FLOAT64, D, r), VEC, -2, 2));
        c.add(new Case("elementwise affine", r -> new ElementwiseAffine(backend, DType.FLOAT64, VEC), VEC, -2, 2));
        c.add(new Case("scale 1/256", r -> new Scale(1.0 / 256), VEC, 0, 256));
        c.add(new Case("logit alpha 0.05", r -> new Logit(0.05), VEC, 0.01, 0.99));
        c.add(new Case("inverse of an affine coupling", r -> new Inverse(new Coupling(Masks.halves(D, true),
                TestNets.dense(backend, 3, 6, r), new CouplingTransform.Affine(CouplingTransform.Scale.EXP))), VEC, -2, 2));
        c.add(new Case("chain of every vector bijector", r -> Chain.of(
                new Logit(0.05),
                new ActNorm(backend, DType.FLOAT64, D, 2),
                new Coupling(Masks.oddEven(D, false), TestNets.dense(backend, 3, 3, r), additive),
                new Coupling(Masks.halves(D, true), TestNets.dense(backend, 3, 6, r),
                        new CouplingTransform.Affine(CouplingTransform.Scale.SIGMOID)),
                Permutation.random(D, r),
                new BatchNorm(backend, DType.FLOAT64, D, 2),
                InvertibleConv1x1.lu(backend, DType.FLOAT64, D, r),
                InvertibleConv1x1.plain(backend, DType.FLOAT64, D, r),
                new DiagonalScaling(backend, DType.FLOAT64, VEC),
                new ElementwiseAffine(backend, DType.FLOAT64, VEC),
                new Scale(3.0)), VEC, 0.01, 0.99));
        c.add(new Case("checkerboard affine coupling", r -> new Coupling(Masks.checkerboard(IMG, false),
                TestNets.conv(backend, 2, 4, r), new CouplingTransform.Affine(CouplingTransform.Scale.TANH)), IMG, -2, 2));
        c.add(new Case("channel-wise affine coupling", r -> new Coupling(Masks.channelWise(4, true),
                TestNets.conv(backend, 2, 4, r), new CouplingTransform.Affine(CouplingTransform.Scale.SIGMOID)), IMG4, -2, 2));
        c.add(new Case("squeeze", r -> new Squeeze(), IMG, -2, 2));
        c.add(new Case("actnorm on images", r -> new ActNorm(backend, DType.FLOAT64, 2, 4), IMG, -2, 2));
        c.add(new Case("batch norm on images", r -> new BatchNorm(backend, DType.FLOAT64, 2, 4), IMG, -2, 2));
        c.add(new Case("1x1 conv plain on images", r -> InvertibleConv1x1.plain(backend, DType.FLOAT64, 4, r), IMG4, -2, 2));
        c.add(new Case("1x1 conv LU on images", r -> InvertibleConv1x1.lu(backend, DType.FLOAT64, 4, r), IMG4, -2, 2));
        c.add(new Case("multi-scale with split prior", BijectorContractTest::multiScale, IMG, -2, 2));
        c.add(new Case("chain of every image bijector", r -> Chain.of(
                new Logit(0.05),
                new ActNorm(backend, DType.FLOAT64, 2, 4),
                new Coupling(Masks.checkerboard(IMG, true), TestNets.conv(backend, 2, 4, r),
                        new CouplingTransform.Affine(CouplingTransform.Scale.EXP)),
                new BatchNorm(backend, DType.FLOAT64, 2, 4),
                new Squeeze(),
                InvertibleConv1x1.plain(backend, DType.FLOAT64, 8, r),
                new Coupling(Masks.channelWise(8, false), TestNets.conv(backend, 4, 4, r), additive),
                new Inverse(new Squeeze())), IMG, 0.01, 0.99));
        c.add(new Case("reshape image to vector", r -> new Reshape(IMG, Shape.of(32)), IMG, -2, 2));
        return c.stream().map(Arguments::of);
    }

    private static Bijector multiScale(RandomSource r) {
        Bijector level0 = Chain.of(new Squeeze(), new ActNorm(backend, DType.FLOAT64, 8, 4),
                InvertibleConv1x1.lu(backend, DType.FLOAT64, 8, r),
                new Coupling(Masks.channelWise(8, false), TestNets.conv(backend, 4, 8, r),
                        new CouplingTransform.Affine(CouplingTransform.Scale.SIGMOID)));
        Bijector level1 = Chain.of(new Squeeze(),
                new Coupling(Masks.channelWise(16, true), TestNets.conv(backend, 8, 16, r),
                        new CouplingTransform.Affine(CouplingTransform.Scale.TANH)),
                new ElementwiseAffine(backend, DType.FLOAT64, Shape.of(16, 1, 1)));
        return new MultiScale(IMG, List.of(
                new MultiScale.Level(level0, Shape.of(8, 2, 2), new SplitPrior(TestNets.conv(backend, 4, 8, r))),
                new MultiScale.Level(level1, Shape.of(16, 1, 1), null)));
    }

    /** Builds, initializes on a batch, perturbs every trainable parameter and running statistic, and switches to evaluation. */
    private static Bijector prepared(Case c, long seed) {
        RandomSource r = RandomSource.seeded(seed);
        Bijector b = c.build().apply(r);
        b.initialize(input(c, 32, RandomSource.seeded(seed + 1)));
        b.setTraining(false);
        for (var e : b.variables().entrySet()) {
            Parameter p = e.getValue();
            String name = e.getKey();
            Tensor noise = r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.2);
            if (p.trainable()) {
                p.set(p.value().add(noise));
            } else if (name.endsWith("runningMean")) {
                p.set(p.value().add(noise));
            } else if (name.endsWith("runningVar")) {
                p.set(p.value().mul(noise.exp()));
            }
        }
        return b;
    }

    private static Tensor input(Case c, int n, RandomSource r) {
        return r.uniform(backend, DType.FLOAT64, Events.batchShape(n, c.event()), c.low(), c.high());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void roundTripAndInverseLogDet(Case c) {
        try (MemoryScope scope = MemoryScope.open(); Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(c, 11);
            Tensor x = input(c, 17, RandomSource.seeded(5));
            Transformed fwd = b.forward(x);
            assertEquals(Shape.of(17), fwd.logDet().shape(), "forward log-det is per sample");
            Transformed inv = b.inverse(fwd.value());
            assertEquals(Shape.of(17), inv.logDet().shape(), "inverse log-det is per sample");
            assertClose(x.toDoubleArray(), inv.value().toDoubleArray(), 1e-9, "inverse(forward(x)) == x");
            assertClose(fwd.logDet().neg().toDoubleArray(), inv.logDet().toDoubleArray(), 1e-9,
                    "inverse log-det at f(x) == -forward log-det at x");
            assertTrue(nonTrivial(x, fwd), c + " should not be the identity after perturbation");
        }
    }

    private static boolean nonTrivial(Tensor x, Transformed fwd) {
        double[] a = x.toDoubleArray();
        double[] z = fwd.value().toDoubleArray();
        if (a.length != z.length || !x.shape().equals(fwd.value().shape())) {
            return true; // a change of shape is not the identity either
        }
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff += Math.abs(a[i] - z[i]);
        }
        return diff > 1e-6;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logDetMatchesTheNumericJacobianInBothDirections(Case c) {
        try (MemoryScope scope = MemoryScope.open(); Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(c, 12);
            Tensor x = input(c, 3, RandomSource.seeded(6));
            Transformed fwd = b.forward(x);
            assertClose(numericLogAbsDet(b::forward, x), fwd.logDet().toDoubleArray(), 1e-6,
                    "forward log-det vs numeric Jacobian");
            Tensor z = fwd.value();
            assertClose(numericLogAbsDet(b::inverse, z), b.inverse(z).logDet().toDoubleArray(), 1e-6,
                    "inverse log-det vs numeric Jacobian");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void batchSizesAgreeSampleBySample(Case c) {
        try (MemoryScope scope = MemoryScope.open(); Autodiff.NoGrad off = Autodiff.noGrad()) {
            Bijector b = prepared(c, 13);
            Tensor x = input(c, 17, RandomSource.seeded(7));
            Transformed full = b.forward(x);
            for (int n : new int[] {1, 2}) {
                Transformed part = b.forward(x.slice(0, 0, n));
                assertClose(full.value().slice(0, 0, n).toDoubleArray(), part.value().toDoubleArray(), 1e-12,
                        "outputs for batch " + n);
                assertClose(full.logDet().slice(0, 0, n).toDoubleArray(), part.logDet().toDoubleArray(), 1e-12,
                        "log-dets for batch " + n);
            }
        }
    }

    /**
     * log|det J| per sample by central differences: column d of every sample's Jacobian at
     * once, since samples are independent.
     */
    private static double[] numericLogAbsDet(Function<Tensor, Transformed> f, Tensor x) {
        int n = x.shape().dim(0);
        int d = x.size() / n;
        double[] base = x.toDoubleArray();
        double[][] jac = new double[n][d * d]; // per sample, row-major [output][input]
        double h = 1e-5;
        for (int j = 0; j < d; j++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            for (int s = 0; s < n; s++) {
                plus[s * d + j] += h;
                minus[s * d + j] -= h;
            }
            double[] yp = f.apply(Tensor.of(backend, DType.FLOAT64, plus, x.shape())).value().toDoubleArray();
            double[] ym = f.apply(Tensor.of(backend, DType.FLOAT64, minus, x.shape())).value().toDoubleArray();
            if (yp.length != n * d) {
                fail("the map changes the number of elements per sample: " + d + " -> " + yp.length / n);
            }
            for (int s = 0; s < n; s++) {
                for (int i = 0; i < d; i++) {
                    jac[s][i * d + j] = (yp[s * d + i] - ym[s * d + i]) / (2 * h);
                }
            }
        }
        double[] out = new double[n];
        for (int s = 0; s < n; s++) {
            out[s] = HostLinearAlgebra.lu(jac[s], d).logAbsDet();
        }
        return out;
    }

    private static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        for (int i = 0; i < expected.length; i++) {
            double bound = tol * (1 + Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= bound)) {
                fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
                        + " (|diff| " + Math.abs(expected[i] - actual[i]) + " > " + bound + ")");
            }
        }
    }
}
