package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A flow as a whole: likelihood, sampling, initialization, gradients, concurrency. */
@SuppressWarnings("try") // scopes opened only for their close()
class FlowTest {

    private static Backend backend;
    private static final int D = 4;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A smooth conditioner (tanh, so finite differences never straddle a kink), randomly initialized. */
    private static final Mlp.Spec NET =
            Mlp.hidden(8).activation(Activation.TANH).zeroInitLast(false);

    private static BuildContext ctx(RandomSource r) {
        return BuildContext.of(backend, DType.FLOAT64, r);
    }

    private static Flow smallFlow(long seed) {
        RandomSource r = RandomSource.seeded(seed);
        BuildContext ctx = ctx(r);
        Chain chain = Chain.of(
                new ActNorm(ctx, D, 2),
                Coupling.affine(ctx.split(), Masks.halves(D, false), NET, CouplingTransform.Scale.TANH),
                InvertibleConv1x1.lu(ctx, D),
                Coupling.additive(ctx.split(), Masks.oddEven(D, true), NET),
                new DiagonalScaling(ctx, Shape.of(D)));
        Flow flow = new Flow(chain, new StandardNormal(ctx, Shape.of(D)));
        flow.initialize(data(64, seed + 1));
        for (Parameter p : flow.parameters().values()) {
            p.set(p.value().add(r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.2)));
        }
        return flow;
    }

    private static Tensor data(int n, long seed) {
        return RandomSource.seeded(seed).normal(backend, DType.FLOAT64, Shape.of(n, D), 1.5, 2.0);
    }

    @Test
    void logProbIsBaseLogProbPlusLogDetAndSamplesCarryTheirDensity() {
        try (MemoryScope s = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Flow flow = smallFlow(1);
            Tensor x = data(5, 2);
            var t = flow.bijector().forward(x);
            assertArrayEquals(
                    flow.base().logProb(t.value()).add(t.logDet()).toDoubleArray(),
                    flow.logProb(x).toDoubleArray(),
                    1e-12);
            Flow.Sample sample = flow.sampleAndLogProb(7, RandomSource.seeded(3));
            assertArrayEquals(
                    flow.logProb(sample.value()).toDoubleArray(),
                    sample.logProb().toDoubleArray(),
                    1e-9);
            assertArrayEquals(
                    sample.value().toDoubleArray(),
                    flow.sample(7, RandomSource.seeded(3)).toDoubleArray(),
                    1e-12,
                    "the same seed draws the same samples");
            assertArrayEquals(x.toDoubleArray(), flow.decode(flow.encode(x)).toDoubleArray(), 1e-9);
            Tensor zero = flow.sample(3, RandomSource.seeded(4), 0.0);
            assertArrayEquals(
                    flow.decode(Tensor.zeros(backend, DType.FLOAT64, 3, D)).toDoubleArray(),
                    zero.toDoubleArray(),
                    1e-12,
                    "temperature 0 decodes the latent origin");
        }
    }

    @Test
    void parametersHaveStableHierarchicalNames() {
        Flow flow = smallFlow(1);
        Map<String, Parameter> vars = flow.variables();
        assertTrue(vars.containsKey("bijector.0.bias"), vars.keySet().toString());
        assertTrue(vars.containsKey("bijector.0.initialized"));
        assertTrue(vars.containsKey("bijector.1.net.layers.0.weight"));
        assertTrue(vars.containsKey("bijector.2.logAbsS"));
        assertFalse(flow.parameters().containsKey("bijector.0.initialized"), "state is not trainable");
        assertEquals(
                List.copyOf(vars.keySet()), List.copyOf(smallFlow(2).variables().keySet()));
    }

    @Test
    void usingAFlowBeforeItsDataDependentInitializationFailsClearly() {
        try (MemoryScope s = MemoryScope.open()) {
            BuildContext ctx = ctx(RandomSource.seeded(1));
            Flow flow = new Flow(Chain.of(new ActNorm(ctx, D, 2)), new StandardNormal(ctx, Shape.of(D)));
            assertFalse(flow.isInitialized());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> flow.logProb(data(2, 1)));
            assertTrue(e.getMessage().contains("initialize(batch)"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> flow.sample(2, RandomSource.seeded(1)));
            flow.initialize(data(100, 5));
            assertTrue(flow.isInitialized());
            Tensor z = flow.encode(data(100, 5));
            assertArrayEquals(new double[D], z.mean(0).toDoubleArray(), 1e-12, "actnorm centres the batch");
            double[] var = z.square().mean(0).toDoubleArray();
            for (double v : var) {
                assertEquals(1.0, v, 1e-9, "and gives it unit variance");
            }
        }
    }

    @Test
    void actnormOnOneSampleUsesTheFloorInsteadOfAnInfiniteScale() {
        try (MemoryScope s = MemoryScope.open()) {
            ActNorm a = new ActNorm(ctx(RandomSource.seeded(1)), D, 2);
            a.initialize(data(1, 3));
            double[] logScale = a.variables().get("logScale").value().toDoubleArray();
            for (double v : logScale) {
                assertEquals(-Math.log(ActNorm.MIN_STD), v, 1e-12);
            }
        }
    }

    /** Gradients of the negative log-likelihood against central differences, every parameter element. */
    @Test
    void gradientsOfTheLossMatchFiniteDifferences() {
        try (MemoryScope s = MemoryScope.open()) {
            Flow flow = smallFlow(7);
            Tensor x = data(9, 8);
            Map<String, Parameter> params = flow.parameters();
            List<Tensor> values = params.values().stream().map(Parameter::value).toList();
            List<Tensor> grads = Autodiff.grad(flow.logProb(x).mean().neg(), values);
            int checked = 0;
            int i = 0;
            for (Parameter p : params.values()) {
                double[] g = grads.get(i++).toDoubleArray();
                double[] v = p.value().toDoubleArray();
                for (int k = 0; k < v.length; k++) {
                    double h = 1e-6;
                    double[] plus = v.clone();
                    double[] minus = v.clone();
                    plus[k] += h;
                    minus[k] -= h;
                    double lp = loss(flow, p, plus, x);
                    double lm = loss(flow, p, minus, x);
                    p.set(Tensor.of(backend, DType.FLOAT64, v, p.shape()));
                    assertEquals((lp - lm) / (2 * h), g[k], 1e-6 * (1 + Math.abs(g[k])), "d loss / d param " + k);
                    checked++;
                }
            }
            assertTrue(checked > 50, "checked " + checked + " parameter elements");
        }
    }

    private static double loss(Flow flow, Parameter p, double[] values, Tensor x) {
        p.set(Tensor.of(backend, DType.FLOAT64, values, p.shape()));
        return Autodiff.noGrad(() -> flow.logProb(x).mean().neg().item());
    }

    @Test
    void aCheckpointRoundTripGivesBitIdenticalLogProb(@TempDir java.nio.file.Path dir) {
        try (MemoryScope s = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Flow trained = smallFlow(21);
            Tensor x = data(11, 22);
            double[] expected = trained.logProb(x).toDoubleArray();
            java.nio.file.Path file = dir.resolve("flow.safetensors");
            Checkpoints.save(file, trained, null, CheckpointMetadata.of("test:small", DType.FLOAT64));
            Flow fresh = new Flow(
                    Chain.of(
                            new ActNorm(ctx(RandomSource.seeded(1)), D, 2),
                            Coupling.affine(
                                    ctx(RandomSource.seeded(99)).split(),
                                    Masks.halves(D, false),
                                    NET,
                                    CouplingTransform.Scale.TANH),
                            InvertibleConv1x1.lu(ctx(RandomSource.seeded(98)), D),
                            Coupling.additive(ctx(RandomSource.seeded(97)).split(), Masks.oddEven(D, true), NET),
                            new DiagonalScaling(ctx(RandomSource.seeded(1)), Shape.of(D))),
                    new StandardNormal(ctx(RandomSource.seeded(1)), Shape.of(D)));
            assertFalse(fresh.isInitialized());
            Checkpoints.load(file, fresh, null);
            assertTrue(fresh.isInitialized(), "actnorm's initialized state travels with the checkpoint");
            double[] actual = fresh.logProb(x).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(
                        Double.doubleToRawLongBits(expected[i]),
                        Double.doubleToRawLongBits(actual[i]),
                        "sample " + i + ": " + expected[i] + " vs " + actual[i]);
            }
        }
    }

    @Test
    void concurrentLogProbFromFourThreadsGivesTheSingleThreadAnswer() throws Exception {
        Flow flow = smallFlow(4);
        Tensor x = data(33, 9).unscoped();
        double[] expected = Autodiff.noGrad(() -> flow.logProb(x).toDoubleArray());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                results.add(pool.submit(() -> {
                    try (MemoryScope s = MemoryScope.open()) {
                        return Autodiff.noGrad(() -> flow.logProb(x).toDoubleArray());
                    }
                }));
            }
            for (Future<double[]> f : results) {
                assertArrayEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
