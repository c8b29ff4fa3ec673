package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The chunking of {@link Convolution}'s columns path: the conformance kit's batches fit one chunk, so here the
 * chunk is made smaller than a batch (one sample, and a ragged last chunk) and the forward pass
 * and input gradient must equal the one-chunk ones bit for bit (each output element is one BLAS
 * dot product either way), the weight gradient up to the order of its sum over samples; and
 * the one-chunk forward pass must match a direct loop.
 */
class ConvolutionTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static Nd4jStorage random(Shape shape, DType dtype, long seed) {
        Random r = new Random(seed);
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return Nd4jStorage.of(backend.fromDoubles(v, shape, dtype));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void chunks_of_a_batch_give_the_same_bits(DType dtype) {
        Nd4jStorage x = random(Shape.of(5, 3, 6, 7), dtype, 1);
        Nd4jStorage w = random(Shape.of(4, 3, 3, 3), dtype, 2);
        long perSample = 3L * 3 * 3 * 6 * 7 * dtype.byteSize();
        Storage whole = Convolution.columnsForward(x, w, 1, 1, Long.MAX_VALUE);
        for (long bytes : new long[] {1, 2 * perSample}) {
            assertArrayEquals(
                    backend.toDoubles(whole),
                    backend.toDoubles(Convolution.columnsForward(x, w, 1, 1, bytes)),
                    "forward, " + bytes + " bytes of columns");
        }
        Nd4jStorage g = random(whole.shape(), dtype, 3);
        Storage dx = Convolution.columnsBackwardInput(g, w, x.shape(), 1, 1, Long.MAX_VALUE);
        for (long bytes : new long[] {1, 2 * perSample}) {
            assertArrayEquals(
                    backend.toDoubles(dx),
                    backend.toDoubles(Convolution.columnsBackwardInput(g, w, x.shape(), 1, 1, bytes)),
                    "input gradient, " + bytes + " bytes of columns");
        }
        // the weight gradient sums over samples, chunk by chunk: equal up to the summation order
        double[] dw = backend.toDoubles(Convolution.columnsBackwardWeight(x, g, w.shape(), 1, 1, Long.MAX_VALUE));
        for (long bytes : new long[] {1, 2 * perSample}) {
            double[] chunked = backend.toDoubles(Convolution.columnsBackwardWeight(x, g, w.shape(), 1, 1, bytes));
            for (int i = 0; i < dw.length; i++) {
                assertEquals(
                        dw[i],
                        chunked[i],
                        (dtype == DType.FLOAT64 ? 1e-12 : 1e-4) * (1 + Math.abs(dw[i])),
                        "weight gradient [" + i + "], " + bytes + " bytes of columns");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void forward_matches_a_direct_loop(DType dtype) {
        int n = 2;
        int c = 2;
        int h = 4;
        int wd = 5;
        int oc = 3;
        Nd4jStorage x = random(Shape.of(n, c, h, wd), dtype, 4);
        Nd4jStorage w = random(Shape.of(oc, c, 3, 2), dtype, 5);
        double[] xs = backend.toDoubles(x);
        double[] ws = backend.toDoubles(w);
        int pad = 1;
        int oh = h + 2 * pad - 3 + 1;
        int ow = wd + 2 * pad - 2 + 1;
        double[] y = backend.toDoubles(Convolution.conv2d(x, w, pad, pad, 2));
        assertEquals(n * oc * oh * ow, y.length);
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double sum = 0;
                        for (int ci = 0; ci < c; ci++) {
                            for (int ki = 0; ki < 3; ki++) {
                                for (int kj = 0; kj < 2; kj++) {
                                    int r = i + ki - pad;
                                    int q = j + kj - pad;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        sum += xs[((b * c + ci) * h + r) * wd + q]
                                                * ws[((o * c + ci) * 3 + ki) * 2 + kj];
                                    }
                                }
                            }
                        }
                        double got = y[((b * oc + o) * oh + i) * ow + j];
                        assertEquals(
                                sum,
                                got,
                                (dtype == DType.FLOAT64 ? 1e-12 : 1e-5) * (1 + Math.abs(sum)),
                                "y[" + b + ", " + o + ", " + i + ", " + j + "]");
                    }
                }
            }
        }
    }
}
