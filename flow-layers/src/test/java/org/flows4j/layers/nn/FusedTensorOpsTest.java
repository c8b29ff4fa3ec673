package org.flows4j.layers.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused tensor operations {@link Tensor#linear}, {@link Tensor#conv2d(Tensor, Tensor, int, int)}, {@link Tensor#affineCoupling} and relu's
 * one-call backward on the cpu backend: the values and gradients of the compositions they
 * replace (bit for bit where the backward rules use the composition's kernels), central finite
 * differences, the number of backend calls, and the argument checks.
 */
class FusedTensorOpsTest {

    // =====================================================================================
    // linear
    // =====================================================================================

    static Stream<Arguments> linearCases() {
        List<Arguments> out = new ArrayList<>();
        UnaryOp[] acts = {null, UnaryOp.RELU, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.EXP, UnaryOp.SOFTPLUS};
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (boolean bias : new boolean[] {true, false}) {
                for (UnaryOp act : acts) {
                    out.add(Arguments.of(dt, bias, act));
                }
            }
        }
        return out.stream();
    }

    /** The composition the fused op replaces: {@code Linear}'s and {@code Mlp}'s code before it. */
    private static Tensor composed(Tensor x, Tensor w, Tensor b, UnaryOp act) {
        Tensor y = x.matmul(w);
        if (b != null) {
            y = y.add(b);
        }
        if (act == null) {
            return y;
        }
        return switch (act) {
            case RELU -> y.relu();
            case TANH -> y.tanh();
            case SIGMOID -> y.sigmoid();
            case EXP -> y.exp();
            case SOFTPLUS -> y.softplus();
            default -> throw new IllegalArgumentException("not used here: " + act);
        };
    }

    @ParameterizedTest(name = "{0} bias={1} act={2}")
    @MethodSource("linearCases")
    void linear_gives_the_values_and_gradients_of_matmul_add_activation_bit_for_bit(
            DType dt, boolean withBias, UnaryOp act) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(11);
            // 37 x 19 by 19 x 23: odd sizes cover the tails of vectorized loops
            Tensor x = r.uniform(backend, dt, Shape.of(37, 19), -1, 1).requiringGrad();
            Tensor w = r.uniform(backend, dt, Shape.of(19, 23), -0.5, 0.5).requiringGrad();
            Tensor b =
                    withBias ? r.uniform(backend, dt, Shape.of(23), -0.5, 0.5).requiringGrad() : null;
            Tensor weights = r.uniform(backend, dt, Shape.of(37, 23), -1, 1);
            List<Tensor> wrt = withBias ? List.of(x, w, b) : List.of(x, w);

            Tensor fused = x.linear(w, b, act);
            Tensor reference = composed(x, w, b, act);
            assertEquals(Shape.of(37, 23), fused.shape());
            assertTrue(fused.requiresGrad());
            assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
            if (act == UnaryOp.RELU) {
                assertTrue(countZeros(fused.toDoubleArray()) > 50, "too few rectified units to test relu's gradient");
            }
            List<Tensor> gFused = assertSameGradients(fused, reference, weights, wrt, "dx", "dW", "db");
            for (int i = 0; i < wrt.size(); i++) {
                assertTrue(
                        countZeros(gFused.get(i).toDoubleArray())
                                < gFused.get(i).size(),
                        "gradient " + i + " is all zero");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void linear_gradients_match_central_finite_differences(boolean withBias) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(5);
            Tensor x = r.uniform(backend, DType.FLOAT64, Shape.of(6, 4), -1, 1).requiringGrad();
            Tensor w = r.uniform(backend, DType.FLOAT64, Shape.of(4, 5), -1, 1).requiringGrad();
            Tensor b = withBias
                    ? r.uniform(backend, DType.FLOAT64, Shape.of(5), -1, 1).requiringGrad()
                    : null;
            Tensor weights = r.uniform(backend, DType.FLOAT64, Shape.of(6, 5), -1, 1);
            List<Tensor> inputs = withBias ? List.of(x, w, b) : List.of(x, w);
            for (UnaryOp act : new UnaryOp[] {null, UnaryOp.RELU, UnaryOp.TANH}) {
                checkFiniteDifferences(
                        inputs,
                        in -> in.get(0)
                                .linear(in.get(1), in.size() > 2 ? in.get(2) : null, act)
                                .mul(weights)
                                .sum(),
                        "linear " + act);
            }
        }
    }

    @Test
    void linear_of_a_batch_of_matrices_flattens_to_rows() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(3);
            Tensor x =
                    r.uniform(backend, DType.FLOAT64, Shape.of(3, 4, 5), -1, 1).requiringGrad();
            Tensor w = r.uniform(backend, DType.FLOAT64, Shape.of(5, 6), -1, 1).requiringGrad();
            Tensor b = r.uniform(backend, DType.FLOAT64, Shape.of(6), -1, 1).requiringGrad();
            Tensor weights = r.uniform(backend, DType.FLOAT64, Shape.of(3, 4, 6), -1, 1);
            Tensor fused = x.linear(w, b, UnaryOp.RELU);
            Tensor reference = x.matmul(w).add(b).relu();
            assertEquals(Shape.of(3, 4, 6), fused.shape());
            assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
            List<Tensor> wrt = List.of(x, w, b);
            List<Tensor> gFused = Autodiff.grad(fused.mul(weights).sum(), wrt);
            List<Tensor> gRef = Autodiff.grad(reference.mul(weights).sum(), wrt);
            for (int i = 0; i < 3; i++) {
                // the bias gradient sums [12, 6] over rows where the composition sums [3, 4, 6]
                // over two axes: the same terms, perhaps in another order
                Tolerance.FLOAT64.assertAllclose(
                        "gradient " + i,
                        gFused.get(i).toDoubleArray(),
                        gRef.get(i).toDoubleArray());
            }
        }
    }

    @Test
    void linear_records_nothing_without_gradients_and_under_no_grad() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(4);
            Tensor x = r.uniform(backend, DType.FLOAT32, Shape.of(3, 2), -1, 1);
            Tensor w = r.uniform(backend, DType.FLOAT32, Shape.of(2, 4), -1, 1);
            Tensor b = r.uniform(backend, DType.FLOAT32, Shape.of(4), -1, 1);
            assertFalse(x.linear(w, b, UnaryOp.RELU).requiresGrad());
            Tensor wg = w.requiringGrad();
            assertTrue(x.linear(wg, b, UnaryOp.RELU).requiresGrad());
            for (UnaryOp act : new UnaryOp[] {UnaryOp.RELU, UnaryOp.SOFTPLUS}) {
                Tensor y = Autodiff.noGrad(() -> x.linear(wg, b, act));
                assertFalse(y.requiresGrad(), act.toString());
                assertArrayEquals(composed(x, w, b, act).toDoubleArray(), y.toDoubleArray(), act.toString());
            }
        }
    }

    @Test
    void linear_second_derivatives_are_those_of_the_composition() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(8);
            Tensor x = r.uniform(backend, DType.FLOAT64, Shape.of(5, 3), -1, 1).requiringGrad();
            Tensor w = r.uniform(backend, DType.FLOAT64, Shape.of(3, 4), -1, 1).requiringGrad();
            Tensor b = r.uniform(backend, DType.FLOAT64, Shape.of(4), -1, 1).requiringGrad();
            for (UnaryOp act : new UnaryOp[] {UnaryOp.RELU, UnaryOp.TANH}) {
                double[][] results = new double[2][];
                for (int k = 0; k < 2; k++) {
                    Tensor y = k == 0 ? x.linear(w, b, act) : composed(x, w, b, act);
                    // d/dx of sum((dL/dW)^2) with L = sum(y^2): goes through the backward rules
                    Tensor loss = y.square().sum();
                    Tensor dw = Autodiff.grad(loss, List.of(w), loss.onesLike(), true)
                            .get(0);
                    assertTrue(dw.requiresGrad(), "the gradient was recorded");
                    results[k] =
                            Autodiff.grad(dw.square().sum(), List.of(x)).get(0).toDoubleArray();
                }
                assertArrayEquals(results[1], results[0], "second derivative through " + act);
                assertTrue(countZeros(results[0]) < results[0].length, "second derivative is zero");
            }
        }
    }

    @Test
    void linear_rejects_shapes_that_do_not_fit_naming_them() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = Tensor.zeros(backend, DType.FLOAT32, 2, 3);
            Tensor w = Tensor.zeros(backend, DType.FLOAT32, 3, 4);
            Tensor b = Tensor.zeros(backend, DType.FLOAT32, 4);
            assertMessage(() -> x.linear(Tensor.zeros(backend, DType.FLOAT32, 4, 4), b, null), "weight [4, 4]");
            assertMessage(() -> x.linear(w, Tensor.zeros(backend, DType.FLOAT32, 3), null), "bias [3]");
            assertMessage(() -> x.linear(w, Tensor.zeros(backend, DType.FLOAT32, 1, 4), null), "bias [1, 4]");
            assertMessage(() -> Tensor.zeros(backend, DType.FLOAT32, 3).linear(w, b, null), "input [3]");
            assertMessage(
                    () -> Tensor.zeros(backend, DType.FLOAT32, 1, 2, 2, 3).linear(w, b, null), "input [1, 2, 2, 3]");
            assertMessage(() -> x.linear(Tensor.zeros(backend, DType.FLOAT32, 3), b, null), "weight [3]");
            assertMessage(() -> x.linear(Tensor.zeros(backend, DType.FLOAT64, 3, 4), null, null), "dtypes differ");
            assertMessage(() -> x.linear(w, Tensor.zeros(backend, DType.FLOAT64, 4), null), "dtypes differ");
            assertThrows(NullPointerException.class, () -> x.linear(null, b, null));
        }
    }

    // =====================================================================================
    // conv2d with its bias
    // =====================================================================================

    static Stream<Arguments> convCases() {
        List<Arguments> out = new ArrayList<>();
        // {n, cIn, h, w, cOut, k}: few output channels, many (the wide kernels), a 1x1 product
        int[][] geometries = {{3, 5, 7, 9, 4, 3}, {2, 6, 9, 8, 24, 3}, {2, 7, 5, 6, 19, 1}};
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int g = 0; g < geometries.length; g++) {
                out.add(Arguments.of(dt, geometries[g]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("convCases")
    void conv2d_with_a_bias_gives_the_values_and_gradients_of_conv2d_then_add_bit_for_bit(DType dt, int[] geo) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(13);
            ConvOperands c = ConvOperands.draw(backend, dt, geo, r);
            Tensor fused = c.x().conv2d(c.w(), c.b(), c.pad(), c.pad());
            Tensor reference = c.x().conv2d(c.w()).add(c.b().reshape(1, geo[4], 1, 1));
            assertEquals(reference.shape(), fused.shape());
            assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
            Tensor weights = r.uniform(backend, dt, fused.shape(), -1, 1);
            assertSameGradients(fused, reference, weights, List.of(c.x(), c.w(), c.b()), "dx", "dW", "db");
            // without a bias it is the plain convolution
            assertArrayEquals(
                    c.x().conv2d(c.w()).toDoubleArray(),
                    c.x().conv2d(c.w(), null, c.pad(), c.pad()).toDoubleArray(),
                    "no bias");
        }
    }

    @Test
    void the_backend_defaults_of_the_fused_convolution_calls_are_the_compositions() {
        try (Backend cpu = Backends.create("cpu")) {
            // a backend that overrides nothing but forwards every abstract call: the SPI default runs
            Backend plain = (Backend) Proxy.newProxyInstance(
                    Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        if (method.isDefault()) {
                            return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                        }
                        try {
                            return method.invoke(cpu, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            RandomSource r = RandomSource.seeded(17);
            Tensor x = r.uniform(cpu, DType.FLOAT32, Shape.of(2, 6, 9, 8), -1, 1);
            Tensor w = r.uniform(cpu, DType.FLOAT32, Shape.of(24, 6, 3, 3), -0.5, 0.5);
            Tensor b = r.uniform(cpu, DType.FLOAT32, Shape.of(24), -0.5, 0.5);
            double[] viaDefault = Tensor.of(plain, DType.FLOAT32, x.toDoubleArray(), x.shape())
                    .conv2d(
                            Tensor.of(plain, DType.FLOAT32, w.toDoubleArray(), w.shape()),
                            Tensor.of(plain, DType.FLOAT32, b.toDoubleArray(), b.shape()),
                            1,
                            1)
                    .toDoubleArray();
            assertArrayEquals(x.conv2d(w, b, 1, 1).toDoubleArray(), viaDefault);
            // conv2dRelu's default: the convolution with its bias, then relu
            assertArrayEquals(
                    x.conv2dRelu(w, b, 1, 1).toDoubleArray(),
                    Tensor.of(plain, DType.FLOAT32, x.toDoubleArray(), x.shape())
                            .conv2dRelu(
                                    Tensor.of(plain, DType.FLOAT32, w.toDoubleArray(), w.shape()),
                                    Tensor.of(plain, DType.FLOAT32, b.toDoubleArray(), b.shape()),
                                    1,
                                    1)
                            .toDoubleArray());
            // conv2dReluBackwardInput's default: the input gradient, then relu's backward
            Tensor xp = Tensor.of(plain, DType.FLOAT32, x.toDoubleArray(), x.shape())
                    .requiringGrad();
            Tensor wp = Tensor.of(plain, DType.FLOAT32, w.toDoubleArray(), w.shape());
            Tensor xc = x.requiringGrad();
            assertArrayEquals(
                    Autodiff.grad(xc.reluConv2d(w, b, 1, 1).square().sum(), List.of(xc))
                            .get(0)
                            .toDoubleArray(),
                    Autodiff.grad(
                                    xp.reluConv2d(
                                                    wp,
                                                    Tensor.of(plain, DType.FLOAT32, b.toDoubleArray(), b.shape()),
                                                    1,
                                                    1)
                                            .square()
                                            .sum(),
                                    List.of(xp))
                            .get(0)
                            .toDoubleArray());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("convCases")
    void relu_conv2d_gives_the_values_and_gradients_of_relu_then_conv2d_bit_for_bit(DType dt, int[] geo) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(23);
            ConvOperands c = ConvOperands.draw(backend, dt, geo, r);
            Tensor x = c.x();
            for (Tensor bias : java.util.Arrays.asList(c.b(), null)) {
                Tensor fused = x.reluConv2d(c.w(), bias, c.pad(), c.pad());
                Tensor reference = x.relu().conv2d(c.w(), bias, c.pad(), c.pad());
                assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
                Tensor weights = r.uniform(backend, dt, fused.shape(), -1, 1);
                List<Tensor> wrt = bias == null ? List.of(x, c.w()) : List.of(x, c.w(), bias);
                List<Tensor> gFused = assertSameGradients(fused, reference, weights, wrt, "dx", "dW", "db");
                // about half of x is below 0, where the gradient must be exactly 0
                double[] dx = gFused.get(0).toDoubleArray();
                double[] xv = x.toDoubleArray();
                int zeros = 0;
                for (int i = 0; i < dx.length; i++) {
                    if (xv[i] < 0) {
                        assertEquals(0.0, dx[i], 0.0, "dx where x < 0");
                        zeros++;
                    }
                }
                assertTrue(zeros > dx.length / 4 && zeros < dx.length, "x should straddle 0: " + zeros);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("convCases")
    void conv2d_relu_gives_the_values_and_gradients_of_conv2d_then_relu_bit_for_bit(DType dt, int[] geo) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(29);
            ConvOperands c = ConvOperands.draw(backend, dt, geo, r);
            for (Tensor bias : java.util.Arrays.asList(c.b(), null)) {
                Tensor fused = c.x().conv2dRelu(c.w(), bias, c.pad(), c.pad());
                Tensor reference = c.x().conv2d(c.w(), bias, c.pad(), c.pad()).relu();
                assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
                // the ReLU must have cut something, and left something
                int zeros = countZeros(fused.toDoubleArray());
                assertTrue(zeros > 0 && zeros < fused.size(), "outputs should straddle 0: " + zeros + " zeros");
                Tensor weights = r.uniform(backend, dt, fused.shape(), -1, 1);
                List<Tensor> wrt = bias == null ? List.of(c.x(), c.w()) : List.of(c.x(), c.w(), bias);
                assertSameGradients(fused, reference, weights, wrt, "dx", "dW", "db");
            }
        }
    }

    @Test
    void the_layer_with_relu_is_relu_after_the_layer() {
        try (Backend backend = Backends.create("cpu")) {
            var ctx = org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(3));
            Conv2d conv = new Conv2d(ctx, 5, 20, 3, true, false);
            Tensor x = RandomSource.seeded(4).uniform(backend, DType.FLOAT32, Shape.of(2, 5, 6, 7), -1, 1);
            assertArrayEquals(
                    conv.apply(x).relu().toDoubleArray(), conv.applyRelu(x).toDoubleArray());
            assertMessage(() -> conv.applyRelu(Tensor.zeros(backend, DType.FLOAT32, 2, 4, 6, 7)), "[batch, 5, h, w]");
        }
    }

    @Test
    void the_layer_on_relu_is_the_layer_after_relu() {
        try (Backend backend = Backends.create("cpu")) {
            Conv2d conv = new Conv2d(
                    org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(3)),
                    5,
                    20,
                    3,
                    true,
                    false);
            Tensor x = RandomSource.seeded(4).uniform(backend, DType.FLOAT32, Shape.of(2, 5, 6, 7), -1, 1);
            assertArrayEquals(
                    conv.apply(x.relu()).toDoubleArray(), conv.applyToRelu(x).toDoubleArray());
            assertMessage(() -> conv.applyToRelu(Tensor.zeros(backend, DType.FLOAT32, 2, 4, 6, 7)), "[batch, 5, h, w]");
        }
    }

    @Test
    void conv2d_bias_gradient_matches_central_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(19);
            Tensor x = r.uniform(backend, DType.FLOAT64, Shape.of(2, 3, 4, 5), -1, 1)
                    .requiringGrad();
            Tensor w = r.uniform(backend, DType.FLOAT64, Shape.of(4, 3, 3, 3), -1, 1)
                    .requiringGrad();
            Tensor b = r.uniform(backend, DType.FLOAT64, Shape.of(4), -1, 1).requiringGrad();
            Tensor weights = r.uniform(backend, DType.FLOAT64, Shape.of(2, 4, 4, 5), -1, 1);
            checkFiniteDifferences(
                    List.of(x, w, b),
                    in -> in.get(0)
                            .conv2d(in.get(1), in.get(2), 1, 1)
                            .mul(weights)
                            .sum(),
                    "conv2d with bias");
        }
    }

    @Test
    void conv2d_rejects_a_bias_that_is_not_one_per_output_channel() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = Tensor.zeros(backend, DType.FLOAT32, 1, 2, 4, 4);
            Tensor w = Tensor.zeros(backend, DType.FLOAT32, 3, 2, 3, 3);
            assertMessage(() -> x.conv2d(w, Tensor.zeros(backend, DType.FLOAT32, 2), 1, 1), "is not [cOut]");
            assertMessage(() -> x.conv2d(w, Tensor.zeros(backend, DType.FLOAT32, 1, 3), 1, 1), "is not [cOut]");
        }
    }

    // =====================================================================================
    // relu's backward
    // =====================================================================================

    @Test
    void relu_backward_is_one_backend_call_with_the_bits_of_g_times_sign() {
        try (Backend cpu = Backends.create("cpu")) {
            Counting counting = new Counting(cpu);
            Backend backend = counting.backend;
            // zeros, NaN and both signs of the gradient: sign(0) = 0 gives +-0, NaN stays NaN
            Tensor x = Tensor.of(backend, new double[] {-2, -0.0, 0, 0.5, 3, Double.NaN, 7, -1}, 8)
                    .requiringGrad();
            Tensor g = Tensor.of(backend, new double[] {1, -1, -2, 3, -4, 5, 0, 6}, 8);
            Tensor y = x.relu();
            counting.reset();
            Tensor dx = Autodiff.grad(y, List.of(x), g, false).get(0);
            assertEquals(Map.of("reluBackward", 1), counting.calls(), "backend calls of relu's backward");
            double[] expected = g.mul(y.sign()).toDoubleArray();
            assertArrayEquals(expected, dx.toDoubleArray());
            assertEquals(
                    Double.doubleToRawLongBits(-0.0),
                    Double.doubleToRawLongBits(dx.toDoubleArray()[2]),
                    "-2 * sign(0) is -0");
        }
    }

    @Test
    void relu_backward_is_differentiable_in_the_incoming_gradient() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(9);
            Tensor x = r.uniform(backend, DType.FLOAT64, Shape.of(10), -1, 1).requiringGrad();
            Tensor x2 = x.detach().requiringGrad();
            // L = sum(relu(x) * x) so dL/dx = relu'(x) x + relu(x); its gradient again goes through g
            Tensor dFused = Autodiff.grad(
                            x.relu().mul(x).sum(), List.of(x), Tensor.scalar(backend, DType.FLOAT64, 1), true)
                    .get(0);
            Tensor dRef = Autodiff.grad(
                            x2.mul(x2.relu().sign()).mul(x2).sum(),
                            List.of(x2),
                            Tensor.scalar(backend, DType.FLOAT64, 1),
                            true)
                    .get(0);
            // x sign(relu x) is -0 where relu x is +0, so compare values, not the sign of zeros
            Tolerance.EXACT.assertAllclose("first derivative", dFused.toDoubleArray(), dRef.toDoubleArray());
            double[] second = Autodiff.grad(dFused.sum(), List.of(x)).get(0).toDoubleArray();
            double[] secondRef = Autodiff.grad(dRef.sum(), List.of(x2)).get(0).toDoubleArray();
            Tolerance.EXACT.assertAllclose("second derivative", second, secondRef);
            assertTrue(countZeros(second) < second.length, "the second derivative 2 sign(relu x) is all zero");
        }
    }

    // =====================================================================================
    // affine coupling
    // =====================================================================================

    @ParameterizedTest(name = "{0} inverse={1}")
    @MethodSource("affineCases")
    void affine_coupling_gives_the_values_and_gradients_of_the_composition_bit_for_bit(DType dt, boolean inverse) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(21);
            Shape shape = Shape.of(13, 7);
            Tensor x = r.uniform(backend, dt, shape, -2, 2).requiringGrad();
            Tensor s = r.uniform(backend, dt, shape, -1.5, 1.5).requiringGrad();
            Tensor t = r.uniform(backend, dt, shape, -1, 1).requiringGrad();
            Tensor weights = r.uniform(backend, dt, shape, -1, 1);
            Tensor fused = x.affineCoupling(s, t, inverse);
            Tensor reference =
                    inverse ? x.sub(t).mul(s.neg().exp()) : x.mul(s.exp()).add(t);
            assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), "values");
            assertSameGradients(fused, reference, weights, List.of(x, s, t), "dx", "ds", "dt");
        }
    }

    static Stream<Arguments> affineCases() {
        return Stream.of(
                Arguments.of(DType.FLOAT32, false),
                Arguments.of(DType.FLOAT32, true),
                Arguments.of(DType.FLOAT64, false),
                Arguments.of(DType.FLOAT64, true));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void affine_coupling_gradients_match_central_finite_differences(boolean inverse) {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(22);
            Shape shape = Shape.of(4, 3);
            Tensor x = r.uniform(backend, DType.FLOAT64, shape, -2, 2).requiringGrad();
            Tensor s = r.uniform(backend, DType.FLOAT64, shape, -1, 1).requiringGrad();
            Tensor t = r.uniform(backend, DType.FLOAT64, shape, -1, 1).requiringGrad();
            Tensor weights = r.uniform(backend, DType.FLOAT64, shape, -1, 1);
            checkFiniteDifferences(
                    List.of(x, s, t),
                    in -> in.get(0)
                            .affineCoupling(in.get(1), in.get(2), inverse)
                            .mul(weights)
                            .sum(),
                    "affineCoupling inverse=" + inverse);
        }
    }

    @Test
    void affine_coupling_inverse_undoes_forward() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(23);
            Shape shape = Shape.of(50, 6);
            Tensor x = r.uniform(backend, DType.FLOAT64, shape, -3, 3);
            Tensor s = r.uniform(backend, DType.FLOAT64, shape, -2, 2);
            Tensor t = r.uniform(backend, DType.FLOAT64, shape, -1, 1);
            double[] back =
                    x.affineCoupling(s, t, false).affineCoupling(s, t, true).toDoubleArray();
            // three roundings each way on values of order e^2 |x| + 1: a few ulps of that scale
            new Tolerance(0, 1e-13, "a few float64 ulps of |x e^s| <= 23").assertAllclose("x", back, x.toDoubleArray());
        }
    }

    @Test
    void affine_coupling_is_one_backend_call_and_records_only_with_gradients() {
        try (Backend cpu = Backends.create("cpu")) {
            Counting counting = new Counting(cpu);
            Backend backend = counting.backend;
            RandomSource r = RandomSource.seeded(24);
            Tensor x = r.uniform(backend, DType.FLOAT32, Shape.of(4, 2), -1, 1);
            Tensor s = r.uniform(backend, DType.FLOAT32, Shape.of(4, 2), -1, 1);
            Tensor t = r.uniform(backend, DType.FLOAT32, Shape.of(4, 2), -1, 1);
            for (boolean inverse : new boolean[] {false, true}) {
                counting.reset();
                Tensor y = x.affineCoupling(s, t, inverse);
                assertEquals(Map.of("affineCoupling", 1), counting.calls(), "inverse=" + inverse);
                assertFalse(y.requiresGrad());
            }
            assertTrue(x.affineCoupling(s.requiringGrad(), t, false).requiresGrad());
            assertFalse(Autodiff.noGrad(() -> x.affineCoupling(s.requiringGrad(), t, true))
                    .requiresGrad());
        }
    }

    @Test
    void affine_coupling_rejects_operands_of_other_shapes() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = Tensor.zeros(backend, DType.FLOAT32, 2, 3);
            Tensor ok = Tensor.zeros(backend, DType.FLOAT32, 2, 3);
            Tensor row = Tensor.zeros(backend, DType.FLOAT32, 3);
            assertMessage(() -> x.affineCoupling(row, ok, false), "log-scale [3]");
            assertMessage(() -> x.affineCoupling(ok, row, true), "shift [3]");
            assertMessage(
                    () -> x.affineCoupling(ok, Tensor.zeros(backend, DType.FLOAT64, 2, 3), false), "dtypes differ");
            assertThrows(NullPointerException.class, () -> x.affineCoupling(null, ok, false));
        }
    }

    // =====================================================================================
    // helpers
    // =====================================================================================

    private static int countZeros(double[] v) {
        int n = 0;
        for (double d : v) {
            if (d == 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * The gradients of {@code sum(fused * weights)} and {@code sum(reference * weights)} with
     * respect to {@code wrt}, asserted equal bit for bit (each named by {@code names[i]}).
     *
     * @return the fused side's gradients, in the order of {@code wrt}
     */
    private static List<Tensor> assertSameGradients(
            Tensor fused, Tensor reference, Tensor weights, List<Tensor> wrt, String... names) {
        List<Tensor> gFused = Autodiff.grad(fused.mul(weights).sum(), wrt);
        List<Tensor> gRef = Autodiff.grad(reference.mul(weights).sum(), wrt);
        for (int i = 0; i < wrt.size(); i++) {
            assertArrayEquals(gRef.get(i).toDoubleArray(), gFused.get(i).toDoubleArray(), names[i]);
        }
        return gFused;
    }

    /**
     * A convolution's operands for a case of {@link #convCases}, {@code {n, cIn, h, w, cOut, k}}:
     * input, weight and bias, all requiring gradients, and the padding that keeps the size.
     */
    private record ConvOperands(Tensor x, Tensor w, Tensor b, int pad) {
        static ConvOperands draw(Backend backend, DType dt, int[] geo, RandomSource r) {
            int k = geo[5];
            Tensor x = r.uniform(backend, dt, Shape.of(geo[0], geo[1], geo[2], geo[3]), -1, 1)
                    .requiringGrad();
            Tensor w = r.uniform(backend, dt, Shape.of(geo[4], geo[1], k, k), -0.5, 0.5)
                    .requiringGrad();
            Tensor b = r.uniform(backend, dt, Shape.of(geo[4]), -0.5, 0.5).requiringGrad();
            return new ConvOperands(x, w, b, k / 2);
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" should name " + fragment);
    }

    /**
     * Compares the autodiff gradient of the scalar {@code loss(inputs)} with central differences
     * at every element of every (float64) input, within {@link Tolerance#GRADIENT}.
     */
    private static void checkFiniteDifferences(List<Tensor> inputs, Function<List<Tensor>, Tensor> loss, String what) {
        List<Tensor> grads = Autodiff.grad(loss.apply(inputs), inputs);
        for (int k = 0; k < inputs.size(); k++) {
            Tensor in = inputs.get(k);
            double[] base = in.toDoubleArray();
            double[] numeric = new double[base.length];
            for (int i = 0; i < base.length; i++) {
                double h = 1e-6 * Math.max(1, Math.abs(base[i]));
                numeric[i] = (lossAt(inputs, k, base, i, h, loss) - lossAt(inputs, k, base, i, -h, loss)) / (2 * h);
            }
            double[] g = grads.get(k).toDoubleArray();
            Tolerance.GRADIENT.assertAllclose(what + ": gradient of input " + k, g, numeric);
            assertTrue(countZeros(g) < g.length, what + ": gradient of input " + k + " is all zero");
        }
    }

    private static double lossAt(
            List<Tensor> inputs, int k, double[] base, int i, double h, Function<List<Tensor>, Tensor> loss) {
        double[] d = base.clone();
        d[i] += h;
        List<Tensor> moved = new ArrayList<>(inputs);
        Tensor in = inputs.get(k);
        moved.set(k, Tensor.of(in.backend(), in.dtype(), d, in.shape()));
        return Autodiff.noGrad(() -> loss.apply(moved)).item();
    }

    /**
     * A backend that forwards every call to another and counts the compute kernels called, by
     * name (creation, transfer and memory calls are not counted).
     */
    static final class Counting {

        private static final java.util.Set<String> UNCOUNTED = java.util.Set.of(
                "name",
                "options",
                "holdsNativeMemory",
                "fromDoubles",
                "fromFloats",
                "full",
                "toDoubles",
                "toFloats",
                "free",
                "close",
                "hashCode",
                "equals",
                "toString");

        final Backend backend;
        private final Map<String, Integer> calls = new ConcurrentHashMap<>();

        Counting(Backend delegate) {
            this.backend = (Backend) Proxy.newProxyInstance(
                    Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        if (!UNCOUNTED.contains(method.getName())) {
                            calls.merge(method.getName(), 1, Integer::sum);
                        }
                        try {
                            return method.invoke(delegate, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        void reset() {
            calls.clear();
        }

        Map<String, Integer> calls() {
            return Map.copyOf(calls);
        }
    }
}
