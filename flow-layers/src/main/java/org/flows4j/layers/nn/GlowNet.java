package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * Glow's coupling network (Kingma and Dhariwal 2018, {@code f} in openai/glow's
 * {@code model.py}):
 * <pre>
 *   y = Conv2dZeros_3x3(relu(conv1x1(relu(conv3x3(x)))))      in -> hidden -> hidden -> out
 * </pre>
 * where the last layer is {@link Conv2dZeros}: {@code (conv(h) + b) * exp(3 logs)}, all zero at
 * the start, so a fresh coupling layer is the identity.
 *
 * <p>Shapes (NCHW): input {@code [batch, in, h, w]}, output {@code [batch, out, h, w]}. Slots:
 * {@code conv1.weight}, {@code conv1.bias} ({@code [hidden, in, 3, 3]}, {@code [hidden]}),
 * {@code conv2.weight}, {@code conv2.bias} ({@code [hidden, hidden, 1, 1]}, {@code [hidden]}),
 * {@code out.weight}, {@code out.bias}, {@code out.logs} ({@code [out, hidden, 3, 3]},
 * {@code [out]}, {@code [out]}).
 *
 * <p>Glow normalizes its first two convolutions with actnorm instead of a bias and draws
 * their weights from {@code N(0, 0.05^2)}; here they are plain convolutions with biases and
 * {@link Conv2d}'s initialization, each from its own {@link BuildContext#split()} of the
 * context ({@code conv1} first; the zero-initialized last layer draws nothing). Glow's width
 * is 512: {@code GlowNet.hidden(512)} is the spec a
 * {@link org.flows4j.layers.bijectors.Coupling} fills the channels into, and
 * {@code GlowNet.hidden(512).create(ctx, 6, 12)} builds one directly.
 */
public final class GlowNet extends AbstractComponent implements Layer {

    private final int in;
    private final int hidden;
    private final int out;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Conv2dZeros last;

    private GlowNet(BuildContext ctx, int in, int hidden, int out) {
        Objects.requireNonNull(ctx, "ctx");
        Init.checkPositive("GlowNet", "in channels", in);
        Init.checkPositive("GlowNet", "out channels", out);
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.conv1 = child("conv1", new Conv2d(ctx.split(), in, hidden, 3, true, false));
        this.conv2 = child("conv2", new Conv2d(ctx.split(), hidden, hidden, 1, true, false));
        this.last = child("out", new Conv2dZeros(ctx, hidden, out, 3));
    }

    /**
     * The spec of a Glow coupling network with {@code hidden} channels in its two hidden
     * layers (Glow: 512).
     *
     * @param hidden the channels of the two hidden layers, {@code > 0}
     * @return the spec, for a coupling to fill the input and output channels into
     * @throws IllegalArgumentException naming {@code hidden} if it is not positive
     */
    public static Spec hidden(int hidden) {
        return new Spec(hidden);
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
     * Hidden channels.
     *
     * @return the channels of the two hidden layers
     */
    public int hidden() {
        return hidden;
    }

    /**
     * Output channels.
     *
     * @return the size of axis 1 of the output
     */
    public int out() {
        return out;
    }

    @Override
    public Tensor apply(Tensor x) {
        Conv2d.checkInput("GlowNet", x, in);
        // each ReLU as its convolution stores the output: the values and gradients of
        // last(relu(conv2(relu(conv1(x))))), bit for bit
        return last.apply(conv2.applyRelu(conv1.applyRelu(x)));
    }

    @Override
    public String toString() {
        return "GlowNet(" + in + " -> " + hidden + " -> " + out + ")";
    }

    /**
     * A Glow coupling network without its input and output channels. Made by
     * {@link GlowNet#hidden}.
     *
     * @param hidden channels of the two hidden layers
     */
    public record Spec(int hidden) implements NetworkFactory {

        /**
         * Checks the size.
         *
         * @param hidden the channels of the two hidden layers, {@code > 0}
         * @throws IllegalArgumentException naming {@code hidden} if it is not positive
         */
        public Spec {
            Init.checkPositive("GlowNet.hidden", "hidden channels", hidden);
        }

        /**
         * A network from {@code in} to {@code out} channels.
         *
         * @throws IllegalArgumentException naming {@code in} or {@code out} if it is not positive
         */
        @Override
        public GlowNet create(BuildContext ctx, int in, int out) {
            return new GlowNet(ctx, in, hidden, out);
        }
    }
}
