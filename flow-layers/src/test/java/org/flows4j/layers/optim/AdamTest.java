package org.flows4j.layers.optim;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AdamTest {

    private static final double[] CURVATURE = {0.5, 2, 8, 0.1};

    /** Adam on the host in float64, straight from the formula in Adam's Javadoc. */
    private static double[] referenceAdam(
            double[] p0, LearningRateSchedule lr, double b1, double b2, double eps, double wd, int steps) {
        double[] p = p0.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= steps; t++) {
            double[] g = OptimTesting.quadraticGradient(p, CURVATURE);
            double rate = lr.at(t - 1);
            for (int i = 0; i < p.length; i++) {
                double gg = g[i] + wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gg;
                v[i] = b2 * v[i] + (1 - b2) * gg * gg;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] = p[i] - rate * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(CountingBackend.AdamMode.class)
    void first_step_is_the_hand_computed_bias_corrected_update(CountingBackend.AdamMode mode) {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend backend = new CountingBackend(cpu, mode)) {
            double[] p0 = {3, -2, 1.5, 0};
            Parameter p = OptimTesting.parameter(backend, DType.FLOAT64, p0);
            Adam adam = Adam.builder().learningRate(0.1).create(Map.of("w", p));
            double[] g = OptimTesting.quadraticGradient(p0, CURVATURE); // {1, -6, 4, -0.1}
            adam.step(OptimTesting.gradients(backend, DType.FLOAT64, Map.of("w", g)));
            // t = 1: m^ = g and v^ = g^2 exactly, so the update is lr g / (|g| + eps): lr sign(g) up to eps
            double[] expected = new double[4];
            for (int i = 0; i < 4; i++) {
                expected[i] = p0[i] - 0.1 * g[i] / (Math.abs(g[i]) + 1e-8);
            }
            assertAllClose(expected, p.value().toDoubleArray(), 0, 1e-14, "first Adam step");
            assertEquals(2.9, p.value().toDoubleArray()[0], 1e-8);
            assertEquals(1, backend.adamCalls(), "the fused kernel does the update");
            assertEquals(1, adam.steps());
        }
    }

    @ParameterizedTest
    @EnumSource(CountingBackend.AdamMode.class)
    void several_steps_with_weight_decay_and_a_schedule_match_the_reference(CountingBackend.AdamMode mode) {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend backend = new CountingBackend(cpu, mode)) {
            double[] a0 = {3, -2, 1.5, 0};
            double[] b0 = {-1, 4, 0.25, 2};
            Map<String, Parameter> params = OptimTesting.twoParameters(backend, DType.FLOAT64, a0, b0);
            LearningRateSchedule schedule = LearningRateSchedule.linearWarmup(0.05, 3);
            Adam adam = Adam.builder()
                    .schedule(schedule)
                    .betas(0.8, 0.95)
                    .epsilon(1e-6)
                    .weightDecay(0.01)
                    .create(params);
            for (int s = 0; s < 6; s++) {
                adam.step(OptimTesting.quadraticGradients(params, CURVATURE));
            }
            // float64 on both sides, a few operations per step: agreement to ~1e-15 relative, 1e-13 leaves room
            assertAllClose(
                    referenceAdam(a0, schedule, 0.8, 0.95, 1e-6, 0.01, 6),
                    params.get("a").value().toDoubleArray(),
                    1e-14,
                    1e-13,
                    "a");
            assertAllClose(
                    referenceAdam(b0, schedule, 0.8, 0.95, 1e-6, 0.01, 6),
                    params.get("b").value().toDoubleArray(),
                    1e-14,
                    1e-13,
                    "b");
            assertEquals(12, backend.adamCalls());
            assertEquals(0.05, adam.learningRate());
        }
    }

    @Test
    void fused_update_in_place_keeps_the_tensors_and_a_new_storage_replaces_them() {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend inPlace = new CountingBackend(cpu, CountingBackend.AdamMode.IN_PLACE);
                CountingBackend fresh = new CountingBackend(cpu, CountingBackend.AdamMode.NEW_STORAGES)) {
            Parameter p = OptimTesting.parameter(inPlace, DType.FLOAT32, 1, 2, 3, 4);
            Adam adam = Adam.builder().learningRate(0.1).create(Map.of("w", p));
            Tensor before = p.value();
            adam.step(Map.of("w", Tensor.of(inPlace, new float[] {1, 1, 1, 1}, 4)));
            assertSame(before, p.value(), "an in-place update needs no new parameter tensor");
            assertFalse(before.isFreed());

            Parameter q = OptimTesting.parameter(fresh, DType.FLOAT32, 1, 2, 3, 4);
            Adam adam2 = Adam.builder().learningRate(0.1).create(Map.of("w", q));
            Tensor old = q.value();
            adam2.step(Map.of("w", Tensor.of(fresh, new float[] {1, 1, 1, 1}, 4)));
            assertNotSame(old, q.value());
            assertTrue(old.isFreed(), "the replaced value is freed");
            assertTrue(q.value().requiresGrad(), "the new value is a leaf that requires a gradient");
            assertArrayEquals(p.value().toDoubleArray(), q.value().toDoubleArray(), "both paths compute the same");
            assertEquals(0, inPlace.badFrees() + fresh.badFrees());
        }
    }

    @Test
    @SuppressWarnings("try") // the scope frees each step's temporaries by being open
    void minimizes_a_quadratic_in_float32() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(
                    backend, DType.FLOAT32, new double[] {3, -2, 1.5, 0}, new double[] {-1, 4, 0.25, 2});
            Adam adam = Adam.builder()
                    .schedule(LearningRateSchedule.warmupCosine(0.1, 10, 400, 1e-4))
                    .create(params);
            for (int s = 0; s < 400; s++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    adam.step(OptimTesting.quadraticGradients(params, CURVATURE));
                }
            }
            for (Parameter p : params.values()) {
                // the minimum is 1; 1e-3 is far below the starting distance of up to 3
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
            Adam adam = Adam.builder()
                    .schedule(LearningRateSchedule.linearWarmup(0.01, 4))
                    .betas(0.9, 0.999)
                    .epsilon(1e-8)
                    .weightDecay(1e-3)
                    .create(net.parameters());
            for (int s = 0; s < 3; s++) {
                step(net, adam, x);
            }
            Map<String, Tensor> saved = adam.state();
            Map<String, double[]> savedParams = OptimTesting.snapshot(net.parameters());
            assertEquals(
                    List.of(
                            "m.layers.0.weight",
                            "m.layers.0.bias",
                            "m.layers.1.weight",
                            "m.layers.1.bias",
                            "v.layers.0.weight",
                            "v.layers.0.bias",
                            "v.layers.1.weight",
                            "v.layers.1.bias"),
                    List.copyOf(saved.keySet()));
            for (int s = 0; s < 2; s++) {
                step(net, adam, x);
            }

            Mlp restored = Mlp.hidden(6)
                    .activation(Activation.TANH)
                    .zeroInitLast(false)
                    .create(org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(99)), 3, 2);
            restored.parameters().forEach((n, p) -> {
                Tensor t = Tensor.of(backend, p.dtype(), savedParams.get(n), p.shape());
                p.set(t);
                t.free();
            });
            Adam adam2 = Adam.builder()
                    .schedule(LearningRateSchedule.linearWarmup(0.01, 4))
                    .betas(0.9, 0.999)
                    .epsilon(1e-8)
                    .weightDecay(1e-3)
                    .create(restored.parameters());
            adam2.loadState(saved, 3);
            assertEquals(3, adam2.steps());
            for (int s = 0; s < 2; s++) {
                step(restored, adam2, x);
            }
            net.parameters()
                    .forEach((n, p) -> assertArrayEquals(
                            p.value().toFloatArray(),
                            restored.parameters().get(n).value().toFloatArray(),
                            n));
            assertEquals(
                    OptimTesting.values(adam.state()).keySet(),
                    OptimTesting.values(adam2.state()).keySet());
            Map<String, double[]> s1 = OptimTesting.values(adam.state());
            OptimTesting.values(adam2.state()).forEach((n, v) -> assertArrayEquals(s1.get(n), v, n));
        }
    }

    @SuppressWarnings("try") // the scope frees the step's temporaries by being open
    static void step(Mlp net, Optimizer opt, Tensor x) {
        try (MemoryScope scope = MemoryScope.open()) {
            List<String> names = new ArrayList<>(net.parameters().keySet());
            List<Tensor> values = new ArrayList<>();
            names.forEach(n -> values.add(net.parameters().get(n).value()));
            Tensor loss = net.apply(x).square().mean();
            List<Tensor> g = Autodiff.grad(loss, values);
            Map<String, Tensor> grads = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                grads.put(names.get(i), g.get(i));
            }
            opt.step(grads);
        }
    }

    @Test
    void load_state_checks_everything_before_changing_anything() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(
                    backend, DType.FLOAT64, new double[] {1, 2, 3, 4}, new double[] {5, 6, 7, 8});
            Adam adam = Adam.builder().learningRate(0.1).create(params);
            adam.step(OptimTesting.quadraticGradients(params, CURVATURE));
            Map<String, double[]> before = OptimTesting.values(adam.state());

            Map<String, Tensor> wrongShape = new LinkedHashMap<>(adam.state());
            wrongShape.put("v.b", Tensor.zeros(backend, DType.FLOAT64, 5)); // the last slot: earlier ones are valid
            assertMessage(() -> adam.loadState(wrongShape, 7), "v.b", "[5]");

            Map<String, Tensor> wrongDtype = new LinkedHashMap<>(adam.state());
            wrongDtype.put("m.a", Tensor.zeros(backend, DType.FLOAT32, 4));
            assertMessage(() -> adam.loadState(wrongDtype, 7), "m.a", "float32");

            Map<String, Tensor> missing = new LinkedHashMap<>(adam.state());
            missing.remove("v.a");
            assertMessage(() -> adam.loadState(missing, 7), "missing [v.a]");

            Map<String, Tensor> unexpected = new HashMap<>(adam.state());
            unexpected.put("m.c", Tensor.zeros(backend, DType.FLOAT64, 4));
            assertMessage(() -> adam.loadState(unexpected, 7), "unexpected [m.c]");

            assertThrows(IllegalArgumentException.class, () -> adam.loadState(adam.state(), -1));

            assertEquals(1, adam.steps(), "the step counter is unchanged");
            Map<String, double[]> after = OptimTesting.values(adam.state());
            before.forEach((n, v) -> assertArrayEquals(v, after.get(n), n + " is unchanged"));
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
        }
    }

    @Test
    void step_checks_gradients_before_changing_anything() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(
                    backend, DType.FLOAT64, new double[] {1, 2, 3, 4}, new double[] {5, 6, 7, 8});
            Adam adam = Adam.builder().learningRate(0.1).create(params);
            Map<String, double[]> before = OptimTesting.snapshot(params);
            Map<String, Tensor> onlyA = Map.of("a", Tensor.zeros(backend, DType.FLOAT64, 4));
            assertMessage(() -> adam.step(onlyA), "no gradient for [b]");
            Map<String, Tensor> badShape = new LinkedHashMap<>();
            badShape.put("a", Tensor.ones(backend, DType.FLOAT64, 4));
            badShape.put("b", Tensor.ones(backend, DType.FLOAT64, 2, 2));
            assertMessage(() -> adam.step(badShape), "'b'", "[2, 2]");
            Map<String, Tensor> extra = new LinkedHashMap<>(OptimTesting.quadraticGradients(params, CURVATURE));
            extra.put("c", Tensor.ones(backend, DType.FLOAT64, 4));
            assertMessage(() -> adam.step(extra), "[c]");
            assertEquals(0, adam.steps());
            Map<String, double[]> after = OptimTesting.snapshot(params);
            before.forEach((n, v) -> assertArrayEquals(v, after.get(n), n));
        }
    }

    @Test
    void zero_learning_rate_moves_the_moments_but_not_the_parameters() {
        try (Backend backend = Backends.create("cpu")) {
            Parameter p = OptimTesting.parameter(backend, DType.FLOAT64, 1, 2);
            Adam adam = Adam.builder().schedule(step -> step == 0 ? 0.0 : 0.1).create(Map.of("w", p));
            adam.step(OptimTesting.gradients(backend, DType.FLOAT64, Map.of("w", new double[] {2, -4})));
            assertArrayEquals(new double[] {1, 2}, p.value().toDoubleArray());
            Map<String, double[]> s = OptimTesting.values(adam.state());
            assertAllClose(new double[] {0.2, -0.4}, s.get("m.w"), 1e-16, 1e-15, "m");
            assertAllClose(new double[] {0.004, 0.016}, s.get("v.w"), 1e-18, 1e-13, "v");
            assertEquals(1, adam.steps());
        }
    }

    @Test
    void rejects_state_slots_bad_settings_and_bad_schedules() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor t = Tensor.zeros(backend, DType.FLOAT64, 2);
            assertMessage(
                    () -> Adam.builder().learningRate(0.1).create(Map.of("s", Parameter.state(t))),
                    "'s'",
                    "state slot");
            Map<String, Parameter> params = Map.of("w", OptimTesting.parameter(backend, DType.FLOAT64, 1, 2));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Adam.builder()
                            .schedule(LearningRateSchedule.constant(0.1))
                            .betas(1.0, 0.999)
                            .epsilon(1e-8)
                            .weightDecay(0)
                            .create(params));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Adam.builder()
                            .schedule(LearningRateSchedule.constant(0.1))
                            .betas(0.9, 0.999)
                            .epsilon(0)
                            .weightDecay(0)
                            .create(params));
            Adam adam = Adam.builder().schedule(step -> -1).create(params);
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> adam.step(OptimTesting.gradients(backend, DType.FLOAT64, Map.of("w", new double[] {1, 1}))));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
        }
    }
}
