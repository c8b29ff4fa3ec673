package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * A two-dimensional convolution (cross-correlation, as in every deep-learning library),
 * stride 1, "same" zero padding:
 * <pre>
 *   y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x[n, c, i + u - k/2, j + v - k/2]
 * </pre>
 *
 * <p>Shapes (NCHW): input {@code [batch, in, h, w]}, weight {@code W [out, in, k, k]} with an
 * odd kernel size {@code k}, bias {@code b [out]} (broadcast as {@code [1, out, 1, 1]}, stored
 * flat as in PyTorch), output {@code [batch, out, h, w]}. Parameters are named
 * {@code weight} and {@code bias} (none when made without a bias).
 *
 * <p><b>Initialization.</b> Weight and bias uniform in {@code [-1/sqrt(fanIn), 1/sqrt(fanIn))}
 * with {@code fanIn = in k k}: PyTorch's default for {@code nn.Conv2d}, chosen so networks
 * start as in the Python reference implementations. The weight is drawn first, row-major,
 * then the bias. With {@code zeroInit} everything starts at zero and nothing is drawn.
 */
public final class Conv2d extends AbstractComponent implements Layer {

    private final int in;
    private final int out;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A convolution from {@code in} to {@code out} channels with a {@code kernel x kernel} kernel.
     *
     * @param ctx where the parameters live; its random source is advanced by
     *     {@code out in k k} draws (the weight), then {@code out} (the bias, if any), unless
     *     {@code zeroInit}
     * @param in input channels
     * @param out output channels
     * @param kernel the odd kernel size (1, 3, 5, ...)
     * @param bias whether to add a learned per-channel bias
     * @param zeroInit start at zero, drawing nothing
     * @throws IllegalArgumentException naming the size that is not positive, or the kernel
     *     size if it is not odd
     */
    public Conv2d(BuildContext ctx, int in, int out, int kernel, boolean bias, boolean zeroInit) {
        Objects.requireNonNull(ctx, "ctx");
        checkSizes(in, out, kernel);
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        double bound = Init.bound((long) in * kernel * kernel);
        Tensor w = Init.uniformOrZeros(ctx, Shape.of(out, in, kernel, kernel), bound, zeroInit);
        this.weight = parameter("weight", w);
        w.free();
        if (bias) {
            Tensor b = Init.uniformOrZeros(ctx, Shape.of(out), bound, zeroInit);
            this.bias = parameter("bias", b);
            b.free();
        } else {
            this.bias = null;
        }
    }

    static void checkSizes(int in, int out, int kernel) {
        Init.checkPositive("Conv2d", "in channels", in);
        Init.checkPositive("Conv2d", "out channels", out);
        if (kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException(
                    "Conv2d: the kernel size must be odd and positive for same padding, got " + kernel);
        }
    }

    /**
     * Input channels.
     *
     * @return the size of axis 1 of the input
     */
    public int in() {
        return in;
    }

    /**
     * Output channels.
     *
     * @return the size of axis 1 of the output
     */
    public int out() {
        return out;
    }

    /**
     * The kernel size.
     *
     * @return the odd kernel size {@code k} (the kernel is {@code k x k})
     */
    public int kernel() {
        return kernel;
    }

    /**
     * Whether a bias is added.
     *
     * @return {@code true} if the layer has a {@code bias} parameter
     */
    public boolean hasBias() {
        return bias != null;
    }

    @Override
    public Tensor apply(Tensor x) {
        return convolve(x, Tensor::conv2d);
    }

    /**
     * This layer applied to {@code relu(x)}: the values and gradients of
     * {@code apply(x.relu())}, bit for bit, with the ReLU's backward pass folded into the
     * convolution's ({@link Tensor#reluConv2d}). For pre-activation networks.
     *
     * @param x the pre-activation input, {@code [n, in, h, w]}
     * @return {@code conv(relu(x)) + bias}, {@code [n, out, h, w]}
     * @throws IllegalArgumentException if {@code x} is not {@code [n, in, h, w]}
     */
    public Tensor applyToRelu(Tensor x) {
        return convolve(x, Tensor::reluConv2d);
    }

    /**
     * {@code relu(apply(x))}, the values and gradients bit for bit, with the ReLU applied as the
     * convolution stores its output ({@link Tensor#conv2dRelu}). For post-activation networks.
     *
     * @param x the input, {@code [n, in, h, w]}
     * @return {@code relu(conv(x) + bias)}, {@code [n, out, h, w]}
     * @throws IllegalArgumentException if {@code x} is not {@code [n, in, h, w]}
     */
    public Tensor applyRelu(Tensor x) {
        return convolve(x, Tensor::conv2dRelu);
    }

    /** One of the tensor's convolution calls, {@code (x, weight, bias, padH, padW)}. */
    @FunctionalInterface
    private interface ConvolutionCall {
        Tensor apply(Tensor x, Tensor weight, Tensor bias, int padH, int padW);
    }

    /** {@code call} on {@code x} with this layer's weight, bias and "same" padding. */
    private Tensor convolve(Tensor x, ConvolutionCall call) {
        checkInput("Conv2d", x, in);
        Tensor w = weight.value();
        return call.apply(
                x,
                w,
                bias == null ? null : bias.value(),
                w.shape().dim(2) / 2,
                w.shape().dim(3) / 2);
    }

    static void checkInput(String what, Tensor x, int channels) {
        if (x.rank() != 4 || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException(
                    what + ": input must be [batch, " + channels + ", h, w] (NCHW), got " + x.shape());
        }
    }

    @Override
    public String toString() {
        return "Conv2d(" + in + " -> " + out + ", " + kernel + "x" + kernel + (bias == null ? ", no bias" : "") + ")";
    }
}
