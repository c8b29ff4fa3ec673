package org.flows4j.layers.optim;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
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
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

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
}
