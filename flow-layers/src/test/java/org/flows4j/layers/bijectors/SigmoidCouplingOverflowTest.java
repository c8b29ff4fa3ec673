package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Glow's affine coupling ({@code Scale.SIGMOID}) on conditioner outputs that a trained model
 * gives out-of-distribution inputs when sampling at temperature 1 (issue 13, item 11): very
 * negative {@code h}. Its inverse multiplies by {@code exp(-s)}; unfloored, {@code s ~ h + 2}
 * and {@code exp(198)} overflows float32, so the inverse gave infinities and NaN.
 */
class SigmoidCouplingOverflowTest {

    /** Conditioner outputs {@code h} for the log-scale, and the shifts; y - t is 0 in the middle. */
    static final double[] H = {-200, -120, -95, -60, 0, 3};

    static final double[] Y = {1.5, -2.0, 0.25, 0.0, 1.0, -1.0};
    static final double[] T = {0.5, 0.5, 0.25, 0.0, 0.0, 0.0};

    /** Runs the check on {@code backend} in float32; shared with the cross-backend suite. */
    static void inverseIsFiniteForVeryNegativeConditionerOutputs(Backend backend) {
        CouplingTransform affine = CouplingTransform.affine(CouplingTransform.Scale.SIGMOID);
        Tensor y = Tensor.of(backend, DType.FLOAT32, Y, Shape.of(1, Y.length));
        Tensor h = Tensor.of(backend, DType.FLOAT32, H, Shape.of(1, H.length));
        Tensor t = Tensor.of(backend, DType.FLOAT32, T, Shape.of(1, T.length));
        CouplingTransform.Result inverse = affine.inverse(y, List.of(h, t));
        double[] x = inverse.value().toDoubleArray();
        double[] logDet = inverse.logDet().toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            assertTrue(
                    Double.isFinite(x[i]) && Double.isFinite(logDet[i]),
                    backend.name() + ": h = " + H[i] + " gives x = " + x[i] + ", log-det " + logDet[i]);
            // The log-scale is floored at -10: the inverse gain is at most e^10.
            assertTrue(
                    Math.abs(x[i])
                            <= Math.exp(-CouplingTransform.Scale.SIGMOID_MIN_LOG_SCALE)
                                            * Math.abs(Y[i] - T[i])
                                            * (1 + 1e-5)
                                    + 1e-6,
                    "x = " + x[i]);
        }
        // Forward then inverse is still the identity on the floored branch.
        CouplingTransform.Result forward = affine.forward(inverse.value(), List.of(h, t));
        assertArrayEquals(Y, forward.value().toDoubleArray(), 1e-5, "round trip");
    }

    @Test
    void inverse_is_finite_for_very_negative_conditioner_outputs_on_cpu() {
        try (Backend backend = Backends.create("cpu")) {
            inverseIsFiniteForVeryNegativeConditionerOutputs(backend);
        }
    }

    @Test
    void the_floor_changes_nothing_in_the_range_training_produces() {
        try (Backend backend = Backends.create("cpu")) {
            double[] h = {-8, -3, -1, 0, 2, 9};
            Tensor ht = Tensor.of(backend, DType.FLOAT64, h, Shape.of(h.length));
            double[] s = CouplingTransform.Scale.SIGMOID.logScale(ht).toDoubleArray();
            for (int i = 0; i < h.length; i++) {
                double expected = -Math.log1p(Math.exp(-(h[i] + 2)));
                assertTrue(
                        Math.abs(s[i] - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), s[i] + " vs " + expected);
            }
        }
    }
}
