package org.flows4j.backend.cpu;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.api.internal.TensorAccess.wrap;
import static org.flows4j.backend.cpu.FastPaths.assertWithinSumBound;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three convolution kernels (im2col and GEMM, and in float32 the narrow and wide direct
 * kernels of {@link DirectConv}) of both kinds of kernels against direct loops written here, in double from
 * the stored inputs, within the error bound of a sum (see {@link FastPaths}): small odd shapes,
 * 3x3 and 1x1 kernels, a Glow-like {@code 8 x 16 x 14 x 14} with a 3x3 kernel, and glow:small's
 * own shapes.
 */
class ConvolutionFastPathTest {

    /** {n, cIn, h, w}, {cOut, kh, kw}, {padH, padW}. */
    private static final int[][][] GEOMETRIES = {
        {{2, 3, 7, 9}, {5, 3, 3}, {1, 1}},
        {{2, 3, 7, 9}, {5, 1, 1}, {0, 0}},
        {{2, 3, 7, 9}, {5, 1, 1}, {1, 0}},
        {{2, 3, 7, 9}, {5, 3, 3}, {0, 0}},
        {{1, 3, 7, 9}, {5, 3, 1}, {1, 0}},
        {{5, 2, 4, 3}, {3, 3, 3}, {1, 1}},
        {{2, 2, 1, 1}, {3, 5, 5}, {2, 2}},
        {{3, 4, 5, 20}, {17, 3, 3}, {1, 1}},
        {{8, 16, 14, 14}, {16, 3, 3}, {1, 1}},
        // the wide direct kernels (more than 16 output channels): a ragged channel block, taps
        // not a multiple of the weight gradient's 12, a ragged last vector of positions
        {{3, 8, 6, 7}, {20, 3, 3}, {1, 1}},
        {{2, 20, 9, 11}, {37, 3, 3}, {1, 1}},
        {{2, 5, 9, 8}, {24, 5, 5}, {2, 1}},
        // realnvp:small's coupling networks, at both scales
        {{2, 32, 28, 28}, {32, 3, 3}, {1, 1}},
        {{3, 32, 14, 14}, {32, 3, 3}, {1, 1}},
        // more taps than one pass of the wide forward kernel sums (TAP_BLOCK)
        {{2, 70, 4, 5}, {18, 3, 3}, {1, 1}},
        // the input gradient of a wide convolution is a narrow one and the other way round
        {{2, 40, 6, 6}, {6, 3, 3}, {1, 1}},
        {{2, 6, 6, 6}, {40, 3, 3}, {0, 0}},
        // glow:small's direct shapes: the zero-initialized last layer, the split prior, a first layer
        {{3, 64, 14, 14}, {4, 3, 3}, {1, 1}},
        {{2, 64, 7, 7}, {8, 3, 3}, {1, 1}},
        {{3, 2, 14, 14}, {64, 3, 3}, {1, 1}},
        // padding wider than the kernel reaches: the input gradient falls back to col2im
        {{2, 3, 5, 4}, {4, 3, 3}, {3, 2}},
        // blocks of two live channels or fewer (conv2F): forward to 2 and to 6, the input gradient of 1
        {{2, 5, 6, 7}, {2, 3, 3}, {1, 1}},
        {{2, 3, 6, 7}, {6, 3, 3}, {1, 1}},
        {{2, 1, 6, 7}, {3, 3, 3}, {1, 1}},
        // 1x1 without padding: direct up to DirectConv.pointwiseLimit() channel pairs (glow:small's
        // 64 -> 64), the packed GEMM past it
        {{2, 64, 5, 6}, {64, 1, 1}, {0, 0}},
        {{1, 129, 3, 3}, {128, 1, 1}, {0, 0}}
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType dtype : DType.values()) {
            for (int g = 0; g < GEOMETRIES.length; g++) {
                out.add(Arguments.of(dtype, g));
            }
        }
        return out.stream();
    }

    /** Direct loops of the three kernels, each with the scale sum |terms|. */
    private record Direct(int n, int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {

        int oh() {
            return h + 2 * padH - kh + 1;
        }

        int ow() {
            return w + 2 * padW - kw + 1;
        }

        /** Calls {@code term} for every (input element, weight element, output element) triple. */
        void each(Term term) {
            for (int b = 0; b < n; b++) {
                for (int co = 0; co < cOut; co++) {
                    for (int oy = 0; oy < oh(); oy++) {
                        for (int ox = 0; ox < ow(); ox++) {
                            for (int ci = 0; ci < cIn; ci++) {
                                for (int ky = 0; ky < kh; ky++) {
                                    for (int kx = 0; kx < kw; kx++) {
                                        int iy = oy + ky - padH;
                                        int ix = ox + kx - padW;
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            term.at(
                                                    ((b * cIn + ci) * h + iy) * w + ix,
                                                    ((co * cIn + ci) * kh + ky) * kw + kx,
                                                    ((b * cOut + co) * oh() + oy) * ow() + ox);
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
        void at(int x, int w, int out);
    }

    @ParameterizedTest(name = "{0} geometry {1}")
    @MethodSource("cases")
    void forward_and_both_backward_kernels_match_direct_loops(DType dtype, int geometry) {
        int[][] geo = GEOMETRIES[geometry];
        Direct d = new Direct(
                geo[0][0], geo[0][1], geo[0][2], geo[0][3], geo[1][0], geo[1][1], geo[1][2], geo[2][0], geo[2][1]);
        Shape xs = Shape.of(d.n(), d.cIn(), d.h(), d.w());
        Shape ws = Shape.of(d.cOut(), d.cIn(), d.kh(), d.kw());
        Shape os = Shape.of(d.n(), d.cOut(), d.oh(), d.ow());
        RandomSource rng = RandomSource.seeded(geometry);
        double[] xv = rng.normal(xs.size());
        double[] wv = rng.normal(ws.size());
        double[] gv = rng.normal(os.size());
        for (Kernels kern : FastPaths.kernels()) {
            try (Backend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                Tensor x = Tensor.of(b, dtype, xv, xs);
                Tensor w = Tensor.of(b, dtype, wv, ws);
                Tensor g = Tensor.of(b, dtype, gv, os);
                double[] xr = x.toDoubleArray();
                double[] wr = w.toDoubleArray();
                double[] gr = g.toDoubleArray();
                double[][] out = {new double[os.size()], new double[os.size()]};
                double[][] dx = {new double[xs.size()], new double[xs.size()]};
                double[][] dw = {new double[ws.size()], new double[ws.size()]};
                d.each((i, j, o) -> {
                    out[0][o] += xr[i] * wr[j];
                    out[1][o] += Math.abs(xr[i] * wr[j]);
                    dx[0][i] += gr[o] * wr[j];
                    dx[1][i] += Math.abs(gr[o] * wr[j]);
                    dw[0][j] += gr[o] * xr[i];
                    dw[1][j] += Math.abs(gr[o] * xr[i]);
                });
                int pad = d.padH();
                String what = dtype.label() + " " + xs + " * " + ws + " pad " + pad + "," + d.padW() + " "
                        + kern.description();
                assertWithinSumBound(
                        out[0],
                        out[1],
                        x.conv2d(w, pad, d.padW()).toDoubleArray(),
                        d.cIn() * d.kh() * d.kw(),
                        dtype,
                        what + " forward");
                assertWithinSumBound(
                        dx[0],
                        dx[1],
                        wrap(b, b.conv2dBackwardInput(storage(g), storage(w), xs, pad, d.padW()))
                                .toDoubleArray(),
                        d.cOut() * d.kh() * d.kw(),
                        dtype,
                        what + " dX");
                assertWithinSumBound(
                        dw[0],
                        dw[1],
                        wrap(b, b.conv2dBackwardWeight(storage(x), storage(g), ws, pad, d.padW()))
                                .toDoubleArray(),
                        d.n() * d.oh() * d.ow(),
                        dtype,
                        what + " dW");
            }
        }
    }

    /**
     * The register blocks of the wide direct kernels ({@link Kernels#CONV_REGISTERS_PROPERTY}:
     * 24-accumulator blocks for 32 registers, 8 and 12 for 16) sum every element in the same
     * order, so they give the same bits; whichever this machine's default is, CI runs both.
     */
    @ParameterizedTest(name = "geometry {0}")
    @ValueSource(ints = {7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 24})
    void both_register_blockings_give_the_same_bits(int geometry) {
        assumeTrue(Kernels.vector().isPresent(), "the register blocks are the vector kernels'");
        int[][] geo = GEOMETRIES[geometry];
        Shape xs = Shape.of(geo[0][0], geo[0][1], geo[0][2], geo[0][3]);
        Shape ws = Shape.of(geo[1][0], geo[0][1], geo[1][1], geo[1][2]);
        int padH = geo[2][0];
        int padW = geo[2][1];
        RandomSource rng = RandomSource.seeded(100 + geometry);
        double[] xv = rng.normal(xs.size());
        double[] wv = rng.normal(ws.size());
        List<List<float[]>> all = new ArrayList<>();
        for (int registers : new int[] {16, 32}) {
            Kernels kern = Kernels.vector().orElseThrow().withConvRegisters(registers);
            try (Backend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                Tensor x = Tensor.of(b, DType.FLOAT32, xv, xs);
                Tensor w = Tensor.of(b, DType.FLOAT32, wv, ws);
                Tensor out = x.conv2d(w, padH, padW);
                all.add(List.of(
                        out.toFloatArray(),
                        wrap(b, b.conv2dBackwardInput(storage(out), storage(w), xs, padH, padW))
                                .toFloatArray(),
                        wrap(b, b.conv2dBackwardWeight(storage(x), storage(out), ws, padH, padW))
                                .toFloatArray()));
            }
        }
        String[] what = {"forward", "dX", "dW"};
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(all.get(0).get(k), all.get(1).get(k), xs + " * " + ws + " " + what[k]);
        }
    }

    @ParameterizedTest(name = "{0} channels")
    @ValueSource(ints = {8, 24})
    void the_thread_count_never_changes_a_bit(int channels) {
        Shape xs = Shape.of(6, channels, 10, 10);
        Shape ws = Shape.of(channels, channels, 3, 3);
        RandomSource rng = RandomSource.seeded(5);
        double[] xv = rng.normal(xs.size());
        double[] wv = rng.normal(ws.size());
        for (DType dtype : DType.values()) {
            List<List<double[]>> all = new ArrayList<>();
            for (int threads : new int[] {1, 2, 3, 7}) {
                try (Backend b = new CpuBackend(FastPaths.OPTIONS.withThreads(threads), Kernels.best())) {
                    Tensor x = Tensor.of(b, dtype, xv, xs);
                    Tensor w = Tensor.of(b, dtype, wv, ws);
                    Tensor out = x.conv2d(w);
                    all.add(List.of(
                            out.toDoubleArray(),
                            wrap(b, b.conv2dBackwardInput(storage(out), storage(w), xs, 1, 1))
                                    .toDoubleArray(),
                            wrap(b, b.conv2dBackwardWeight(storage(x), storage(out), ws, 1, 1))
                                    .toDoubleArray()));
                }
            }
            for (int t = 1; t < all.size(); t++) {
                for (int k = 0; k < 3; k++) {
                    assertArrayEquals(all.get(0).get(k), all.get(t).get(k), dtype.label() + " kernel " + k);
                }
            }
        }
    }
}
