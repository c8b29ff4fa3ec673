package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;

import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ActivationTest {

    private static final double[] X = {-30, -2.5, -0.3, 0.2, 1.7, 40};

    private static DoubleUnaryOperator reference(Activation a) {
        return switch (a) {
            case RELU -> x -> Math.max(x, 0);
            case LEAKY_RELU -> x -> x > 0 ? x : 0.01 * x;
            case ELU -> x -> x > 0 ? x : Math.expm1(x);
            case TANH -> Math::tanh;
            case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
            case SOFTPLUS -> x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
        };
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void values_match_the_formula(Activation a) {
        try (Backend backend = Backends.create("cpu")) {
            double[] expected = new double[X.length];
            for (int i = 0; i < X.length; i++) {
                expected[i] = reference(a).applyAsDouble(X[i]);
            }
            // one elementary function in float64: a few ulps
            assertAllClose(expected, a.apply(Tensor.of(backend, X, X.length)).toDoubleArray(), 1e-15, 1e-14, a.name());
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void gradients_are_finite_and_match_finite_differences(Activation a) {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = Tensor.of(backend, X, X.length).requiringGrad();
            double[] g = Autodiff.grad(a.apply(x).sum(), List.of(x)).get(0).toDoubleArray();
            double h = 1e-6;
            double[] numeric = new double[X.length];
            for (int i = 0; i < X.length; i++) {
                DoubleUnaryOperator f = reference(a);
                numeric[i] = (f.applyAsDouble(X[i] + h) - f.applyAsDouble(X[i] - h)) / (2 * h);
            }
            // central differences with h = 1e-6 away from kinks: error ~1e-10 relative to |f|
            assertAllClose(numeric, g, 1e-7, 1e-6, a.name() + " gradient");
        }
    }
}
