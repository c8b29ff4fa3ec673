package org.flows4j.backend.cpu;

import java.util.Arrays;

/**
 * Float32 convolutions without a column matrix: every kernel but a 1x1 one. Through
 * {@code im2col}, each element of the nine-times-larger column matrix is written once by
 * {@code im2col}, once more by the packing, and feeds only {@code cOut} multiply-adds: 7 GFLOP/s
 * on glow:small's 4- and 8-channel layers (58% of its training step), 60 to 94 GFLOP/s on
 * realnvp:small's 32-channel ones, where these kernels do up to 184.
 *
 * <p><b>Padded-width layout.</b> Each input plane is copied once, zero-padded, into a buffer of
 * {@code Hp x Wp} ({@code Hp = h + 2 padH}, {@code Wp = w + 2 padW}). An output pixel
 * {@code (oy, ox)} is then position {@code q = oy Wp + ox}, and tap {@code (ky, kx)} of channel
 * {@code ci} reads {@code xp[ci][q + ky Wp + kx]}: every tap is the same contiguous run shifted,
 * so a vector of consecutive {@code q} loads in one instruction, and output rows are computed
 * {@code Wp} wide, the {@code Wp - ow} extra columns discarded.
 *
 * <p><b>Narrow kernels</b> (at most 16 output channels): {@link Kernels#conv4F} keeps four
 * output channels in registers and sums each output element over {@code (ci, ky, kx)} in that
 * order ({@link Kernels#conv2F} for a block of one or two, as the input gradient of a
 * convolution from two channels is); {@link Kernels#convWeight4F} sums products over {@code q} for four channels at a time.
 * <b>Wide kernels</b> (more): {@link Kernels#conv8F} keeps eight channels by three vectors of
 * positions in registers; the weight gradient transposes each image's output gradient to
 * position-major rows and {@link Kernels#convWeightWideF} keeps twelve taps by two vectors of
 * channels in registers over all positions, so no sum across lanes is needed.
 *
 * <p>The gradient with respect to the input is the forward kernel on the padded gradient with
 * the weight flipped and its channels swapped (a full correlation), so it needs no
 * {@code col2im}. Results differ from the packed path's in rounding only (another summation
 * order).
 */
final class DirectConv {

    /** Output channels computed together by the narrow kernels (their register block). */
    static final int ROWS = 4;
    /** Output channels computed together by the wide kernels. */
    static final int WIDE = 8;
    /** Taps summed per pass of the wide forward kernel: bounds the weight block read per position block to 16 KiB. */
    static final int TAP_BLOCK = 512;
    /** Output channels of the wide weight gradient's transposed rows are padded to a multiple of this. */
    private static final int CHANNEL_ALIGN = 16;
    /** Elements past every buffer's end that a whole last vector may read or write. */
    private static final int SLACK = 64;

    private DirectConv() {}

    /**
     * The system property that sets {@link #pointwiseLimit()}, read once: a count of channel
     * pairs, 0 to send every 1x1 convolution to the packed GEMM (as before the limit existed), for
     * comparing the two on a machine.
     */
    static final String POINTWISE_PROPERTY = "flows4j.cpu.conv.pointwise.limit";

    /**
     * The most {@code cIn cOut} of a 1x1 convolution without padding that the direct kernels run:
     * past it, the matrix product of each image is large enough for the packed GEMM. 128 x 128
     * unless {@link #POINTWISE_PROPERTY} says otherwise.
     */
    static int pointwiseLimit() {
        return Pointwise.LIMIT;
    }

    /**
     * The property read on first use, in a class of its own: {@link Kernels} checks the value
     * (through {@link #pointwiseLimit(String)}) before any backend starts, without this failing
     * first as a class initializer.
     */
    private static final class Pointwise {
        static final int LIMIT = pointwiseLimit(System.getProperty(POINTWISE_PROPERTY));
    }

    /** The limit {@code value} of {@link #POINTWISE_PROPERTY} sets; null or blank for the default. */
    static int pointwiseLimit(String value) {
        if (value == null || value.isBlank()) {
            return 128 * 128;
        }
        try {
            int limit = Integer.parseInt(value.trim());
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // the message below says what it takes
        }
        throw new IllegalArgumentException(
                POINTWISE_PROPERTY + " must be a count of channel pairs, 0 or more, not '" + value + "'");
    }

    /**
     * Whether the direct kernels run for a float32 convolution of {@code cIn} to {@code cOut}
     * channels, stride 1: always but for a 1x1 kernel without padding over more than
     * {@link #pointwiseLimit()} channel pairs. Such a kernel has no column matrix to save, but each
     * image's product is small (glow:small's {@code 64 x 64} by 196 pixels is 1.6 MFLOP), and the
     * GEMM spends much of it packing A and B: 4 to 36 GFLOP/s a thread on the AMD Zen 3 (AVX2) of
     * {@code docs/BENCHMARKS.md}, against 24 to 51 for these kernels.
     */
    static boolean applies(int cIn, int cOut, int kh, int kw, int padH, int padW) {
        boolean pointwise = kh == 1 && kw == 1 && padH == 0 && padW == 0;
        return !pointwise || (long) cIn * cOut <= pointwiseLimit();
    }

    /** Whether {@code cOut} output channels take the wide kernels ({@link #WIDE} channels at a time) rather than four. */
    static boolean wide(int cOut) {
        return cOut > 16;
    }

    /**
     * The padded-width geometry of one call: input planes padded to {@code hp x wp}, outputs of
     * {@code oh x ow}, and the buffer of one padded image ({@link #xpSize} floats: the planes,
     * then slack for whole last vectors).
     */
    record Padded(int cIn, int h, int w, int kh, int kw, int padH, int padW) {

        int hp() {
            return h + 2 * padH;
        }

        int wp() {
            return w + 2 * padW;
        }

        int oh() {
            return hp() - kh + 1;
        }

        int ow() {
            return wp() - kw + 1;
        }

        int plane() {
            return hp() * wp();
        }

        int xpSize() {
            return cIn * plane() + wp() + kw + SLACK;
        }

        int taps() {
            return cIn * kh * kw;
        }

        /** Where tap {@code (ci, ky, kx)} reads, relative to the output position: {@code ci plane + ky wp + kx}. */
        int[] offsets() {
            int[] off = new int[taps()];
            for (int ci = 0, t = 0; ci < cIn; ci++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++, t++) {
                        off[t] = ci * plane() + ky * wp() + kx;
                    }
                }
            }
            return off;
        }

        /**
         * Image {@code b} of {@code x [n, cIn, h, w]} into {@code xp}, each plane zero-padded,
         * then zeros to the end of the buffer (the slack past the last plane).
         */
        void pad(float[] x, int b, float[] xp) {
            int xOff = b * cIn * h * w;
            if (padH == 0 && padW == 0) {
                // the planes are the image as it is: one copy (1.7 us for 64 x 14 x 14 on the Zen 3, 6.7 a row at a
                // time)
                System.arraycopy(x, xOff, xp, 0, cIn * h * w);
                Arrays.fill(xp, cIn * h * w, xpSize(), 0f);
                return;
            }
            Arrays.fill(xp, 0, xpSize(), 0f);
            for (int ci = 0; ci < cIn; ci++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(x, xOff + (ci * h + y) * w, xp, ci * plane() + (y + padH) * wp() + padW, w);
                }
            }
        }
    }

    /** Positions {@code [0, oh Wp)} rounded up to a whole number of the widest vectors. */
    private static int positions(int oh, int wp) {
        return (oh * wp + SLACK - 1) / SLACK * SLACK;
    }

    /**
     * The weight of output channels {@code [c0, c0 + rows)} tap-major at {@code wo}
     * ({@code wb[wo + t * rows + r]}, zeros for channels past {@code cOut}), from
     * {@code w [cOut, cIn, kh, kw]}; with {@code flip}, from the weight of the convolution this
     * one transposes, {@code [cIn, cOut, kh, kw]} read with its two channel axes swapped and the
     * kernel turned by 180 degrees.
     */
    private static void block(
            float[] w, int c0, int rows, int cOut, int cIn, int kh, int kw, boolean flip, float[] wb, int wo) {
        int taps = cIn * kh * kw;
        for (int r = 0; r < rows; r++) {
            int c = c0 + r;
            for (int ci = 0; ci < cIn; ci++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int t = (ci * kh + ky) * kw + kx;
                        float v = 0;
                        if (c < cOut) {
                            v = flip ? w[((ci * cOut + c) * kh + kh - 1 - ky) * kw + kw - 1 - kx] : w[c * taps + t];
                        }
                        wb[wo + t * rows + r] = v;
                    }
                }
            }
        }
    }

    /**
     * The weight in the layout {@link #forward} reads: blocks of {@value #ROWS} output channels,
     * or of {@value #WIDE} when {@link #wide}, each tap-major and zero past {@code cOut}. Built
     * once per call, before the images are shared out.
     *
     * @param wt {@code [cOut, cIn, kh, kw]}, or with {@code flip} the weight of the convolution
     *     this one transposes, {@code [cIn, cOut, kh, kw]}, read with its two channel axes
     *     swapped and the kernel turned by 180 degrees
     */
    static float[] packWeight(float[] wt, int cIn, int cOut, int kh, int kw, boolean flip) {
        int rows = wide(cOut) ? WIDE : ROWS;
        int taps = cIn * kh * kw;
        int blocks = (cOut + rows - 1) / rows;
        float[] wb = new float[blocks * rows * taps];
        for (int i = 0; i < blocks; i++) {
            block(wt, i * rows, rows, cOut, cIn, kh, kw, flip, wb, i * rows * taps);
        }
        return wb;
    }

    /**
     * {@code out[b] = conv(x[b], w)} for images {@code [b0, b1)} on the calling thread:
     * {@code x [n, cIn, h, w]} with the kernel and padding of {@code geo}, {@code wb} the weight
     * from {@link #packWeight}, {@code bias}
     * {@code [cOut]} or null, {@code out} {@code [n, cOut, oh, ow]}, every element of which is
     * written.
     */
    static void forward(
            Kernels kern, float[] x, Padded geo, float[] wb, int cOut, float[] bias, float[] out, int b0, int b1) {
        if (wide(cOut)) {
            forwardWide(kern, x, geo, wb, cOut, bias, out, b0, b1);
            return;
        }
        int wp = geo.wp();
        int oh = geo.oh();
        int ow = geo.ow();
        int q1 = positions(oh, wp);
        int taps = geo.taps();
        int blocks = (cOut + ROWS - 1) / ROWS;
        int[] off = geo.offsets();
        Buffers buf = Buffers.get();
        float[] xp = buf.floats(Buffers.COLUMNS, geo.xpSize());
        float[] op = buf.floats(Buffers.TILE, ROWS * q1);
        for (int b = b0; b < b1; b++) {
            geo.pad(x, b, xp);
            for (int i = 0; i < blocks; i++) {
                int c0 = i * ROWS;
                int live = Math.min(ROWS, cOut - c0);
                if (live <= 2) {
                    kern.conv2F(xp, off, taps, wb, i * ROWS * taps, op, q1);
                } else {
                    kern.conv4F(xp, off, taps, wb, i * ROWS * taps, op, q1);
                }
                for (int r = 0; r < live; r++) {
                    store(op, r * q1, wp, out, ((b * cOut + c0 + r) * oh) * ow, oh, ow, bias, c0 + r);
                }
            }
        }
    }

    /**
     * One output plane from the padded-width layout at {@code from} (rows {@code wp} apart) into
     * {@code out} at {@code to}, dropping the extra columns, with {@code bias[c]} added to every
     * element when there is a bias: the same rounding as adding it afterwards.
     */
    private static void store(float[] op, int from, int wp, float[] out, int to, int oh, int ow, float[] bias, int c) {
        // without extra columns (a kernel one wide) the plane is one run, not oh short ones
        int rows = wp == ow ? 1 : oh;
        int run = wp == ow ? oh * ow : ow;
        if (bias == null) {
            for (int oy = 0; oy < rows; oy++) {
                System.arraycopy(op, from + oy * wp, out, to + oy * ow, run);
            }
            return;
        }
        float bc = bias[c];
        for (int oy = 0; oy < rows; oy++) {
            int src = from + oy * wp;
            int dst = to + oy * ow;
            for (int i = 0; i < run; i++) {
                out[dst + i] = op[src + i] + bc;
            }
        }
    }

    /**
     * {@code dw += sum_{b in [b0, b1)} g[b] (x) x[b]}, the weight gradient of {@link #forward}
     * (without flip), images in order, on the calling thread: {@code x} as there, described by
     * {@code geo}, {@code g [n, cOut, oh, ow]},
     * {@code dw [cOut, cIn, kh, kw]}. Each image's sums over its pixels are added to a
     * per-call accumulator, which is added to {@code dw} at the end.
     */
    static void weightGradient(Kernels kern, float[] x, Padded geo, float[] g, int cOut, float[] dw, int b0, int b1) {
        if (wide(cOut)) {
            weightGradientWide(kern, x, geo, g, cOut, dw, b0, b1);
            return;
        }
        int wp = geo.wp();
        int oh = geo.oh();
        int ow = geo.ow();
        int q1 = positions(oh, wp);
        int taps = geo.taps();
        int blocks = (cOut + ROWS - 1) / ROWS;
        int[] off = geo.offsets();
        Buffers buf = Buffers.get();
        float[] xp = buf.floats(Buffers.COLUMNS, geo.xpSize());
        float[] gp = buf.floats(Buffers.TILE, ROWS * q1);
        int lanes = kern.convWeightLanes();
        float[] acc = buf.floats(Buffers.PACK_A, blocks * ROWS * taps * lanes);
        Arrays.fill(acc, 0, blocks * ROWS * taps * lanes, 0f);
        for (int b = b0; b < b1; b++) {
            geo.pad(x, b, xp);
            for (int i = 0; i < blocks; i++) {
                int c0 = i * ROWS;
                // the gradient in the padded-width layout, zero in the extra columns, the tail and absent channels
                Arrays.fill(gp, 0, ROWS * q1, 0f);
                for (int r = 0; r < Math.min(ROWS, cOut - c0); r++) {
                    for (int oy = 0; oy < oh; oy++) {
                        System.arraycopy(g, ((b * cOut + c0 + r) * oh + oy) * ow, gp, r * q1 + oy * wp, ow);
                    }
                }
                kern.convWeight4F(xp, off, taps, gp, q1, acc, i * ROWS * taps * lanes);
            }
        }
        // each tap's lanes added in order, once for all the images
        for (int c = 0; c < cOut; c++) {
            int i = c / ROWS;
            int r = c % ROWS;
            for (int t = 0; t < taps; t++) {
                int a = (i * ROWS * taps + t * ROWS + r) * lanes;
                float s = 0;
                for (int l = 0; l < lanes; l++) {
                    s += acc[a + l];
                }
                dw[c * taps + t] += s;
            }
        }
    }

    /**
     * {@link #forward} for many output channels: {@link Kernels#conv8F} over blocks of
     * {@value #WIDE} output channels and of {@value #TAP_BLOCK} taps, positions
     * {@code [0, oh Wp)} rounded up to a multiple of 16.
     */
    private static void forwardWide(
            Kernels kern, float[] x, Padded geo, float[] wb, int cOut, float[] bias, float[] out, int b0, int b1) {
        int wp = geo.wp();
        int oh = geo.oh();
        int ow = geo.ow();
        int q1 = (oh * wp + 15) / 16 * 16;
        int taps = geo.taps();
        int blocks = (cOut + WIDE - 1) / WIDE;
        int[] off = geo.offsets();
        Buffers buf = Buffers.get();
        float[] xp = buf.floats(Buffers.COLUMNS, geo.xpSize());
        float[] op = buf.floats(Buffers.TILE, WIDE * q1);
        for (int b = b0; b < b1; b++) {
            geo.pad(x, b, xp);
            for (int i = 0; i < blocks; i++) {
                for (int t0 = 0; t0 < taps; t0 += TAP_BLOCK) {
                    kern.conv8F(
                            xp, off, t0, Math.min(taps, t0 + TAP_BLOCK), wb, i * WIDE * taps, op, q1, 0, q1, t0 > 0);
                }
                int c0 = i * WIDE;
                for (int r = 0; r < Math.min(WIDE, cOut - c0); r++) {
                    store(op, r * q1, wp, out, ((b * cOut + c0 + r) * oh) * ow, oh, ow, bias, c0 + r);
                }
            }
        }
    }

    /**
     * {@link #weightGradient} for many output channels: each image's output gradient is
     * transposed to position-major rows ({@code gt[q cp + c]}, {@code cp} the channels padded to
     * a multiple of 16, zero where no output pixel is), then {@link Kernels#convWeightWideF}
     * sums, for every tap and channel, over the positions, into a per-call accumulator
     * {@code acc[t cp + c]} added to {@code dw} at the end.
     */
    private static void weightGradientWide(
            Kernels kern, float[] x, Padded geo, float[] g, int cOut, float[] dw, int b0, int b1) {
        int wp = geo.wp();
        int oh = geo.oh();
        int ow = geo.ow();
        int nq = oh * wp;
        int cp = (cOut + CHANNEL_ALIGN - 1) / CHANNEL_ALIGN * CHANNEL_ALIGN;
        int taps = geo.taps();
        int[] off = geo.offsets();
        Buffers buf = Buffers.get();
        float[] xp = buf.floats(Buffers.COLUMNS, geo.xpSize());
        float[] gt = buf.floats(Buffers.TILE, nq * cp);
        float[] acc = buf.floats(Buffers.PACK_A, taps * cp);
        Arrays.fill(acc, 0, taps * cp, 0f);
        Arrays.fill(gt, 0, nq * cp, 0f);
        for (int b = b0; b < b1; b++) {
            geo.pad(x, b, xp);
            // the extra columns and channels stay zero from the fill: only pixels are written
            int gb = b * cOut * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int dst = (oy * wp + ox) * cp;
                    int src = gb + oy * ow + ox;
                    for (int c = 0; c < cOut; c++) {
                        gt[dst + c] = g[src + c * oh * ow];
                    }
                }
            }
            kern.convWeightWideF(xp, off, 0, taps, gt, cp, 0, cp, nq, acc);
        }
        for (int c = 0; c < cOut; c++) {
            for (int t = 0; t < taps; t++) {
                dw[c * taps + t] += acc[t * cp + c];
            }
        }
    }
}
