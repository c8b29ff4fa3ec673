package org.flows4j.backend.cpu;

import org.flows4j.api.Shape;

/**
 * Direct NCHW cross-correlation, stride 1, zero padding, and its two adjoints, in double
 * precision. With {@code oy = iy - ky + padH} (and likewise for columns):
 * <pre>
 *   out[b, co, oy, ox] = sum_{ci, ky, kx} x[b, ci, oy + ky - padH, ox + kx - padW] * w[co, ci, ky, kx]
 *   dX[b, ci, iy, ix]  = sum_{co, ky, kx} g[b, co, iy - ky + padH, ix - kx + padW] * w[co, ci, ky, kx]
 *   dW[co, ci, ky, kx] = sum_{b, oy, ox}  g[b, co, oy, ox] * x[b, ci, oy + ky - padH, ox + kx - padW]
 * </pre>
 * where out-of-range input positions read as zero. Each kernel loops over one kernel tap at a
 * time and then over the output rows and the columns whose input position is in range, so the
 * innermost loop is a unit-stride multiply-add with no bounds test. Work is split across
 * threads by plane of the result ({@code (b, co)}, {@code (b, ci)} or {@code (co, ci)}), so
 * every thread writes its own elements.
 */
final class Convolution {

    private Convolution() {
    }

    /** The geometry shared by the three kernels. */
    private record Geometry(int n, int cIn, int h, int w, int cOut, int kh, int kw, int padH, int padW) {

        static Geometry of(Shape input, Shape weight, int padH, int padW) {
            return new Geometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3),
                    weight.dim(0), weight.dim(2), weight.dim(3), padH, padW);
        }

        int oh() {
            return h + 2 * padH - kh + 1;
        }

        int ow() {
            return w + 2 * padW - kw + 1;
        }

        Shape outputShape() {
            return Shape.of(n, cOut, oh(), ow());
        }

        long work() {
            return (long) n * cOut * cIn * kh * kw * oh() * ow();
        }

        /** The first output column whose input column {@code ox + kx - padW} is {@code >= 0}. */
        int firstOx(int kx) {
            return Math.max(0, padW - kx);
        }

        /** One past the last output column whose input column is {@code < w}. */
        int endOx(int kx) {
            return Math.min(ow(), w + padW - kx);
        }

        int firstOy(int ky) {
            return Math.max(0, padH - ky);
        }

        int endOy(int ky) {
            return Math.min(oh(), h + padH - ky);
        }
    }

    /** {@code input [n, cIn, h, w]} correlated with {@code weight [cOut, cIn, kh, kw]}. */
    static CpuStorage forward(CpuStorage input, CpuStorage weight, int padH, int padW, Parallel parallel) {
        Geometry g = Geometry.of(input.shape(), weight.shape(), padH, padW);
        double[] x = input.readDoubles();
        double[] wt = weight.readDoubles();
        int outPlane = g.oh() * g.ow();
        double[] out = new double[g.n() * g.cOut() * outPlane];
        parallel.forEach(g.n() * g.cOut(), g.work(), plane -> {
            int b = plane / g.cOut();
            int co = plane - b * g.cOut();
            for (int ci = 0; ci < g.cIn(); ci++) {
                int wBase = (co * g.cIn() + ci) * g.kh() * g.kw();
                shiftedProducts(g, wt, wBase, x, (b * g.cIn() + ci) * g.h() * g.w(), out, plane * outPlane, false);
            }
        });
        return CpuStorage.fromComputed(out, g.outputShape(), input.dtype());
    }

    /** The gradient with respect to the input, of {@code inputShape}. */
    static CpuStorage backwardInput(CpuStorage gradOutput, CpuStorage weight, Shape inputShape, int padH, int padW,
                                    Parallel parallel) {
        Geometry g = Geometry.of(inputShape, weight.shape(), padH, padW);
        double[] go = gradOutput.readDoubles();
        double[] wt = weight.readDoubles();
        int outPlane = g.oh() * g.ow();
        double[] dx = new double[inputShape.size()];
        parallel.forEach(g.n() * g.cIn(), g.work(), plane -> {
            int b = plane / g.cIn();
            int ci = plane - b * g.cIn();
            for (int co = 0; co < g.cOut(); co++) {
                int wBase = (co * g.cIn() + ci) * g.kh() * g.kw();
                shiftedProducts(g, wt, wBase, dx, plane * g.h() * g.w(), go, (b * g.cOut() + co) * outPlane, true);
            }
        });
        return CpuStorage.fromComputed(dx, inputShape, gradOutput.dtype());
    }

    /**
     * For each tap {@code w[ky, kx]} of one {@code (co, ci)} kernel, starting at {@code wBase},
     * multiplies one plane by the tap and adds it, shifted by the tap's offset, into the other:
     * an output plane of {@code oh x ow} from an input plane of {@code h x w} (the forward
     * pass), or back ({@code toInput}, the adjoint). Both directions pair the same elements,
     * input {@code (oy + ky - padH, ox + kx - padW)} with output {@code (oy, ox)}.
     */
    private static void shiftedProducts(Geometry g, double[] wt, int wBase, double[] input, int inputPlane,
                                        double[] output, int outputPlane, boolean toInput) {
        int w = g.w();
        int ow = g.ow();
        for (int ky = 0; ky < g.kh(); ky++) {
            for (int kx = 0; kx < g.kw(); kx++) {
                double tap = wt[wBase + ky * g.kw() + kx];
                int x0 = g.firstOx(kx);
                int x1 = g.endOx(kx);
                for (int oy = g.firstOy(ky), y1 = g.endOy(ky); oy < y1; oy++) {
                    int in = inputPlane + (oy + ky - g.padH()) * w + kx - g.padW();
                    int out = outputPlane + oy * ow;
                    if (toInput) {
                        for (int ox = x0; ox < x1; ox++) {
                            input[in + ox] += tap * output[out + ox];
                        }
                    } else {
                        for (int ox = x0; ox < x1; ox++) {
                            output[out + ox] += tap * input[in + ox];
                        }
                    }
                }
            }
        }
    }

    /** The gradient with respect to the weight, of {@code weightShape}. */
    static CpuStorage backwardWeight(CpuStorage input, CpuStorage gradOutput, Shape weightShape, int padH, int padW,
                                     Parallel parallel) {
        Geometry g = Geometry.of(input.shape(), weightShape, padH, padW);
        double[] x = input.readDoubles();
        double[] go = gradOutput.readDoubles();
        int oh = g.oh();
        int ow = g.ow();
        int khw = g.kh() * g.kw();
        double[] dw = new double[weightShape.size()];
        parallel.forEach(g.cOut() * g.cIn(), g.work(), pair -> {
            int co = pair / g.cIn();
            int ci = pair - co * g.cIn();
            int d = pair * khw;
            for (int b = 0; b < g.n(); b++) {
                int xPlane = (b * g.cIn() + ci) * g.h() * g.w();
                int gPlane = (b * g.cOut() + co) * oh * ow;
                for (int ky = 0; ky < g.kh(); ky++) {
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int x0 = g.firstOx(kx);
                        int x1 = g.endOx(kx);
                        double s = 0;
                        for (int oy = g.firstOy(ky), y1 = g.endOy(ky); oy < y1; oy++) {
                            int src = xPlane + (oy + ky - padH) * g.w() + kx - padW;
                            int gr = gPlane + oy * ow;
                            for (int ox = x0; ox < x1; ox++) {
                                s += go[gr + ox] * x[src + ox];
                            }
                        }
                        dw[d + ky * g.kw() + kx] += s;
                    }
                }
            }
        });
        return CpuStorage.fromComputed(dw, weightShape, input.dtype());
    }
}
