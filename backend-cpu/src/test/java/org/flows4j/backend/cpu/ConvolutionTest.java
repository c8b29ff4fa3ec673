package org.flows4j.backend.cpu;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.api.internal.TensorAccess.wrap;
import static org.flows4j.backend.cpu.Allclose.assertAllClose;
import static org.flows4j.backend.cpu.Allclose.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * conv2d against a direct loop written here, and its two backward kernels against the
 * definition of a gradient: conv2d is linear in each argument, so the gradient component for
 * input element {@code i} is exactly {@code <conv(e_i, w), g>} (likewise for the weight), and
 * the adjoint identity {@code <conv(x, w), g> = <x, dX> = <w, dW>} must hold.
 */
class ConvolutionTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = new CpuBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** NCHW cross-correlation with zero padding, the obvious way with bounds tests. */
    static double[] reference(double[] x, int[] xs, double[] w, int[] ws, int padH, int padW) {
        int n = xs[0];
        int cIn = xs[1];
        int h = xs[2];
        int wd = xs[3];
        int cOut = ws[0];
        int kh = ws[2];
        int kw = ws[3];
        int oh = h + 2 * padH - kh + 1;
        int ow = wd + 2 * padW - kw + 1;
        double[] out = new double[n * cOut * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cOut; co++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int ci = 0; ci < cIn; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy + ky - padH;
                                    int ix = ox + kx - padW;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        s += x[((b * cIn + ci) * h + iy) * wd + ix]
                                                * w[((co * cIn + ci) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        out[((b * cOut + co) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        return out;
    }

    private static double[] random(RandomSource rng, int n) {
        return rng.normal(n);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void three_by_three_same_padding_sums_each_neighbourhood(DType dtype) {
        // all-ones kernel over 1..9: each output is the sum of the in-range 3x3 neighbourhood
        Tensor x = tensor(backend, dtype, new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor w = Tensor.ones(backend, dtype, 1, 1, 3, 3);
        assertAllClose(new double[] {12, 21, 16, 27, 45, 33, 24, 39, 28}, Shape.of(1, 1, 3, 3), x.conv2d(w));
    }

    /** {n, cIn, h, w}, {cOut, kh, kw}, {padH, padW}. */
    private static final int[][][] GEOMETRIES = {
        {{1, 2, 4, 5}, {3, 3, 3}, {1, 1}},
        {{2, 3, 5, 4}, {2, 1, 1}, {0, 0}},
        {{2, 2, 4, 4}, {2, 2, 2}, {0, 0}},
        {{1, 2, 3, 6}, {2, 1, 3}, {0, 1}},
        {{2, 1, 3, 3}, {2, 1, 1}, {1, 2}},
        {{1, 2, 6, 5}, {1, 5, 5}, {2, 2}},
        {{1, 1, 2, 2}, {1, 3, 3}, {2, 1}},
        {{1, 2, 5, 3}, {2, 3, 3}, {0, 0}}
    };

    @ParameterizedTest
    @EnumSource(DType.class)
    void forward_matches_the_direct_loop_for_many_geometries(DType dtype) {
        RandomSource rng = RandomSource.seeded(11);
        for (int[][] geo : GEOMETRIES) {
            int[] xs = geo[0];
            int[] ws = {geo[1][0], xs[1], geo[1][1], geo[1][2]};
            double[] x = random(rng, Shape.of(xs).size());
            double[] w = random(rng, Shape.of(ws).size());
            int padH = geo[2][0];
            int padW = geo[2][1];
            // the reference sees the inputs as the tensor stores them
            Tensor tx = tensor(backend, dtype, x, xs);
            Tensor tw = tensor(backend, dtype, w, ws);
            double[] expected = reference(tx.toDoubleArray(), xs, tw.toDoubleArray(), ws, padH, padW);
            Tensor out = tx.conv2d(tw, padH, padW);
            Shape shape = Shape.of(xs[0], ws[0], xs[2] + 2 * padH - ws[2] + 1, xs[3] + 2 * padW - ws[3] + 1);
            assertAllClose(expected, shape, out);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void backward_kernels_are_the_exact_gradients(DType dtype) {
        RandomSource rng = RandomSource.seeded(12);
        // float32 rounds each of the ~50 products of an output once to float and then the dot
        // products below add a few hundred such values of size ~1: 1e-4 absolute is ample
        double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
        for (int[][] geo : GEOMETRIES) {
            int[] xs = geo[0];
            int[] ws = {geo[1][0], xs[1], geo[1][1], geo[1][2]};
            int padH = geo[2][0];
            int padW = geo[2][1];
            Shape xShape = Shape.of(xs);
            Shape wShape = Shape.of(ws);
            Tensor x = Tensor.of(backend, dtype, random(rng, xShape.size()), xShape);
            Tensor w = Tensor.of(backend, dtype, random(rng, wShape.size()), wShape);
            Tensor out = x.conv2d(w, padH, padW);
            Tensor g = Tensor.of(backend, dtype, random(rng, out.size()), out.shape());
            Tensor dx = wrap(backend, backend.conv2dBackwardInput(storage(g), storage(w), xShape, padH, padW));
            Tensor dw = wrap(backend, backend.conv2dBackwardWeight(storage(x), storage(g), wShape, padH, padW));
            assertEquals(xShape, dx.shape());
            assertEquals(wShape, dw.shape());
            double[] gv = g.toDoubleArray();
            double[] expectedDx = new double[xShape.size()];
            for (int i = 0; i < expectedDx.length; i++) {
                double[] e = new double[xShape.size()];
                e[i] = 1;
                expectedDx[i] = dot(
                        Tensor.of(backend, dtype, e, xShape)
                                .conv2d(w, padH, padW)
                                .toDoubleArray(),
                        gv);
            }
            assertAllClose(expectedDx, dx.toDoubleArray(), tol, tol, "dX " + xShape + " " + wShape);
            double[] expectedDw = new double[wShape.size()];
            for (int i = 0; i < expectedDw.length; i++) {
                double[] e = new double[wShape.size()];
                e[i] = 1;
                expectedDw[i] = dot(
                        x.conv2d(Tensor.of(backend, dtype, e, wShape), padH, padW)
                                .toDoubleArray(),
                        gv);
            }
            assertAllClose(expectedDw, dw.toDoubleArray(), tol, tol, "dW " + xShape + " " + wShape);
            double forward = dot(out.toDoubleArray(), gv);
            assertEquals(forward, dot(x.toDoubleArray(), dx.toDoubleArray()), tol * (1 + Math.abs(forward)));
            assertEquals(forward, dot(w.toDoubleArray(), dw.toDoubleArray()), tol * (1 + Math.abs(forward)));
        }
    }

    @Test
    void autodiff_reaches_both_backward_kernels() {
        RandomSource rng = RandomSource.seeded(13);
        Tensor x = Tensor.of(backend, DType.FLOAT64, random(rng, 64), Shape.of(2, 2, 4, 4))
                .requiringGrad();
        Tensor w = Tensor.of(backend, DType.FLOAT64, random(rng, 54), Shape.of(3, 2, 3, 3))
                .requiringGrad();
        // loss = sum(conv(x, w)^2) / 2, so the gradient is conv's adjoint applied to g = conv(x, w)
        Tensor out = x.conv2d(w);
        List<Tensor> grads = Autodiff.grad(out.square().sum().mul(0.5), List.of(x, w));
        Tensor dx = wrap(backend, backend.conv2dBackwardInput(storage(out), storage(w), x.shape(), 1, 1));
        Tensor dw = wrap(backend, backend.conv2dBackwardWeight(storage(x), storage(out), w.shape(), 1, 1));
        assertAllClose(dx.toDoubleArray(), x.shape(), grads.get(0));
        assertAllClose(dw.toDoubleArray(), w.shape(), grads.get(1));
        // and a central difference on one weight, the loss being quadratic so it is exact up to rounding
        double h = 1e-4;
        double[] wv = w.toDoubleArray();
        wv[7] += h;
        double up = loss(x, Tensor.of(backend, DType.FLOAT64, wv, w.shape()));
        wv[7] -= 2 * h;
        double down = loss(x, Tensor.of(backend, DType.FLOAT64, wv, w.shape()));
        assertEquals((up - down) / (2 * h), grads.get(1).toDoubleArray()[7], 1e-6);
    }

    private static double loss(Tensor x, Tensor w) {
        return x.detach().conv2d(w).square().sum().item() / 2;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void empty_batch_and_channels_give_empty_or_zero_results(DType dtype) {
        Tensor w = Tensor.ones(backend, dtype, 2, 3, 3, 3);
        assertAllClose(
                new double[0],
                Shape.of(0, 2, 4, 4),
                Tensor.zeros(backend, dtype, 0, 3, 4, 4).conv2d(w));
        // no input channels: every output is an empty sum
        Tensor none = Tensor.zeros(backend, dtype, 1, 0, 2, 2);
        assertAllClose(new double[8], Shape.of(1, 2, 2, 2), none.conv2d(Tensor.ones(backend, dtype, 2, 0, 3, 3)));
    }
}
