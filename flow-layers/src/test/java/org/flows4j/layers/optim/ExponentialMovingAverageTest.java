package org.flows4j.layers.optim;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.flows4j.layers.optim.AdamTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ExponentialMovingAverageTest {

    private static void set(Parameter p, double... values) {
        Tensor t = Tensor.of(p.value().backend(), values, values.length);
        p.set(t);
        t.free();
    }

    @Test
    void averages_follow_the_formula_from_the_initial_values() {
        try (Backend backend = Backends.create("cpu")) {
            Parameter p = OptimTesting.parameter(backend, DType.FLOAT64, 1, 10);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(Map.of("w", p), 0.9);
            set(p, 2, 20);
            ema.update();
            set(p, 4, -10);
            ema.update();
            // a0 = p0 (no bias correction); a1 = 0.9 a0 + 0.1 p1; a2 = 0.9 a1 + 0.1 p2
            double[] a1 = {0.9 * 1 + 0.1 * 2, 0.9 * 10 + 0.1 * 20};
            double[] a2 = {0.9 * a1[0] + 0.1 * 4, 0.9 * a1[1] + 0.1 * -10};
            assertAllClose(a2, ema.averages().get("w").toDoubleArray(), 0, 1e-15, "averages");
            assertEquals(2, ema.updates());
        }
    }

    @Test
    void applied_swaps_the_averages_in_and_restores_the_values() throws Exception {
        try (Backend backend = Backends.create("cpu")) {
            Parameter p = OptimTesting.parameter(backend, DType.FLOAT64, 1, 10);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(Map.of("w", p), 0.5);
            set(p, 3, 30);
            ema.update(); // averages 2, 20
            try (ExponentialMovingAverage.Applied applied = ema.applied()) {
                assertArrayEquals(new double[] {2, 20}, p.value().toDoubleArray());
                assertEquals(true, p.value().requiresGrad());
                assertThrows(IllegalStateException.class, ema::update);
                assertThrows(IllegalStateException.class, ema::applied);
                closeTwice(applied);
            }
            assertArrayEquals(new double[] {3, 30}, p.value().toDoubleArray());
            assertArrayEquals(new double[] {2, 20}, ema.averages().get("w").toDoubleArray(), "the average survives");
            ema.update(); // usable again after the swap
            assertArrayEquals(new double[] {2.5, 25}, ema.averages().get("w").toDoubleArray());
        }
    }

    /** Closes early, then again: the try statement closes it a third time; all harmless. */
    private static void closeTwice(AutoCloseable c) throws Exception {
        c.close();
        c.close();
    }

    @Test
    void load_averages_checks_before_changing() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params =
                    OptimTesting.twoParameters(backend, DType.FLOAT64, new double[] {1, 2}, new double[] {3, 4});
            ExponentialMovingAverage ema = new ExponentialMovingAverage(params, 0.99);
            Map<String, Tensor> bad = new LinkedHashMap<>();
            bad.put("a", Tensor.of(backend, new double[] {7, 7}, 2));
            bad.put("b", Tensor.of(backend, new double[] {7, 7, 7}, 3));
            assertMessage(() -> ema.loadAverages(bad, 5), "'b'", "[3]");
            assertArrayEquals(new double[] {1, 2}, ema.averages().get("a").toDoubleArray(), "unchanged");
            bad.put("b", Tensor.of(backend, new double[] {8, 8}, 2));
            ema.loadAverages(bad, 5);
            assertArrayEquals(new double[] {7, 7}, ema.averages().get("a").toDoubleArray());
            assertArrayEquals(new double[] {8, 8}, ema.averages().get("b").toDoubleArray());
            assertEquals(5, ema.updates());
            assertFalse(bad.get("a").isFreed(), "the caller's tensors are copied, not taken");
        }
    }
}
