package org.flows4j.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * conv2d (NCHW, stride 1) and its two gradients. DJL exposes PyTorch's forward convolution
 * only, so both gradients are written as forward convolutions:
 *
 * <ul>
 *   <li>with respect to the input, a full correlation of the output gradient with the weight
 *       flipped in both spatial axes and with its channel axes swapped, padded by
 *       {@code k - 1 - pad} (a padding wider than {@code k - 1} becomes a crop);</li>
 *   <li>with respect to the weight, a correlation of the input with the output gradient in
 *       which the batch axis plays the channels: {@code dW[o, i] = sum_n x[n, i] * g[n, o]},
 *       i.e. conv2d of {@code x} as {@code [cIn, n, h, w]} with {@code g} as
 *       {@code [cOut, n, oh, ow]}, padded as the forward pass, then the two channel axes swapped.</li>
 * </ul>
 */
final class Convolutions {

    private static final Shape UNIT = new Shape(1, 1);

    private Convolutions() {}

    /** PyTorch's conv2d without bias. */
    static NDArray forward(NDArray x, NDArray w, int padH, int padW) {
        return x.getNDArrayInternal()
                .convolution(x, w, null, UNIT, new Shape(padH, padW), UNIT, 1)
                .singletonOrThrow();
    }

    static NDArray backwardInput(NDArray g, NDArray w, org.flows4j.api.Shape inputShape, int padH, int padW) {
        long kh = w.getShape().get(2);
        long kw = w.getShape().get(3);
        int qh = (int) kh - 1 - padH;
        int qw = (int) kw - 1 - padW;
        try (Temps t = new Temps()) {
            NDArray flipped = t.add(t.add(w.flip(2, 3)).transpose(1, 0, 2, 3));
            NDArray full = forward(g, flipped, Math.max(qh, 0), Math.max(qw, 0));
            if (qh >= 0 && qw >= 0) {
                return full;
            }
            t.add(full);
            int h = inputShape.dim(2);
            int wd = inputShape.dim(3);
            int top = Math.max(-qh, 0);
            int left = Math.max(-qw, 0);
            NDIndex crop = new NDIndex().addAllDim(2).addSliceDim(top, top + h).addSliceDim(left, left + wd);
            return t.add(full.get(crop)).duplicate();
        }
    }

    static NDArray backwardWeight(NDArray x, NDArray g, org.flows4j.api.Shape weightShape, int padH, int padW) {
        try (Temps t = new Temps()) {
            NDArray xt = t.add(x.transpose(1, 0, 2, 3));
            NDArray gt = t.add(g.transpose(1, 0, 2, 3));
            NDArray r = t.add(forward(xt, gt, padH, padW));
            return DjlBackend.contiguous(t.add(r.transpose(1, 0, 2, 3)), weightShape, t);
        }
    }
}
