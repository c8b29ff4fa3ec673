package org.flows4j.backend.cpu;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.UnaryOp;

/**
 * NCHW cross-correlation, stride 1, zero padding, and its two adjoints, as matrix products.
 * With {@code K = cIn kh kw} and {@code P = oh ow}, the column matrix of one image
 * ({@code im2col}) is {@code col[(ci, ky, kx), (oy, ox)] = x[ci, oy + ky - padH, ox + kx - padW]}
 * (zero out of range), {@code K x P}, and the weight is the {@code cOut x K} matrix {@code W}:
 * <pre>
 *   out[b] = W · col(x[b])                       (cOut x P)
 *   dX[b]  = col2im(W^T · g[b])                  (col2im adds each column entry back to its pixel)
 *   dW     = sum_b g[b] · col(x[b])^T            (cOut x K)
 * </pre>
 * all through {@link Gemm}. A 1x1 kernel without padding needs no column matrix: the image
 * itself is {@code col}. The column matrix of one image lives in a per-thread buffer. In
 * float32, every convolution skips the column matrix, which is written once by
 * {@code im2col}, once more by the packing, and read for few multiply-adds per element:
 * {@link DirectConv}; so do 1x1 ones of up to {@link DirectConv#pointwiseLimit()} channel pairs,
 * whose per-image products are too small for the packing to pay. The packed path serves float64
 * and wider 1x1 kernels.
 *
 * <p><b>Threads.</b> With at least as many images as threads, each thread claims the next
 * image until none is left ({@link Parallel#forEachBalanced}: a thread slowed by another process
 * does fewer), and each product runs on one thread; otherwise images go one by one and each product is split. The
 * weight gradient sums over images, so its images are cut into a fixed number of chunks
 * (at most {@value #WEIGHT_CHUNKS}, chosen from the shapes alone) summed separately and then
 * added in chunk order: the result does not depend on the thread count.
 */
final class Convolution {

    /** Most partial weight gradients summed in parallel. */
    static final int WEIGHT_CHUNKS = 8;
    /** Most elements of extra partial weight gradients (16 MiB of floats) before fewer chunks are used. */
    private static final long PARTIALS_LIMIT = 1L << 22;

    private Convolution() {}

    /** The geometry shared by the three kernels. */
    private record Geometry(int n, int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {

        static Geometry of(Shape input, Shape weight, int padH, int padW) {
            return new Geometry(
                    input.dim(0),
                    input.dim(1),
                    input.dim(2),
                    input.dim(3),
                    weight.dim(0),
                    weight.dim(2),
                    weight.dim(3),
                    padH,
                    padW);
        }

        int oh() {
            return h + 2 * padH - kh + 1;
        }

        int ow() {
            return w + 2 * padW - kw + 1;
        }

        /** Rows of the column matrix. */
        int k() {
            return cIn * kh * kw;
        }

        /** Columns of the column matrix: output pixels per channel. */
        int p() {
            return oh() * ow();
        }

        int imageSize() {
            return cIn * h * w;
        }

        Shape outputShape() {
            return Shape.of(n, cOut, oh(), ow());
        }

        long work() {
            return (long) n * cOut * k() * p();
        }

        /** A 1x1 kernel without padding: the image is its own column matrix. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && padH == 0 && padW == 0;
        }

        /** The first output column whose input column {@code ox + kx - padW} is {@code >= 0}. */
        int firstOx(int kx) {
            return Math.max(0, padW - kx);
        }

        /** One past the last output column whose input column is {@code < w}. */
        int endOx(int kx) {
            return Math.min(ow(), w + padW - kx);
        }
    }

    /** A body run for one image, with the parallelism its own products may use. */
    @FunctionalInterface
    private interface PerImage {
        void run(int image, Parallel inner);
    }

    /** Images shared out over the threads when there are enough of them, else one by one with parallel products. */
    private static void eachImage(Geometry g, Parallel parallel, PerImage body) {
        if (g.n() > 1 && g.n() >= parallel.threads()) {
            parallel.forEachBalanced(g.n(), g.work(), b -> body.run(b, Parallel.SERIAL));
        } else {
            for (int b = 0; b < g.n(); b++) {
                body.run(b, parallel);
            }
        }
    }

    /**
     * {@code input [n, cIn, h, w]} correlated with {@code weight [cOut, cIn, kh, kw]}, plus
     * {@code bias [cOut]} on each output channel when it is not null (added to each rounded sum,
     * as a separate addition would).
     * Then a ReLU when {@code relu}: applied to each image's output block as soon as the image
     * is done, while it is in cache, instead of in a pass of its own; ReLU is exact, so the values
     * are those of the composition.
     */
    static CpuStorage forward(
            CpuStorage input,
            CpuStorage weight,
            CpuStorage bias,
            int padH,
            int padW,
            boolean relu,
            Kernels kern,
            Parallel parallel,
            ArrayPool pool) {
        Geometry g = Geometry.of(input.shape(), weight.shape(), padH, padW);
        // each image's product stores all of its output block
        CpuStorage out = CpuStorage.uninitialized(g.outputShape(), input.dtype(), pool);
        Object x = input.array();
        Object wt = weight.array();
        Object o = out.array();
        boolean f32 = input.dtype() == DType.FLOAT32;
        if (f32 && DirectConv.applies(g.cIn(), g.cOut(), g.kh(), g.kw(), padH, padW)) {
            float[] wb = DirectConv.packWeight((float[]) wt, g.cIn(), g.cOut(), g.kh(), g.kw(), false);
            DirectConv.Padded geo = new DirectConv.Padded(g.cIn(), g.h(), g.w(), g.kh(), g.kw(), padH, padW);
            float[] bf = bias == null ? null : bias.floats();
            int block = g.cOut() * g.p();
            parallel.forEachBalanced(g.n(), g.work(), b -> {
                DirectConv.forward(kern, (float[]) x, geo, wb, g.cOut(), bf, (float[]) o, b, b + 1);
                if (relu) {
                    Fused.activateInPlace(kern, o, b * block, block, UnaryOp.RELU);
                }
            });
            return out;
        }
        int k = g.k();
        int p = g.p();
        eachImage(g, parallel, (b, inner) -> {
            Object col = x;
            int colOff = b * g.imageSize();
            if (!g.pointwise()) {
                col = columns(f32, k * p);
                colOff = 0;
                im2col(g, x, b * g.imageSize(), col);
            }
            Gemm.gemm(
                    kern, inner, g.cOut(), p, k, wt, 0, k, false, col, colOff, p, false, o, b * g.cOut() * p, p, false);
            // the image's bias and ReLU while its block is in cache
            if (bias != null) {
                addBias(o, bias.array(), b, g.cOut(), p);
            }
            if (relu) {
                Fused.activateInPlace(kern, o, b * g.cOut() * p, g.cOut() * p, UnaryOp.RELU);
            }
        });
        return out;
    }

    /** {@code out[b, c, :] += bias[c]} for image {@code b} of {@code channels} planes of {@code p}. */
    private static void addBias(Object out, Object bias, int b, int channels, int p) {
        for (int c = 0; c < channels; c++) {
            int at = (b * channels + c) * p;
            if (out instanceof float[] f) {
                float bc = ((float[]) bias)[c];
                for (int i = at; i < at + p; i++) {
                    f[i] += bc;
                }
            } else {
                double[] d = (double[]) out;
                double bc = ((double[]) bias)[c];
                for (int i = at; i < at + p; i++) {
                    d[i] += bc;
                }
            }
        }
    }

    /** The gradient with respect to the input, of {@code inputShape}. */
    static CpuStorage backwardInput(
            CpuStorage gradOutput,
            CpuStorage weight,
            Shape inputShape,
            int padH,
            int padW,
            Kernels kern,
            Parallel parallel,
            ArrayPool pool) {
        return backwardInput(gradOutput, weight, inputShape, padH, padW, null, kern, parallel, pool);
    }

    /**
     * The gradient with respect to the input, of {@code inputShape}; with {@code reluOutput}
     * (the input was {@code relu(x)} and this is {@code relu(x)}), the gradient of {@code x}:
     * each image's gradient passes through the ReLU ({@link Fused#reluMask}) as soon as it is
     * computed, while it is in cache, with the bits of a separate {@code reluBackward}.
     */
    static CpuStorage backwardInput(
            CpuStorage gradOutput,
            CpuStorage weight,
            Shape inputShape,
            int padH,
            int padW,
            CpuStorage reluOutput,
            Kernels kern,
            Parallel parallel,
            ArrayPool pool) {
        Geometry g = Geometry.of(inputShape, weight.shape(), padH, padW);
        int fullH = g.kh() - 1 - padH;
        int fullW = g.kw() - 1 - padW;
        if (gradOutput.dtype() == DType.FLOAT32
                && fullH >= 0
                && fullW >= 0
                && DirectConv.applies(g.cOut(), g.cIn(), g.kh(), g.kw(), fullH, fullW)) {
            // the full correlation of the gradient with the flipped, transposed weight: every element stored
            CpuStorage dx = CpuStorage.uninitialized(inputShape, gradOutput.dtype(), pool);
            float[] go = gradOutput.floats();
            float[] wt = weight.floats();
            float[] d = dx.floats();
            float[] wb = DirectConv.packWeight(wt, g.cOut(), g.cIn(), g.kh(), g.kw(), true);
            DirectConv.Padded geo = new DirectConv.Padded(g.cOut(), g.oh(), g.ow(), g.kh(), g.kw(), fullH, fullW);
            parallel.forEachBalanced(g.n(), g.work(), b -> {
                DirectConv.forward(kern, go, geo, wb, g.cIn(), null, d, b, b + 1);
                if (reluOutput != null) {
                    Fused.reluMask(kern, dx, reluOutput, b * g.imageSize(), g.imageSize());
                }
            });
            return dx;
        }
        // col2im adds into the gradient, a 1x1 product stores all of it
        CpuStorage dx = g.pointwise()
                ? CpuStorage.uninitialized(inputShape, gradOutput.dtype(), pool)
                : CpuStorage.zeros(inputShape, gradOutput.dtype());
        Object go = gradOutput.array();
        Object wt = weight.array();
        Object d = dx.array();
        boolean f32 = gradOutput.dtype() == DType.FLOAT32;
        int k = g.k();
        int p = g.p();
        eachImage(g, parallel, (b, inner) -> {
            int gOff = b * g.cOut() * p;
            if (g.pointwise()) {
                Gemm.gemm(
                        kern,
                        inner,
                        k,
                        p,
                        g.cOut(),
                        wt,
                        0,
                        k,
                        true,
                        go,
                        gOff,
                        p,
                        false,
                        d,
                        b * g.imageSize(),
                        p,
                        false);
            } else {
                Object dcol = columns(f32, k * p);
                Gemm.gemm(kern, inner, k, p, g.cOut(), wt, 0, k, true, go, gOff, p, false, dcol, 0, p, false);
                col2im(g, dcol, d, b * g.imageSize());
            }
            if (reluOutput != null) {
                Fused.reluMask(kern, dx, reluOutput, b * g.imageSize(), g.imageSize());
            }
        });
        return dx;
    }

    /** The gradient with respect to the weight, of {@code weightShape}. */
    static CpuStorage backwardWeight(
            CpuStorage input,
            CpuStorage gradOutput,
            Shape weightShape,
            int padH,
            int padW,
            Kernels kern,
            Parallel parallel) {
        Geometry g = Geometry.of(input.shape(), weightShape, padH, padW);
        CpuStorage dw = CpuStorage.zeros(weightShape, input.dtype());
        boolean f32 = input.dtype() == DType.FLOAT32;
        int size = weightShape.size();
        int chunks = Math.min(g.n(), WEIGHT_CHUNKS);
        while (chunks > 1 && (long) (chunks - 1) * size > PARTIALS_LIMIT) {
            chunks--;
        }
        if (chunks <= 1) {
            addWeightGradient(g, input.array(), gradOutput.array(), 0, g.n(), dw.array(), kern, parallel);
            return dw;
        }
        Object[] partial = new Object[chunks];
        partial[0] = dw.array();
        for (int c = 1; c < chunks; c++) {
            partial[c] = f32 ? new float[size] : new double[size];
        }
        int count = chunks;
        parallel.forEachBalanced(
                count,
                g.work(),
                c -> addWeightGradient(
                        g,
                        input.array(),
                        gradOutput.array(),
                        (int) ((long) g.n() * c / count),
                        (int) ((long) g.n() * (c + 1) / count),
                        partial[c],
                        kern,
                        Parallel.SERIAL));
        for (int c = 1; c < chunks; c++) {
            if (f32) {
                float[] to = (float[]) partial[0];
                float[] from = (float[]) partial[c];
                for (int i = 0; i < size; i++) {
                    to[i] += from[i];
                }
            } else {
                double[] to = (double[]) partial[0];
                double[] from = (double[]) partial[c];
                for (int i = 0; i < size; i++) {
                    to[i] += from[i];
                }
            }
        }
        return dw;
    }

    /** {@code dw += sum_{b in [from, to)} g[b] · col(x[b])^T}, images in order. */
    private static void addWeightGradient(
            Geometry g, Object x, Object go, int from, int to, Object dw, Kernels kern, Parallel parallel) {
        boolean f32 = x instanceof float[];
        if (f32 && DirectConv.applies(g.cIn(), g.cOut(), g.kh(), g.kw(), g.padH(), g.padW())) {
            DirectConv.Padded geo = new DirectConv.Padded(g.cIn(), g.h(), g.w(), g.kh(), g.kw(), g.padH(), g.padW());
            DirectConv.weightGradient(kern, (float[]) x, geo, (float[]) go, g.cOut(), (float[]) dw, from, to);
            return;
        }
        int k = g.k();
        int p = g.p();
        for (int b = from; b < to; b++) {
            Object col = x;
            int colOff = b * g.imageSize();
            if (!g.pointwise()) {
                col = columns(f32, k * p);
                colOff = 0;
                im2col(g, x, b * g.imageSize(), col);
            }
            Gemm.gemm(
                    kern,
                    parallel,
                    g.cOut(),
                    k,
                    p,
                    go,
                    b * g.cOut() * p,
                    p,
                    false,
                    col,
                    colOff,
                    p,
                    true,
                    dw,
                    0,
                    k,
                    true);
        }
    }

    private static Object columns(boolean f32, int size) {
        Buffers buf = Buffers.get();
        return f32 ? buf.floats(Buffers.COLUMNS, size) : buf.doubles(Buffers.COLUMNS, size);
    }

    /**
     * The column matrix of the image at {@code xOff} into {@code col}: row {@code (ci, ky, kx)}
     * is the input plane {@code ci} shifted by the tap, one short copy per output row, zeros
     * where the shifted row or columns fall in the padding. The copies are plain loops: rows
     * are 14 to 64 elements long, too short to amortize a call of {@code System.arraycopy}.
     */
    private static void im2col(Geometry g, Object x, int xOff, Object col) {
        if (col instanceof float[] c) {
            im2col(g, (float[]) x, xOff, c);
        } else {
            im2col(g, (double[]) x, xOff, (double[]) col);
        }
    }

    private static void im2col(Geometry g, float[] x, int xOff, float[] col) {
        int ow = g.ow();
        int row = 0;
        for (int ci = 0; ci < g.cIn(); ci++) {
            int plane = xOff + ci * g.h() * g.w();
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row += g.p()) {
                    // a tap can reach past the whole row when the padding is wider than the input
                    int x0 = Math.min(ow, g.firstOx(kx));
                    int x1 = Math.max(x0, g.endOx(kx));
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int dst = row + oy * ow;
                        int iy = oy + ky - g.padH();
                        if (iy < 0 || iy >= g.h()) {
                            for (int ox = 0; ox < ow; ox++) {
                                col[dst + ox] = 0;
                            }
                            continue;
                        }
                        int src = plane + iy * g.w() + kx - g.padW();
                        for (int ox = 0; ox < x0; ox++) {
                            col[dst + ox] = 0;
                        }
                        for (int ox = x0; ox < x1; ox++) {
                            col[dst + ox] = x[src + ox];
                        }
                        for (int ox = x1; ox < ow; ox++) {
                            col[dst + ox] = 0;
                        }
                    }
                }
            }
        }
    }

    private static void im2col(Geometry g, double[] x, int xOff, double[] col) {
        int ow = g.ow();
        int row = 0;
        for (int ci = 0; ci < g.cIn(); ci++) {
            int plane = xOff + ci * g.h() * g.w();
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row += g.p()) {
                    // a tap can reach past the whole row when the padding is wider than the input
                    int x0 = Math.min(ow, g.firstOx(kx));
                    int x1 = Math.max(x0, g.endOx(kx));
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int dst = row + oy * ow;
                        int iy = oy + ky - g.padH();
                        if (iy < 0 || iy >= g.h()) {
                            for (int ox = 0; ox < ow; ox++) {
                                col[dst + ox] = 0;
                            }
                            continue;
                        }
                        int src = plane + iy * g.w() + kx - g.padW();
                        for (int ox = 0; ox < x0; ox++) {
                            col[dst + ox] = 0;
                        }
                        for (int ox = x0; ox < x1; ox++) {
                            col[dst + ox] = x[src + ox];
                        }
                        for (int ox = x1; ox < ow; ox++) {
                            col[dst + ox] = 0;
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: every entry of {@code col} added to the pixel it was copied from. */
    private static void col2im(Geometry g, Object col, Object dx, int xOff) {
        if (col instanceof float[] c) {
            col2im(g, c, (float[]) dx, xOff);
        } else {
            col2im(g, (double[]) col, (double[]) dx, xOff);
        }
    }

    private static void col2im(Geometry g, float[] col, float[] dx, int xOff) {
        int ow = g.ow();
        int row = 0;
        for (int ci = 0; ci < g.cIn(); ci++) {
            int plane = xOff + ci * g.h() * g.w();
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row += g.p()) {
                    int x0 = g.firstOx(kx);
                    int x1 = g.endOx(kx);
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int iy = oy + ky - g.padH();
                        if (iy < 0 || iy >= g.h()) {
                            continue;
                        }
                        int dst = plane + iy * g.w() + kx - g.padW();
                        int src = row + oy * ow;
                        for (int ox = x0; ox < x1; ox++) {
                            dx[dst + ox] += col[src + ox];
                        }
                    }
                }
            }
        }
    }

    private static void col2im(Geometry g, double[] col, double[] dx, int xOff) {
        int ow = g.ow();
        int row = 0;
        for (int ci = 0; ci < g.cIn(); ci++) {
            int plane = xOff + ci * g.h() * g.w();
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row += g.p()) {
                    int x0 = g.firstOx(kx);
                    int x1 = g.endOx(kx);
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int iy = oy + ky - g.padH();
                        if (iy < 0 || iy >= g.h()) {
                            continue;
                        }
                        int dst = plane + iy * g.w() + kx - g.padW();
                        int src = row + oy * ow;
                        for (int ox = x0; ox < x1; ox++) {
                            dx[dst + ox] += col[src + ox];
                        }
                    }
                }
            }
        }
    }
}
