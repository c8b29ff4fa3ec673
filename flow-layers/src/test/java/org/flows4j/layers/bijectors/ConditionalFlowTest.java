package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.distributions.ConditionalGaussian;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Made;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.optim.Adam;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Conditional flows: densities that depend on the context and stay normalized, and one that learns to. */
@SuppressWarnings("try") // scopes opened for their close()
class ConditionalFlowTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static BuildContext ctx(DType dtype, long seed) {
        return BuildContext.of(backend, dtype, RandomSource.seeded(seed));
    }

    /** A conditional MAF, a conditional spline coupling and a context-dependent base, over 2-D. */
    private static Flow conditional(long seed) {
        BuildContext c = ctx(DType.FLOAT64, seed);
        Bijector maf = Maf.features(2)
                .transforms(2)
                .network(Made.hidden(16))
                .context(2)
                .bijector(c.split());
        Bijector coupling = Coupling.of(
                c.split(),
                Masks.halves(2, true),
                RationalQuadraticSpline.builder().bins(4).bound(4).build(),
                Mlp.hidden(16),
                2);
        Flow flow = new Flow(Chain.of(maf, coupling), ConditionalGaussian.linear(c, 2, 2, 2));
        RandomSource r = RandomSource.seeded(seed + 1);
        for (Parameter p : flow.parameters().values()) {
            p.set(p.value().add(r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.25)));
        }
        return flow;
    }

    /**
     * {@code sum p(x | c) dA} over a 400 x 400 midpoint grid on {@code [-6, 6]^2} is 1 within 2%
     * for two contexts, and the two densities differ. (Midpoint rule, cell 0.03: its error for
     * densities this smooth is far below 1%; the mass beyond [-6, 6]^2 of these mildly perturbed
     * flows is negligible.)
     */
    @Test
    void twoContextsGiveDifferentNormalizedDensities() {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Flow flow = conditional(3);
            int n = 400;
            double cell = 12.0 / n;
            double[] grid = new double[n * n * 2];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    grid[2 * (i * n + j)] = -6 + (i + 0.5) * cell;
                    grid[2 * (i * n + j) + 1] = -6 + (j + 0.5) * cell;
                }
            }
            Tensor x = Tensor.of(backend, grid, n * n, 2);
            double[][] densities = new double[2][];
            double[][] contexts = {{1, 0}, {0, 1}};
            for (int k = 0; k < 2; k++) {
                double[] logp =
                        flow.logProb(x, Tensor.of(backend, contexts[k], 2)).toDoubleArray();
                double mass = 0;
                for (int i = 0; i < logp.length; i++) {
                    logp[i] = Math.exp(logp[i]);
                    mass += logp[i] * cell * cell;
                }
                assertEquals(1.0, mass, 0.02, "mass of p(x | c = " + java.util.Arrays.toString(contexts[k]) + ")");
                densities[k] = logp;
            }
            double l1 = 0;
            for (int i = 0; i < densities[0].length; i++) {
                l1 += Math.abs(densities[0][i] - densities[1][i]) * cell * cell;
            }
            assertTrue(l1 > 0.05, "the two contexts give nearly the same density: L1 distance " + l1);
        }
    }

    @Test
    void aContextOfShapeCBroadcastsAndOneOfNCGivesOnePerSample() {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Flow flow = conditional(5);
            Tensor x = Tensor.of(backend, new double[] {0.1, 0.2, -0.3, 0.4, 1.0, -1.0}, 3, 2);
            double[] shared =
                    flow.logProb(x, Tensor.of(backend, new double[] {1, 0}, 2)).toDoubleArray();
            double[] rows = flow.logProb(x, Tensor.of(backend, new double[] {1, 0, 1, 0, 1, 0}, 3, 2))
                    .toDoubleArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(shared[i], rows[i], 1e-12);
            }
            Tensor s = flow.sample(4, Tensor.of(backend, new double[] {0, 1}, 2), RandomSource.seeded(1));
            assertEquals(Shape.of(4, 2), s.shape());
            assertTrue(assertThrows(
                            IllegalArgumentException.class,
                            () -> flow.logProb(x, Tensor.of(backend, new double[] {1, 0, 1, 0}, 2, 2)))
                    .getMessage()
                    .contains("context"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> flow.logProb(x))
                    .getMessage()
                    .contains("context"));
        }
    }

    /**
     * Trained on two modes selected by a one-hot {@code c} (centres (-2.5, 1) and (2.5, -1),
     * standard deviation 0.3), a conditional MAF's samples for each {@code c} average within 0.2
     * of that mode's centre. Deterministic: fixed seeds, float64 on cpu.
     */
    @Test
    void aConditionalModelLearnsWhichModeTheContextSelects() {
        double[][] centres = {{-2.5, 1}, {2.5, -1}};
        Flow flow = Maf.features(2)
                .transforms(3)
                .network(Made.hidden(32, 32))
                .context(2)
                .build(ctx(DType.FLOAT64, 11));
        Adam adam = Adam.builder().learningRate(5e-3).create(flow.parameters());
        RandomSource data = RandomSource.seeded(12);
        int batch = 128;
        for (int step = 0; step < 300; step++) {
            try (MemoryScope scope = MemoryScope.open()) {
                double[] xs = new double[batch * 2];
                double[] cs = new double[batch * 2];
                double[] noise = data.normal(batch * 2);
                for (int i = 0; i < batch; i++) {
                    int mode = i % 2;
                    cs[2 * i + mode] = 1;
                    xs[2 * i] = centres[mode][0] + 0.3 * noise[2 * i];
                    xs[2 * i + 1] = centres[mode][1] + 0.3 * noise[2 * i + 1];
                }
                Tensor loss = flow.logProb(Tensor.of(backend, xs, batch, 2), Tensor.of(backend, cs, batch, 2))
                        .mean()
                        .neg();
                adam.minimize(loss);
            }
        }
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int mode = 0; mode < 2; mode++) {
                double[] c = new double[2];
                c[mode] = 1;
                double[] s = flow.sample(2000, Tensor.of(backend, c, 2), RandomSource.seeded(13 + mode))
                        .mean(0)
                        .toDoubleArray();
                assertEquals(centres[mode][0], s[0], 0.2, "mean x of mode " + mode);
                assertEquals(centres[mode][1], s[1], 0.2, "mean y of mode " + mode);
            }
        }
    }

    @Test
    void unconditionalPartsIgnoreTheContext() {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            BuildContext c = ctx(DType.FLOAT64, 1);
            Flow flow = new Flow(Chain.of(Permutation.reverse(2)), new StandardNormal(c, Shape.of(2)));
            Tensor x = Tensor.of(backend, new double[] {0.5, -0.5}, 1, 2);
            assertEquals(
                    flow.logProb(x).item(),
                    flow.logProb(x, Tensor.of(backend, new double[] {3}, 1)).item(),
                    0);
            assertEquals(List.of(), List.copyOf(flow.parameters().keySet()));
        }
    }
}
