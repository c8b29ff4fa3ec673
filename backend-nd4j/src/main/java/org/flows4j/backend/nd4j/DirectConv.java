package org.flows4j.backend.nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Float32 convolutions run from Java over ND4J's buffers, for the shapes where ND4J's
 * {@code im2col} and batched product cost far more than the arithmetic: few output channels
 * (Glow's zero-initialized last layer and split prior, 4 or 8 channels from 64) or few taps (a
 * first layer from 2 or 4 channels). ND4J took 29 to 37 ms a call on glow:small's shapes, half
 * of an nd4j training step; see docs/BENCHMARKS.md.
 *
 * <p>The method is backend-cpu's {@code DirectConv} (the modules cannot share it: backend-cpu
 * depends on the API alone, and backend-support serves the native backends only): each input
 * plane is zero-padded into a float array in a "padded-width" layout, {@code Hp x Wp}
 * ({@code Hp = h + 2 padH}, {@code Wp = w + 2 padW}), where output pixel {@code (oy, ox)} is
 * position {@code q = oy Wp + ox} and tap {@code (ci, ky, kx)} reads
 * {@code xp[ci plane + ky Wp + kx + q]}: every tap is one contiguous run shifted, so
 * {@link DirectConvLanes} keeps four output channels in vector registers and sums each output
 * over {@code (ci, ky, kx)} in that order, rows {@code Wp} wide (the extra columns dropped).
 * Here the padding reads the rows straight from ND4J's buffer and the output rows are written
 * straight into it: no copy of a whole array is made. The input gradient is the same kernel on
 * the padded gradient with the weight flipped and its channel axes swapped (a full correlation,
 * no {@code col2im}); the weight gradient sums products along the same runs.
 *
 * <p><b>Threads.</b> Images are shared out over at most {@code threads} tasks of the common
 * fork-join pool (the caller runs one). Forward pass and input gradient write each image's
 * output alone; the weight gradient sums images in at most {@value #WEIGHT_CHUNKS} fixed chunks
 * (by the batch size alone) added in chunk order, so no result depends on the thread count.
 * Results differ from ND4J's path in rounding only (another summation order).
 */
final class DirectConv {

    /** Output channels computed together (the kernels' register block). */
    static final int ROWS = 4;
    /** Partial weight gradients summed separately, then added in order. */
    static final int WEIGHT_CHUNKS = 4;
    /**
     * The most taps ({@code cIn kh kw}) for the direct loops when there are more than 16 output
     * channels: 72, a 3x3 kernel from 8 channels, so that the input gradient of glow:small's
     * 64 -> 8 layer (a correlation from 8 channels to 64) runs here: 3.9 ms a call on ND4J's
     * columns, about 1 ms here. backend-cpu's rule stops at 36.
     */
    static final int TAPS = 72;
    /** Elements past every buffer's end that a whole last vector may read or write. */
    private static final int SLACK = 64;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][]);

    private DirectConv() {}

    /**
     * Whether the direct loops should compute a convolution's output (or, called with the
     * channels swapped and the full padding {@code k - 1 - pad}, its input gradient): the Vector
     * API is present, the padding is not negative, and the kernel is 1x1 without padding, or has
     * at most 16 output channels, or at most {@value #TAPS} taps ({@code cIn kh kw}). Beyond that (3x3 from
     * 64 channels to 64, say) a column matrix feeds enough multiply-adds per element for ND4J's
     * path. The caller checks the dtype (float32) and that the arrays are whole row-major buffers.
     */
    static boolean applies(int cIn, int cOut, int kh, int kw, int padH, int padW) {
        boolean pointwise = kh == 1 && kw == 1 && padH == 0 && padW == 0;
        return appliesToWeight(cIn, cOut, kh, kw, padH, padW) || (DirectKernels.available() && pointwise);
    }

    /**
     * Whether the direct loops should compute a weight gradient: as {@link #applies}, except a 1x1
     * kernel with more than 16 output channels, whose gradient
     * is a true product ({@code g[i] x[i]^T}, 64 x 64 from 196 positions for glow:small), which
     * {@link #pointwiseWeightGradient} computes with the channels along the vectors (the loops
     * here sum along vectors of positions and add the lanes for every weight: 4.7 ms a call
     * there, where one BLAS product an image took 3.2 to 3.7).
     */
    static boolean appliesToWeight(int cIn, int cOut, int kh, int kw, int padH, int padW) {
        boolean pointwise = kh == 1 && kw == 1 && padH == 0 && padW == 0;
        return DirectKernels.available()
                && padH >= 0
                && padW >= 0
                && (cOut <= 16 || (!pointwise && cIn * kh * kw <= TAPS));
    }

    /** A float view of {@code a}'s whole buffer, in the platform's byte order. */
    static FloatBuffer floats(INDArray a) {
        return a.data().asNio().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** The per-thread buffer {@code slot}, at least {@code size} long. */
    private static float[] buffer(int slot, int size) {
        float[][] b = BUFFERS.get();
        if (b[slot] == null || b[slot].length < size) {
            b[slot] = new float[size];
        }
        return b[slot];
    }

    /** Runs {@code task} for {@code [0, tasks)} on at most {@code threads} threads, the caller's among them. */
    private static void run(int tasks, int threads, IntConsumer task) {
        int workers = Math.min(tasks, threads);
        if (workers <= 1) {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
            return;
        }
        IntStream.range(0, workers).parallel().forEach(k -> {
            for (int t = k; t < tasks; t += workers) {
                task.accept(t);
            }
        });
    }

    /** The convolution's sizes, the padded-width layout's and the tap offsets. */
    private static final class Plan {
        final int cIn;
        final int h;
        final int w;
        final int cOut;
        final int padH;
        final int padW;
        final int wp;
        final int oh;
        final int ow;
        final int plane;
        final int xpSize;
        /** Positions {@code [0, oh Wp)} rounded up to a whole number of vectors (at most {@value #SLACK} more). */
        final int q1;

        final int taps;
        final int blocks;
        /** Where tap {@code (ci, ky, kx)} reads, relative to the output position. */
        final int[] off;

        Plan(int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {
            this.cIn = cIn;
            this.h = h;
            this.w = w;
            this.cOut = cOut;
            this.padH = padH;
            this.padW = padW;
            int hp = h + 2 * padH;
            wp = w + 2 * padW;
            oh = hp - kh + 1;
            ow = wp - kw + 1;
            plane = hp * wp;
            xpSize = cIn * plane + wp + kw + SLACK;
            int lanes = DirectConvLanes.LANES;
            q1 = (oh * wp + lanes - 1) / lanes * lanes;
            taps = cIn * kh * kw;
            blocks = (cOut + ROWS - 1) / ROWS;
            off = new int[taps];
            for (int ci = 0, t = 0; ci < cIn; ci++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++, t++) {
                        off[t] = ci * plane + ky * wp + kx;
                    }
                }
            }
        }

        /** Image {@code b} of {@code x} ({@code [n, cIn, h, w]}) zero-padded into {@code xp}, zeros to its end. */
        void pad(FloatBuffer x, int b, float[] xp) {
            Arrays.fill(xp, 0, xpSize, 0f);
            for (int ci = 0; ci < cIn; ci++) {
                int src = (b * cIn + ci) * h * w;
                int dst = ci * plane + padH * wp + padW;
                if (padW == 0) {
                    // rows as long as the padded ones: the plane is one run
                    x.get(src, xp, dst, h * w);
                    continue;
                }
                for (int y = 0; y < h; y++, src += w, dst += wp) {
                    x.get(src, xp, dst, w);
                }
            }
        }
    }

    /**
     * The weight of every block of four output channels, tap-major ({@code wb[(i taps + t) 4 + r]}
     * for channel {@code 4 i + r}, zeros past {@code cOut}), from {@code w [cOut, cIn, kh, kw]};
     * with {@code flip}, from the weight of the convolution this one transposes,
     * {@code [cIn, cOut, kh, kw]}, its channel axes swapped and the kernel turned by 180 degrees.
     */
    private static float[] blocks(FloatBuffer w, Plan p, int kh, int kw, boolean flip) {
        float[] wb = new float[p.blocks * ROWS * p.taps];
        for (int c = 0; c < p.cOut; c++) {
            int base = c / ROWS * ROWS * p.taps + c % ROWS;
            for (int ci = 0; ci < p.cIn; ci++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int t = (ci * kh + ky) * kw + kx;
                        int src = flip ? ((ci * p.cOut + c) * kh + kh - 1 - ky) * kw + kw - 1 - kx : c * p.taps + t;
                        wb[base + t * ROWS] = w.get(src);
                    }
                }
            }
        }
        return wb;
    }

    /**
     * {@code out = conv(x, w)}: {@code x [n, cIn, h, w]}, {@code w [cOut, cIn, kh, kw]} (or,
     * with {@code flip}, the weight of the convolution this one transposes,
     * {@code [cIn, cOut, kh, kw]}), {@code out [n, cOut, oh, ow]}, every element of which is
     * written. All three are float32 arrays whose elements start their buffers.
     */
    static void forward(
            INDArray x,
            int n,
            int cIn,
            int h,
            int w,
            INDArray weight,
            int cOut,
            int kh,
            int kw,
            int padH,
            int padW,
            boolean flip,
            INDArray out,
            int threads) {
        Plan p = new Plan(cIn, h, w, cOut, kh, kw, padH, padW);
        float[] wb = blocks(floats(weight), p, kh, kw, flip);
        FloatBuffer xs = floats(x);
        FloatBuffer os = floats(out);
        int parts = Math.min(n, threads);
        run(parts, threads, part -> {
            float[] xp = buffer(0, p.xpSize);
            float[] op = buffer(1, ROWS * p.q1);
            for (int b = (int) ((long) n * part / parts); b < (long) n * (part + 1) / parts; b++) {
                p.pad(xs, b, xp);
                for (int i = 0; i < p.blocks; i++) {
                    DirectConvLanes.conv4(xp, p.off, p.taps, wb, i * ROWS * p.taps, op, p.q1);
                    int c0 = i * ROWS;
                    for (int r = 0; r < Math.min(ROWS, cOut - c0); r++) {
                        int dst = (b * cOut + c0 + r) * p.oh * p.ow;
                        for (int oy = 0; oy < p.oh; oy++, dst += p.ow) {
                            os.put(dst, op, r * p.q1 + oy * p.wp, p.ow);
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code dw = sum_b g[b] (x) x[b]}, the weight gradient of {@link #forward} (without flip):
     * {@code x [n, cIn, h, w]}, {@code g [n, cOut, oh, ow]}, {@code dw [cOut, cIn, kh, kw]},
     * every element of which is written. Float32 arrays whose elements start their buffers.
     */
    static void weightGradient(
            INDArray x,
            int n,
            int cIn,
            int h,
            int w,
            INDArray g,
            int cOut,
            int kh,
            int kw,
            int padH,
            int padW,
            INDArray dw,
            int threads) {
        Plan p = new Plan(cIn, h, w, cOut, kh, kw, padH, padW);
        FloatBuffer xs = floats(x);
        FloatBuffer gs = floats(g);
        int chunks = Math.min(n, WEIGHT_CHUNKS);
        int size = p.blocks * ROWS * p.taps;
        float[][] partial = new float[chunks][size];
        run(chunks, threads, c -> {
            float[] xp = buffer(0, p.xpSize);
            float[] gp = buffer(1, ROWS * p.q1);
            float[] acc = partial[c];
            for (int b = (int) ((long) n * c / chunks); b < (long) n * (c + 1) / chunks; b++) {
                p.pad(xs, b, xp);
                for (int i = 0; i < p.blocks; i++) {
                    int c0 = i * ROWS;
                    // the gradient in the padded-width layout, zero in the extra columns, the tail and absent channels
                    Arrays.fill(gp, 0, ROWS * p.q1, 0f);
                    for (int r = 0; r < Math.min(ROWS, cOut - c0); r++) {
                        int src = (b * cOut + c0 + r) * p.oh * p.ow;
                        for (int oy = 0; oy < p.oh; oy++, src += p.ow) {
                            gs.get(src, gp, r * p.q1 + oy * p.wp, p.ow);
                        }
                    }
                    DirectConvLanes.weight4(xp, p.off, p.taps, gp, p.q1, acc, i * ROWS * p.taps);
                }
            }
        });
        float[] sum = partial[0];
        for (int c = 1; c < chunks; c++) {
            for (int i = 0; i < size; i++) {
                sum[i] += partial[c][i];
            }
        }
        FloatBuffer out = floats(dw);
        for (int c = 0; c < cOut; c++) {
            int base = c / ROWS * ROWS * p.taps + c % ROWS;
            for (int t = 0; t < p.taps; t++) {
                out.put(c * p.taps + t, sum[base + t * ROWS]);
            }
        }
    }

    /**
     * {@code dw = sum_b g[b] x[b]^T}, the weight gradient of a 1x1 kernel without padding:
     * {@code x [n, cIn, np]}, {@code g [n, cOut, np]}, {@code dw [cOut, cIn]}, every element of
     * which is written. Each image's input is transposed into {@code [np, cIn]} (channels padded
     * to whole blocks of vectors with zeros), and {@link DirectConvLanes#outer2} adds two rows of
     * the gradient at a time, position by position, images in order within each of at most
     * {@value #WEIGHT_CHUNKS} fixed chunks, which are then added in chunk order.
     */
    static void pointwiseWeightGradient(
            INDArray x, int n, int cIn, int np, INDArray g, int cOut, INDArray dw, int threads) {
        FloatBuffer xs = floats(x);
        FloatBuffer gs = floats(g);
        int block = DirectConvLanes.OUTER_VECTORS * DirectConvLanes.LANES;
        int ci1 = (cIn + block - 1) / block * block;
        int rows = (cOut + 1) / 2 * 2;
        int chunks = Math.min(n, WEIGHT_CHUNKS);
        float[][] partial = new float[chunks][rows * ci1];
        run(chunks, threads, c -> {
            float[] xt = buffer(0, np * ci1);
            float[] gb = buffer(1, rows * np);
            float[] acc = partial[c];
            // zero channels past cIn and a zero row past an odd cOut
            Arrays.fill(xt, 0, np * ci1, 0f);
            Arrays.fill(gb, 0, rows * np, 0f);
            for (int b = (int) ((long) n * c / chunks); b < (long) n * (c + 1) / chunks; b++) {
                int xb = b * cIn * np;
                for (int ci = 0; ci < cIn; ci++) {
                    for (int p = 0; p < np; p++) {
                        xt[p * ci1 + ci] = xs.get(xb + ci * np + p);
                    }
                }
                gs.get(b * cOut * np, gb, 0, cOut * np);
                for (int r0 = 0; r0 < rows; r0 += 2) {
                    for (int c0 = 0; c0 < ci1; c0 += block) {
                        DirectConvLanes.outer2(gb, r0, np, xt, ci1, c0, acc);
                    }
                }
            }
        });
        float[] sum = partial[0];
        for (int c = 1; c < chunks; c++) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += partial[c][i];
            }
        }
        FloatBuffer out = floats(dw);
        for (int co = 0; co < cOut; co++) {
            out.put(co * cIn, sum, co * ci1, cIn);
        }
    }
}
