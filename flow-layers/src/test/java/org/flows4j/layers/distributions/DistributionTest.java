package org.flows4j.layers.distributions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each base distribution is a density (it integrates to 1, checked by the midpoint rule on
 * a grid wide enough that the tails hold less than 1e-9 of the mass) and its sampler draws
 * from it (moments of 100k draws within about 5 standard errors).
 */
@SuppressWarnings("try") // scopes opened only for their close()
class DistributionTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A distribution over events of {@code shape}, with its variance per component at temperature 1. */
    record Kind(String name, Function<Shape, Distribution> build, double variance) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of(new Kind(
                        "standard normal",
                        s -> new StandardNormal(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), s),
                        1)),
                Arguments.of(new Kind(
                        "standard logistic",
                        s -> new StandardLogistic(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), s),
                        Math.PI * Math.PI / 3)),
                Arguments.of(new Kind("learned diagonal Gaussian (perturbed)", s -> perturbed(s), Double.NaN)));
    }

    private static DiagonalGaussian perturbed(Shape s) {
        DiagonalGaussian g = new DiagonalGaussian(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), s);
        RandomSource r = RandomSource.seeded(3);
        for (Parameter p : g.parameters().values()) {
            p.set(p.value().add(r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.3)));
        }
        return g;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void integratesToOneIn1D(Kind kind) {
        try (MemoryScope s = MemoryScope.open()) {
            Distribution d = kind.build().apply(Shape.of(1));
            int n = 40_001;
            double lo = -30;
            double step = 60.0 / (n - 1);
            double[] grid = new double[n];
            for (int i = 0; i < n; i++) {
                grid[i] = lo + i * step;
            }
            double[] lp = d.logProb(Tensor.of(backend, grid, n, 1)).toDoubleArray();
            double mass = 0;
            for (double v : lp) {
                mass += Math.exp(v) * step;
            }
            assertEquals(1.0, mass, 1e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void integratesToOneIn2D(Kind kind) {
        try (MemoryScope s = MemoryScope.open()) {
            Distribution d = kind.build().apply(Shape.of(2));
            int n = 601;
            double lo = -25;
            double step = 50.0 / (n - 1);
            double[] grid = new double[2 * n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    grid[2 * (i * n + j)] = lo + i * step;
                    grid[2 * (i * n + j) + 1] = lo + j * step;
                }
            }
            double[] lp = d.logProb(Tensor.of(backend, grid, n * n, 2)).toDoubleArray();
            double mass = 0;
            for (double v : lp) {
                mass += Math.exp(v) * step * step;
            }
            assertEquals(1.0, mass, 1e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void samplesHaveTheRightMomentsAndTemperatureScalesTheSpread(Kind kind) {
        try (MemoryScope s = MemoryScope.open()) {
            Distribution d = kind.build().apply(Shape.of(1));
            int n = 100_000;
            double[] x1 = d.sample(n, RandomSource.seeded(9), 1.0).toDoubleArray();
            double[] xHalf = d.sample(n, RandomSource.seeded(9), 0.5).toDoubleArray();
            double mean = mean(x1);
            double var = variance(x1);
            if (d instanceof DiagonalGaussian g) {
                double mu = g.variables().get("mean").value().item();
                double sigma = Math.exp(g.variables().get("logScale").value().item());
                assertEquals(mu, mean, 5 * sigma / Math.sqrt(n));
                assertEquals(sigma * sigma, var, 0.02 * sigma * sigma);
            } else {
                assertEquals(0, mean, 5 * Math.sqrt(kind.variance() / n));
                assertEquals(kind.variance(), var, 0.03 * kind.variance());
            }
            assertEquals(0.25, variance(xHalf) / var, 0.01, "temperature 0.5 quarters the variance");
        }
    }

    @Test
    void logisticIsStableInTheTails() {
        try (MemoryScope s = MemoryScope.open()) {
            StandardLogistic d =
                    new StandardLogistic(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), Shape.of(1));
            double[] lp = d.logProb(Tensor.of(backend, new double[] {-800, 800, 0}, 3, 1))
                    .toDoubleArray();
            assertEquals(-800, lp[0], 1e-9, "log p(h) ~ -|h| for large |h|, without overflow");
            assertEquals(-800, lp[1], 1e-9);
            assertEquals(-2 * Math.log(2), lp[2], 1e-15);
        }
    }

    @Test
    void badInputsSayWhatIsWrong() {
        try (MemoryScope s = MemoryScope.open()) {
            StandardNormal d =
                    new StandardNormal(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), Shape.of(3));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> d.logProb(Tensor.zeros(backend, DType.FLOAT64, 4, 2)));
            assertEquals(
                    "StandardNormal.logProb: input of shape [4, 2] is not a batch of events of shape [3]",
                    e.getMessage());
            IllegalArgumentException t =
                    assertThrows(IllegalArgumentException.class, () -> d.sample(2, RandomSource.seeded(1), -1));
            assertTrue(t.getMessage().contains("temperature"), t.getMessage());
            assertEquals(Shape.of(0, 3), d.sample(0, RandomSource.seeded(1), 1).shape());
        }
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double variance(double[] x) {
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return s / (x.length - 1);
    }
}
