package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
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
     * @param in input channels
     * @param out output channels
     * @param kernel the odd kernel size (Glow uses 3)
     */
    public Conv2dZeros(Backend backend, DType dtype, int in, int out, int kernel) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Conv2d.checkSizes(in, out, kernel);
        this.in = in;
        this.out = out;
        Tensor w = Tensor.full(backend, dtype, Shape.of(out, in, kernel, kernel), 0);
        Tensor b = Tensor.zeros(backend, dtype, out);
        Tensor s = Tensor.zeros(backend, dtype, out);
        this.weight = parameter("weight", w);
        this.bias = parameter("bias", b);
        this.logs = parameter("logs", s);
        w.free();
        b.free();
        s.free();
    }

    /** The number of parameters: {@code out in k k + 2 out}. */
    public static long parameterCount(int in, int out, int kernel) {
        return Conv2d.parameterCount(in, out, kernel, true) + out;
    }

    @Override
    public Tensor apply(Tensor x) {
        Conv2d.checkInput("Conv2dZeros", x, in);
        Tensor scale = logs.value().mul(LOGSCALE_FACTOR).exp().reshape(1, out, 1, 1);
        return x.conv2d(weight.value()).add(bias.value().reshape(1, out, 1, 1)).mul(scale);
    }

    @Override
    public String toString() {
        return "Conv2dZeros(" + in + " -> " + out + ")";
    }
}
