package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * Glow's {@code Conv2dZeros}: a same-padded convolution with bias whose output is scaled by a
 * learned per-channel factor, all starting at zero:
 * <pre>
 *   y = (conv(x, W) + b) * exp(LOGSCALE_FACTOR * logs),   LOGSCALE_FACTOR = 3
 * </pre>
 *
 * <p>Shapes (NCHW): input {@code [batch, in, h, w]}, {@code W [out, in, k, k]}, {@code b [out]}
 * and {@code logs [out]} (both broadcast as {@code [1, out, 1, 1]}), output
 * {@code [batch, out, h, w]}. Parameters: {@code weight}, {@code bias}, {@code logs}.
 *
 * <p>It ends Glow's coupling network and computes the learned prior of a factored-out half,
 * so a fresh flow is the identity and a fresh prior is standard normal. The factor 3 (Glow's
 * {@code logscale_factor}) makes the scale learn three times faster than a plain
 * parameter would.
 */
public final class Conv2dZeros extends AbstractComponent implements Layer {

    /** The multiplier of {@code logs}, Glow's {@code logscale_factor}. */
    public static final double LOGSCALE_FACTOR = 3.0;

    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter logs;

    /**
     * A zero-initialized convolution from {@code in} to {@code out} channels with a
     * {@code kernel x kernel} kernel, followed by the learned per-channel scale.
     *
     * @param ctx where the parameters live; nothing is drawn from its random source
     * @param in input channels
     * @param out output channels
     * @param kernel the odd kernel size (Glow uses 3)
     * @throws IllegalArgumentException naming the size that is not positive, or the kernel
     *     size if it is not odd
     */
    public Conv2dZeros(BuildContext ctx, int in, int out, int kernel) {
        Objects.requireNonNull(ctx, "ctx");
        Conv2d.checkSizes(in, out, kernel);
        this.in = in;
        this.out = out;
        Tensor w = ctx.zeros(Shape.of(out, in, kernel, kernel));
        Tensor b = ctx.zeros(Shape.of(out));
        Tensor s = ctx.zeros(Shape.of(out));
        this.weight = parameter("weight", w);
        this.bias = parameter("bias", b);
        this.logs = parameter("logs", s);
        w.free();
        b.free();
        s.free();
    }

    @Override
    public Tensor apply(Tensor x) {
        Conv2d.checkInput("Conv2dZeros", x, in);
        Tensor scale = logs.value().mul(LOGSCALE_FACTOR).exp().reshape(1, out, 1, 1);
        Tensor w = weight.value();
        return x.conv2d(w, bias.value(), w.shape().dim(2) / 2, w.shape().dim(3) / 2)
                .mul(scale);
    }

    @Override
    public String toString() {
        return "Conv2dZeros(" + in + " -> " + out + ")";
    }
}
