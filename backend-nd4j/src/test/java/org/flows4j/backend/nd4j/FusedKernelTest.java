package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * This backend's fused SPI kernels ({@code linear}, {@code reluBackward}, {@code conv2d} with a
 * bias, {@code conv2dRelu}) give the bits of the
 * primitives they replace, composed as the SPI's defaults compose them, with NaN, infinities and
 * signed zeros.
 */
class FusedKernelTest {

    private static double[] values(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0};
        for (int i = 0; i < n; i++) {
            v[i] = i % 7 == 0 ? special[r.nextInt(special.length)] : r.nextGaussian();
        }
        return v;
    }

    private static void same(Nd4jBackend b, Storage expected, Storage actual, String what) {
        double[] e = b.toDoubles(expected);
        double[] a = b.toDoubles(actual);
        long[] eb = new long[e.length];
        long[] ab = new long[a.length];
        for (int i = 0; i < e.length; i++) {
            eb[i] = Double.doubleToLongBits(e[i]);
            ab[i] = Double.doubleToLongBits(a[i]);
        }
        assertArrayEquals(eb, ab, what);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void relu_backward_gives_the_composed_bits(DType dtype) {
        try (Nd4jBackend b = (Nd4jBackend)
                new Nd4jBackendProvider().create(BackendOptions.defaults().withThreads(2))) {
            int n = 1003;
            Storage g = b.fromDoubles(values(1, n), Shape.of(n), dtype);
            Storage y = b.fromDoubles(values(2, n), Shape.of(n), dtype);
            Storage sign = b.unary(UnaryOp.SIGN, y);
            same(b, b.binary(BinaryOp.MUL, g, sign), b.reluBackward(g, y), "reluBackward " + dtype);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void linear_equals_matmul_then_bias_then_activation(DType dtype) {
        try (Nd4jBackend b = (Nd4jBackend)
                new Nd4jBackendProvider().create(BackendOptions.defaults().withThreads(2))) {
            Storage x = b.fromDoubles(values(3, 40 * 30), Shape.of(40, 30), dtype);
            Storage w = b.fromDoubles(values(4, 30 * 50), Shape.of(30, 50), dtype);
            Storage bias = b.fromDoubles(values(5, 50), Shape.of(50), dtype);
            for (UnaryOp act : new UnaryOp[] {null, UnaryOp.RELU, UnaryOp.TANH}) {
                Storage y = b.binary(BinaryOp.ADD, b.matmul(x, w, false, false), bias);
                if (act != null) {
                    y = b.unary(act, y);
                }
                same(b, y, b.linear(x, w, bias, act), dtype + " " + act);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void conv2d_with_bias_and_relu_equal_the_composition(DType dtype) {
        try (Nd4jBackend b = (Nd4jBackend)
                new Nd4jBackendProvider().create(BackendOptions.defaults().withThreads(2))) {
            // a 3x3 and a 1x1 convolution, as in Glow's coupling networks
            for (int k : new int[] {3, 1}) {
                Storage x = b.fromDoubles(values(6, 2 * 5 * 6 * 7), Shape.of(2, 5, 6, 7), dtype);
                Storage w = b.fromDoubles(values(7, 9 * 5 * k * k), Shape.of(9, 5, k, k), dtype);
                Storage bias = b.fromDoubles(values(8, 9), Shape.of(9), dtype);
                int pad = k / 2;
                Storage plain = b.conv2d(x, w, pad, pad);
                Storage withBias = b.binary(BinaryOp.ADD, plain, b.reshape(bias, Shape.of(1, 9, 1, 1)));
                String what = dtype + " " + k + "x" + k;
                same(b, withBias, b.conv2d(x, w, bias, pad, pad), what + " conv2d + bias");
                same(b, b.unary(UnaryOp.RELU, withBias), b.conv2dRelu(x, w, bias, pad, pad), what + " conv2dRelu");
                same(b, b.unary(UnaryOp.RELU, plain), b.conv2dRelu(x, w, null, pad, pad), what + " no bias");
            }
        }
    }
}
