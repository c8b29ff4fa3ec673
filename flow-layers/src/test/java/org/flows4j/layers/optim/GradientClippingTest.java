package org.flows4j.layers.optim;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GradientClippingTest {

    private static Map<String, Tensor> grads(Backend backend) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("a", Tensor.of(backend, new double[] {3, 0}, 2)); // squares: 9
        g.put("b", Tensor.of(backend, new double[] {0, 4, 0, 12}, 2, 2)); // squares: 16 + 144
        return g; // global norm sqrt(169) = 13
    }

    @Test
    void norm_is_the_root_of_all_squares() {
        try (Backend backend = Backends.create("cpu")) {
            assertEquals(13.0, GradientClipping.globalNorm(grads(backend)));
        }
    }

    @Test
    void clips_to_max_norm_keeping_direction() {
        try (Backend backend = Backends.create("cpu")) {
            GradientClipping.Clipped c = GradientClipping.clipByGlobalNorm(grads(backend), 6.5);
            assertEquals(13.0, c.norm());
            assertEquals(0.5, c.scale());
            assertTrue(c.wasClipped());
            assertTrue(c.isFinite());
            assertEquals(List.of("a", "b"), List.copyOf(c.gradients().keySet()));
            assertAllClose(new double[] {1.5, 0}, c.gradients().get("a").toDoubleArray(), 0, 1e-15, "a");
            assertAllClose(new double[] {0, 2, 0, 6}, c.gradients().get("b").toDoubleArray(), 0, 1e-15, "b");
            assertEquals(6.5, GradientClipping.globalNorm(c.gradients()), 1e-14);
        }
    }

    @Test
    void a_float32_norm_over_a_million_elements_matches_float64_to_a_part_in_a_million() {
        try (Backend backend = Backends.create("cpu")) {
            float[] v = new float[1 << 20];
            double exact = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(i * 0.37) * (1 + (i % 7));
                exact += (double) v[i] * v[i];
            }
            Map<String, Tensor> g = Map.of("w", Tensor.of(backend, v, 1024, 1024));
            assertEquals(Math.sqrt(exact), GradientClipping.globalNorm(g), Math.sqrt(exact) * 1e-6);
        }
    }

    @Test
    void float32_norm_accumulates_without_overflow() {
        try (Backend backend = Backends.create("cpu")) {
            // 3e20^2 overflows float32 (max 3.4e38), not float64
            Map<String, Tensor> g = Map.of("a", Tensor.of(backend, new float[] {3e20f, 4e20f}, 2));
            GradientClipping.Clipped c = GradientClipping.clipByGlobalNorm(g, 1.0);
            assertEquals(5e20, c.norm(), 5e20 * 1e-7);
            assertEquals(1.0, GradientClipping.globalNorm(c.gradients()), 1e-6);
        }
    }

    @Test
    void below_max_norm_is_a_no_op() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Tensor> g = grads(backend);
            GradientClipping.Clipped c = GradientClipping.clipByGlobalNorm(g, 13.5);
            assertEquals(13.0, c.norm());
            assertEquals(1.0, c.scale());
            assertFalse(c.wasClipped());
            assertSame(g.get("a"), c.gradients().get("a"));
            assertSame(g.get("b"), c.gradients().get("b"));
        }
    }

    @Test
    void non_finite_norm_is_reported_not_hidden() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Tensor> nan = Map.of("a", Tensor.of(backend, new double[] {1, Double.NaN}, 2));
            GradientClipping.Clipped c = GradientClipping.clipByGlobalNorm(nan, 1.0);
            assertTrue(Double.isNaN(c.norm()));
            assertFalse(c.isFinite());
            assertSame(nan.get("a"), c.gradients().get("a"), "left as they are, not scaled to NaN");

            Map<String, Tensor> inf = Map.of("a", Tensor.of(backend, new double[] {1, Double.POSITIVE_INFINITY}, 2));
            GradientClipping.Clipped d = GradientClipping.clipByGlobalNorm(inf, 1.0);
            assertEquals(Double.POSITIVE_INFINITY, d.norm());
            assertFalse(d.isFinite());
            assertSame(inf.get("a"), d.gradients().get("a"), "left as they are, not scaled to zero");
        }
    }

    @Test
    void rejects_bad_max_norm() {
        try (Backend backend = Backends.create("cpu")) {
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(grads(backend), 0));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> GradientClipping.clipByGlobalNorm(grads(backend), Double.NaN));
            assertEquals(0.0, GradientClipping.globalNorm(Map.of("z", Tensor.zeros(backend, DType.FLOAT32, 3))));
        }
    }

    @Test
    void the_factor_brings_the_norm_down_to_the_limit_and_refuses_what_is_not_a_norm() {
        assertEquals(0.5, GradientClipping.scaleFor(13, 6.5));
        assertEquals(1.0, GradientClipping.scaleFor(13, 13));
        assertEquals(1.0, GradientClipping.scaleFor(0, 1));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.scaleFor(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.scaleFor(Double.POSITIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.scaleFor(-1, 1));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GradientClipping.scaleFor(2, 0));
        assertTrue(e.getMessage().contains("maxNorm"), e.getMessage());
    }

    /** Three steps of {@code optimizer} from fixed parameters and gradients, clipping at 5 either way. */
    private static Map<String, double[]> clippedSteps(
            Backend backend, DType dtype, OptimizerConfig config, boolean factorToOptimizer) {
        RandomSource r = RandomSource.seeded(11);
        Map<String, Parameter> params = new LinkedHashMap<>();
        params.put(
                "w",
                Parameter.trainable(Tensor.of(backend, r.normal(70_001), 70_001).to(dtype)));
        params.put("b", Parameter.trainable(Tensor.of(backend, r.normal(37), 37).to(dtype)));
        Optimizer opt = config.create(params);
        // gradient norms of about 26, 1.3 (not clipped) and 26
        for (double size : new double[] {0.1, 0.005, 0.1}) {
            try (MemoryScope scope = MemoryScope.open()) {
                Map<String, Tensor> g = new LinkedHashMap<>();
                g.put(
                        "w",
                        Tensor.of(backend, r.normal(70_001), 70_001).mul(size).to(dtype));
                g.put("b", Tensor.of(backend, r.normal(37), 37).mul(size).to(dtype));
                if (factorToOptimizer) {
                    opt.step(g, GradientClipping.scaleFor(GradientClipping.globalNorm(g), 5));
                } else {
                    opt.step(GradientClipping.clipByGlobalNorm(g, 5).gradients());
                }
            }
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, p.value().toDoubleArray()));
        opt.state().forEach((name, t) -> out.put(name, t.toDoubleArray()));
        return out;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void an_optimizer_given_the_clipping_factor_steps_to_the_bits_of_clipping_first(DType dtype) {
        List<OptimizerConfig> configs = List.of(
                Adam.builder().learningRate(1e-2).build(),
                Adam.builder().learningRate(1e-2).weightDecay(0.01).build(),
                Sgd.builder().learningRate(1e-2).momentum(0.9).build());
        try (Backend backend = Backends.create("cpu")) {
            for (OptimizerConfig config : configs) {
                Map<String, double[]> first = clippedSteps(backend, dtype, config, false);
                Map<String, double[]> folded = clippedSteps(backend, dtype, config, true);
                assertEquals(first.keySet(), folded.keySet());
                first.forEach((name, v) ->
                        assertArrayEquals(v, folded.get(name), config.describe() + " " + dtype.label() + ": " + name));
            }
        }
    }

    @Test
    void a_step_refuses_a_gradient_scale_that_is_not_positive_and_finite() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = Map.of("w", Parameter.trainable(Tensor.zeros(backend, DType.FLOAT32, 3)));
            Map<String, Tensor> g = Map.of("w", Tensor.zeros(backend, DType.FLOAT32, 3));
            for (Optimizer opt : List.of(
                    Adam.builder().create(params),
                    Sgd.builder().learningRate(1e-2).build().create(params))) {
                for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
                    assertThrows(IllegalArgumentException.class, () -> opt.step(g, bad), opt + " " + bad);
                }
                assertEquals(0, opt.steps(), "a refused step changes nothing");
            }
        }
    }
}
