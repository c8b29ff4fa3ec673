package org.flows4j.layers.optim;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.flows4j.layers.optim.AdamTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SgdTest {

    private static final double[] CURVATURE = {0.5, 2, 8, 0.1};

    /** SGD on the host in float64, straight from the formula in Sgd's Javadoc. */
    private static double[] referenceSgd(double[] p0, double lr, double mu, boolean nesterov, double wd, int steps) {
        double[] p = p0.clone();
        double[] b = new double[p.length];
        for (int t = 0; t < steps; t++) {
            double[] g = OptimTesting.quadraticGradient(p, CURVATURE);
            for (int i = 0; i < p.length; i++) {
                double gg = g[i] + wd * p[i];
                b[i] = mu * b[i] + gg;
                double d = mu == 0 ? gg : nesterov ? gg + mu * b[i] : b[i];
                p[i] -= lr * d;
            }
        }
        return p;
    }

    @Test
    void plain_step_is_p_minus_lr_g() {
        try (Backend backend = Backends.create("cpu")) {
            Parameter p = OptimTesting.parameter(backend, DType.FLOAT64, 1, -2, 0.5);
            Sgd sgd =
                    Sgd.builder().schedule(LearningRateSchedule.constant(0.25)).create(Map.of("w", p));
            sgd.step(OptimTesting.gradients(backend, DType.FLOAT64, Map.of("w", new double[] {4, -1, 2})));
            assertArrayEquals(new double[] {0, -1.75, 0}, p.value().toDoubleArray());
            assertTrue(sgd.state().isEmpty(), "no momentum, no state");
        }
    }

    @ParameterizedTest
    @CsvSource({"0.0, false, 0.0", "0.9, false, 0.0", "0.9, true, 0.0", "0.5, true, 0.01", "0.0, false, 0.05"})
    void steps_match_the_reference(double mu, boolean nesterov, double wd) {
        try (Backend backend = Backends.create("cpu")) {
            double[] a0 = {3, -2, 1.5, 0};
            double[] b0 = {-1, 4, 0.25, 2};
            Map<String, Parameter> params = OptimTesting.twoParameters(backend, DType.FLOAT64, a0, b0);
            Sgd sgd = Sgd.builder()
                    .schedule(LearningRateSchedule.constant(0.05))
                    .momentum(mu)
                    .nesterov(nesterov)
                    .weightDecay(wd)
                    .create(params);
            for (int s = 0; s < 5; s++) {
                sgd.step(OptimTesting.quadraticGradients(params, CURVATURE));
            }
            // float64 on both sides: a handful of roundings per step
            assertAllClose(
                    referenceSgd(a0, 0.05, mu, nesterov, wd, 5),
                    params.get("a").value().toDoubleArray(),
                    1e-15,
                    1e-13,
                    "a");
            assertAllClose(
                    referenceSgd(b0, 0.05, mu, nesterov, wd, 5),
                    params.get("b").value().toDoubleArray(),
                    1e-15,
                    1e-13,
                    "b");
            assertEquals(5, sgd.steps());
        }
    }

    @Test
    @SuppressWarnings("try") // the scope frees each step's temporaries by being open
    void momentum_minimizes_a_quadratic() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(
                    backend, DType.FLOAT32, new double[] {3, -2, 1.5, 0}, new double[] {-1, 4, 0.25, 2});
            Sgd sgd = Sgd.builder()
                    .schedule(LearningRateSchedule.constant(0.1))
                    .momentum(0.9)
                    .nesterov(true)
                    .weightDecay(0)
                    .create(params);
            for (int s = 0; s < 400; s++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    sgd.step(OptimTesting.quadraticGradients(params, CURVATURE));
                }
            }
            for (Parameter p : params.values()) {
                // the slowest direction (curvature 0.1) contracts by about 0.97 a step: 400 steps leave < 1e-4
                assertAllClose(new double[] {1, 1, 1, 1}, p.value().toDoubleArray(), 1e-3, 0, "minimum");
            }
        }
    }

    @Test
    void state_round_trip_continues_bit_identically() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = RandomSource.seeded(3).uniform(backend, DType.FLOAT32, Shape.of(8, 3), -1, 1);
            Mlp net = Mlp.hidden(6)
                    .activation(Activation.TANH)
                    .zeroInitLast(false)
                    .create(org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)), 3, 2);
            Sgd sgd = Sgd.builder()
                    .schedule(LearningRateSchedule.exponentialDecay(0.1, 0.5, 2))
                    .momentum(0.9)
                    .nesterov(false)
                    .weightDecay(1e-3)
                    .create(net.parameters());
            for (int s = 0; s < 3; s++) {
                AdamTest.step(net, sgd, x);
            }
            Map<String, Tensor> saved = sgd.state();
            assertEquals(
                    List.of(
                            "momentum.layers.0.weight",
                            "momentum.layers.0.bias",
                            "momentum.layers.1.weight",
                            "momentum.layers.1.bias"),
                    List.copyOf(saved.keySet()));
            Map<String, double[]> savedParams = OptimTesting.snapshot(net.parameters());
            for (int s = 0; s < 2; s++) {
                AdamTest.step(net, sgd, x);
            }
            Mlp restored = Mlp.hidden(6)
                    .activation(Activation.TANH)
                    .zeroInitLast(false)
                    .create(org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(7)), 3, 2);
            restored.parameters().forEach((n, p) -> {
                Tensor t = Tensor.of(backend, p.dtype(), savedParams.get(n), p.shape());
                p.set(t);
                t.free();
            });
            Sgd sgd2 = Sgd.builder()
                    .schedule(LearningRateSchedule.exponentialDecay(0.1, 0.5, 2))
                    .momentum(0.9)
                    .nesterov(false)
                    .weightDecay(1e-3)
                    .create(restored.parameters());
            sgd2.loadState(saved, 3);
            for (int s = 0; s < 2; s++) {
                AdamTest.step(restored, sgd2, x);
            }
            net.parameters()
                    .forEach((n, p) -> assertArrayEquals(
                            p.value().toFloatArray(),
                            restored.parameters().get(n).value().toFloatArray(),
                            n));
        }
    }

    @Test
    void load_state_checks_everything_before_changing_anything() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(
                    backend, DType.FLOAT64, new double[] {1, 2, 3, 4}, new double[] {5, 6, 7, 8});
            Sgd sgd = Sgd.builder()
                    .schedule(LearningRateSchedule.constant(0.1))
                    .momentum(0.9)
                    .nesterov(false)
                    .weightDecay(0)
                    .create(params);
            sgd.step(OptimTesting.quadraticGradients(params, CURVATURE));
            Map<String, double[]> before = OptimTesting.values(sgd.state());
            Map<String, Tensor> bad = new LinkedHashMap<>(sgd.state());
            bad.put("momentum.b", Tensor.zeros(backend, DType.FLOAT64, 3));
            assertMessage(() -> sgd.loadState(bad, 4), "momentum.b", "[3]");
            Map<String, Tensor> renamed = new LinkedHashMap<>();
            sgd.state().forEach((n, t) -> renamed.put(n.replace("momentum.", "m."), t));
            assertMessage(() -> sgd.loadState(renamed, 4), "momentum.a", "m.a");
            assertEquals(1, sgd.steps());
            Map<String, double[]> after = OptimTesting.values(sgd.state());
            before.forEach((n, v) -> assertArrayEquals(v, after.get(n), n));
        }
    }

    @Test
    void rejects_nesterov_without_momentum() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = Map.of("w", OptimTesting.parameter(backend, DType.FLOAT64, 1));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Sgd.builder()
                            .schedule(LearningRateSchedule.constant(0.1))
                            .momentum(0)
                            .nesterov(true)
                            .weightDecay(0)
                            .create(params));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Sgd.builder()
                            .schedule(LearningRateSchedule.constant(0.1))
                            .momentum(1.0)
                            .nesterov(false)
                            .weightDecay(0)
                            .create(params));
        }
    }
}
