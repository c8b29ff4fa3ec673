package org.flows4j.backend.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Elementwise passes that the native backends run from Java over their engines' memory, seen as
 * direct {@link ByteBuffer}s, with the Vector API: where an engine needs several calls and
 * temporaries for what is one pass (PyTorch's sign gives 0 at NaN, so djl's SIGN took three
 * calls; ReLU's backward pass, {@code g * sign(y)}, one more). Each computes exactly what the
 * SPI's composition computes, operation by operation in the dtype, so the bits agree with the
 * composed form ({@code DirectElementwiseTest}).
 *
 * <p>Available when {@link DirectAdam#available()} is (the same incubator module); callers check
 * that first and that the buffers are direct and hold {@code n} elements from position 0 (their
 * byte order does not matter: the elements are read in the platform's).
 */
public final class DirectElementwise {

    private DirectElementwise() {}

    /**
     * Whether the loops can run: the Vector API is present.
     *
     * @return the same as {@link DirectAdam#available()}: true when {@link #sign} and
     *         {@link #reluBackward} may be called
     */
    public static boolean available() {
        return DirectAdam.available();
    }

    /**
     * {@code out = sign(in)} for {@code n} elements: +-1 off zero, +0 at both zeros, NaN at NaN.
     *
     * @param in the input elements; only read
     * @param out receives the signs
     * @param n the number of elements, at most the capacity of each buffer in elements
     * @param float32 true when both buffers hold {@code float}s, false when they hold {@code double}s
     */
    public static void sign(ByteBuffer in, ByteBuffer out, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        in = in.duplicate().order(order);
        out = out.duplicate().order(order);
        if (float32) {
            DirectElementwiseLanes.signFloats(in, out, n, order);
        } else {
            DirectElementwiseLanes.signDoubles(in, out, n, order);
        }
    }

    /**
     * {@code out = g * sign(y)} for {@code n} elements (ReLU's backward pass from its output): the
     * sign as {@link #sign} computes it, then one rounded product.
     *
     * @param g the gradient of the loss with respect to ReLU's output; only read
     * @param y ReLU's output from the forward pass; only read
     * @param out receives the gradient with respect to ReLU's input
     * @param n the number of elements, at most the capacity of each buffer in elements
     * @param float32 true when the buffers hold {@code float}s, false when they hold {@code double}s
     */
    public static void reluBackward(ByteBuffer g, ByteBuffer y, ByteBuffer out, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        g = g.duplicate().order(order);
        y = y.duplicate().order(order);
        out = out.duplicate().order(order);
        if (float32) {
            DirectElementwiseLanes.reluBackwardFloats(g, y, out, n, order);
        } else {
            DirectElementwiseLanes.reluBackwardDoubles(g, y, out, n, order);
        }
    }
}
