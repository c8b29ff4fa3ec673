package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct (float32, Vector API) and pointwise (one BLAS product per image) paths of
 * {@link Convolution} against a plain loop in double precision: forward pass, input gradient and
 * weight gradient, float32 and float64 (float64 takes the pointwise path for 1x1 kernels and
 * ND4J's columns otherwise; so does float32 past the rule of {@link DirectConv#applies}), on
 * glow:small's shapes and odd ones, batches of 1 and 3. Each
 * element must be within {@code 1e-5} (float32) or {@code 1e-12} (float64) of the sum of the
 * magnitudes of its terms. The results must not depend on the thread count.
 */
class DirectConvTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
        assertTrue(DirectKernels.available(), "the tests run with --add-modules jdk.incubator.vector");
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static double[] gaussian(int size, long seed) {
        Random r = new Random(seed);
        double[] v = new double[size];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** The values rounded as the dtype holds them. */
    private static double[] rounded(double[] v, DType dtype) {
        double[] r = v.clone();
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) r[i];
            }
        }
        return r;
    }

    private static Nd4jStorage storage(double[] v, Shape shape, DType dtype) {
        return Nd4jStorage.of(backend.fromDoubles(v, shape, dtype));
    }

    /** The sizes of one convolution and the plain loops that define its three results. */
    private record Conv(int n, int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {

        int oh() {
            return h + 2 * padH - kh + 1;
        }

        int ow() {
            return w + 2 * padW - kw + 1;
        }

        Shape input() {
            return Shape.of(n, cIn, h, w);
        }

        Shape weight() {
            return Shape.of(cOut, cIn, kh, kw);
        }

        Shape output() {
            return Shape.of(n, cOut, oh(), ow());
        }

        /**
         * Calls {@code term.add(xIndex, wIndex, outIndex)} for every product of the convolution:
         * {@code out[b, co, oy, ox] += x[b, ci, oy + ky - padH, ox + kx - padW] w[co, ci, ky, kx]}.
         */
        void each(Term term) {
            for (int b = 0; b < n; b++) {
                for (int co = 0; co < cOut; co++) {
                    for (int oy = 0; oy < oh(); oy++) {
                        for (int ox = 0; ox < ow(); ox++) {
                            int o = ((b * cOut + co) * oh() + oy) * ow() + ox;
                            for (int ci = 0; ci < cIn; ci++) {
                                for (int ky = 0; ky < kh; ky++) {
                                    int iy = oy + ky - padH;
                                    for (int kx = 0; kx < kw; kx++) {
                                        int ix = ox + kx - padW;
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            term.add(
                                                    ((b * cIn + ci) * h + iy) * w + ix,
                                                    ((co * cIn + ci) * kh + ky) * kw + kx,
                                                    o);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @FunctionalInterface
    private interface Term {
        void add(int x, int w, int out);
    }

    private static void assertClose(double[] expected, double[] magnitude, double[] actual, DType dtype, String what) {
        assertEquals(expected.length, actual.length, what + ": size");
        double rel = dtype == DType.FLOAT32 ? 1e-5 : 1e-12;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rel * (magnitude[i] + 1e-30), what + " [" + i + "]");
        }
    }

    /**
     * Checks the three results of {@code c} in {@code dtype} against the plain loops, and that one,
     * two and three threads give the same bits.
     */
    private static void check(Conv c, DType dtype) {
        double[] x = rounded(gaussian(c.input().size(), 1), dtype);
        double[] w = rounded(gaussian(c.weight().size(), 2), dtype);
        double[] g = rounded(gaussian(c.output().size(), 3), dtype);
        double[] y = new double[g.length];
        double[] yMag = new double[g.length];
        double[] dx = new double[x.length];
        double[] dxMag = new double[x.length];
        double[] dw = new double[w.length];
        double[] dwMag = new double[w.length];
        c.each((xi, wi, o) -> {
            y[o] += x[xi] * w[wi];
            yMag[o] += Math.abs(x[xi] * w[wi]);
            dx[xi] += g[o] * w[wi];
            dxMag[xi] += Math.abs(g[o] * w[wi]);
            dw[wi] += g[o] * x[xi];
            dwMag[wi] += Math.abs(g[o] * x[xi]);
        });
        Nd4jStorage xs = storage(x, c.input(), dtype);
        Nd4jStorage ws = storage(w, c.weight(), dtype);
        Nd4jStorage gs = storage(g, c.output(), dtype);
        String name = c + " " + dtype.label();
        double[][] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            double[][] got = {
                backend.toDoubles(Convolution.conv2d(xs, ws, c.padH(), c.padW(), threads)),
                backend.toDoubles(Convolution.backwardInput(gs, ws, c.input(), c.padH(), c.padW(), threads)),
                backend.toDoubles(Convolution.backwardWeight(xs, gs, c.weight(), c.padH(), c.padW(), threads))
            };
            if (first == null) {
                first = got;
                assertClose(y, yMag, got[0], dtype, "forward " + name);
                assertClose(dx, dxMag, got[1], dtype, "input gradient " + name);
                assertClose(dw, dwMag, got[2], dtype, "weight gradient " + name);
            } else {
                for (int k = 0; k < 3; k++) {
                    assertArrayEquals(first[k], got[k], "result " + k + " with " + threads + " threads, " + name);
                }
            }
        }
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] * [{4}, {1}, {5}, {6}] pad {7} {8}")
    @CsvSource({
        // glow:small's 3x3 first layers, few input channels to 64
        "3, 1, 9, 8, 64, 3, 3, 1, 1",
        "1, 2, 14, 14, 64, 3, 3, 1, 1",
        "3, 3, 7, 9, 64, 3, 3, 1, 1",
        "3, 4, 7, 7, 64, 3, 3, 1, 1",
        // its zero-initialized last layers and split prior, 64 to few
        "3, 64, 7, 7, 4, 3, 3, 1, 1",
        "1, 64, 5, 6, 8, 3, 3, 1, 1",
        // its 1x1 hidden layer and invertible 1x1 convolutions
        "3, 64, 7, 5, 64, 1, 1, 0, 0",
        "1, 4, 14, 14, 4, 1, 1, 0, 0",
        "3, 64, 5, 5, 8, 1, 1, 0, 0",
        "3, 40, 3, 5, 17, 1, 1, 0, 0",
        "1, 8, 7, 7, 64, 3, 3, 1, 1",
        "3, 9, 5, 4, 20, 3, 3, 1, 1",
        // odd sizes: one-pixel images, no padding, a padding wider than the full correlation's, rectangular kernels
        "3, 3, 1, 1, 5, 3, 3, 1, 1",
        "3, 2, 6, 5, 3, 3, 3, 0, 0",
        "1, 3, 4, 5, 2, 3, 3, 3, 2",
        "3, 5, 5, 7, 6, 3, 2, 1, 0",
        "1, 1, 5, 5, 1, 1, 1, 0, 0",
        "3, 17, 6, 5, 20, 3, 3, 1, 1"
    })
    void every_path_matches_the_plain_loops(
            int n, int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {
        Conv c = new Conv(n, cIn, h, w, cOut, kh, kw, padH, padW);
        check(c, DType.FLOAT32);
        check(c, DType.FLOAT64);
    }

    @Test
    void the_rule_picks_the_direct_loops_for_glow_shapes_and_not_for_wide_layers() {
        assertTrue(DirectConv.applies(2, 64, 3, 3, 1, 1), "2 -> 64, 3x3");
        assertTrue(DirectConv.applies(64, 4, 3, 3, 1, 1), "64 -> 4, 3x3");
        assertTrue(DirectConv.applies(64, 2, 3, 3, 1, 1), "the input gradient of 2 -> 64");
        assertTrue(DirectConv.applies(64, 64, 1, 1, 0, 0), "1x1 64 -> 64");
        assertFalse(DirectConv.appliesToWeight(64, 64, 1, 1, 0, 0), "the weight gradient of 1x1 64 -> 64: a product");
        assertTrue(DirectConv.appliesToWeight(64, 8, 1, 1, 0, 0), "the weight gradient of 1x1 64 -> 8");
        assertTrue(DirectConv.applies(8, 64, 3, 3, 1, 1), "the input gradient of 64 -> 8");
        assertFalse(DirectConv.applies(9, 64, 3, 3, 1, 1), "9 -> 64, 3x3: columns");
        assertFalse(DirectConv.applies(64, 64, 3, 3, 1, 1), "64 -> 64, 3x3: columns");
        assertFalse(DirectConv.applies(3, 4, 3, 3, -1, 1), "a negative padding (the full correlation of a wide one)");
    }
}
