package org.flows4j.layers.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * The convolutional residual network that computes RealNVP's scale and translation:
 * <pre>
 *   h_0 = conv3x3_in(x)                                             in -> width channels
 *   h_i = h_{i-1} + conv3x3_b(relu(conv3x3_a(relu(h_{i-1}))))       i = 1..blocks
 *   y   = conv3x3_out(relu(h_blocks))                               width -> out channels
 * </pre>
 *
 * <p>Shapes (NCHW, images only; flat vectors take an {@link Mlp}): input
 * {@code [batch, in, h, w]}, output {@code [batch, out, h, w]}. Slots: {@code input.weight},
 * {@code input.bias}, {@code blocks.<i>.conv1.weight}, {@code blocks.<i>.conv1.bias},
 * {@code blocks.<i>.conv2.*}, {@code output.weight}, {@code output.bias}.
 *
 * <p>Made from a spec: {@code ResNet.width(64).blocks(8)} is RealNVP's CIFAR-10 network, and
 * a {@link org.flows4j.layers.bijectors.Coupling} fills in the channels;
 * {@code ResNet.width(64).blocks(8).create(ctx, 6, 12)} builds one directly.
 *
 * <p>RealNVP (Dinh et al. 2017) also used batch normalization and weight normalization
 * inside these networks; this one is kept plain (convolutions with biases and ReLUs), which
 * keeps it deterministic across batch sizes and needs no running statistics. With
 * {@code zeroInitLast} the output convolution starts at zero, so a fresh coupling layer is
 * the identity. The input convolution, each block (each of its convolutions in turn) and the
 * output convolution are built from their own {@link BuildContext#split()} of the context, in
 * that order (see {@link Conv2d} for the initialization).
 */
public final class ResNet extends AbstractComponent implements Layer {

    private final int in;
    private final int width;
    private final int out;
    private final Conv2d input;
    private final LayerList<ResidualBlock> blocks;
    private final Conv2d output;

    private ResNet(BuildContext ctx, int in, Spec spec, int out) {
        Objects.requireNonNull(ctx, "ctx");
        Init.checkPositive("ResNet", "in channels", in);
        Init.checkPositive("ResNet", "out channels", out);
        this.in = in;
        this.width = spec.width;
        this.out = out;
        this.input = child("input", new Conv2d(ctx.split(), in, width, 3, true, false));
        List<ResidualBlock> list = new ArrayList<>(spec.blocks);
        for (int i = 0; i < spec.blocks; i++) {
            list.add(new ResidualBlock(ctx.split(), width));
        }
        this.blocks = child("blocks", new LayerList<>(list));
        this.output = child("output", new Conv2d(ctx.split(), width, out, 3, true, spec.zeroInitLast));
    }

    /**
     * The spec of a ResNet with {@code width} channels inside (RealNVP: 64), 8 residual blocks
     * (RealNVP's CIFAR-10 model; change with {@link Spec#blocks}) and a zero-initialized output
     * convolution.
     *
     * @param width the channels inside the network, {@code > 0}
     * @return the spec, for a coupling to fill the input and output channels into
     * @throws IllegalArgumentException naming {@code width} if it is not positive
     */
    public static Spec width(int width) {
        Init.checkPositive("ResNet.width", "width", width);
        return new Spec(width, 8, true);
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
     * Channels inside the network.
     *
     * @return the width of the input convolution's output and of every block
     */
    public int width() {
        return width;
    }

    /**
     * The number of residual blocks.
     *
     * @return the number of blocks, {@code >= 0}
     */
    public int blocks() {
        return blocks.items().size();
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
        Conv2d.checkInput("ResNet", x, in);
        Tensor h = input.apply(x);
        for (ResidualBlock b : blocks.items()) {
            h = b.apply(h);
        }
        return output.applyToRelu(h);
    }

    @Override
    public String toString() {
        return "ResNet(" + in + " -> " + blocks.items().size() + " blocks x " + width + " -> " + out + ")";
    }

    /**
     * A ResNet without its input and output channels: width, number of residual blocks and
     * whether the output convolution starts at zero. Immutable; the setters return modified
     * copies. Made by {@link ResNet#width}.
     *
     * @param width channels inside the network
     * @param blocks the number of residual blocks
     * @param zeroInitLast whether the output convolution starts at zero
     */
    public record Spec(int width, int blocks, boolean zeroInitLast) implements NetworkFactory {

        /**
         * Checks the sizes.
         *
         * @param width channels inside the network, {@code > 0}
         * @param blocks the number of residual blocks, {@code >= 0}
         * @param zeroInitLast whether the output convolution starts at zero
         * @throws IllegalArgumentException naming {@code width} if it is not positive or
         *     {@code blocks} if it is negative
         */
        public Spec {
            Init.checkPositive("ResNet.Spec", "width", width);
            if (blocks < 0) {
                throw new IllegalArgumentException("ResNet.Spec: blocks must be >= 0, got " + blocks);
            }
        }

        /**
         * This spec with {@code blocks} residual blocks (RealNVP: 8 on CIFAR-10, 4 on larger images).
         *
         * @param blocks the number of residual blocks, {@code >= 0} (0: input and output convolutions only)
         * @return a modified copy; this spec is unchanged
         * @throws IllegalArgumentException naming {@code blocks} if it is negative
         */
        public Spec blocks(int blocks) {
            return new Spec(width, blocks, zeroInitLast);
        }

        /**
         * This spec with the output convolution starting at zero ({@code true}, the default) or drawn.
         *
         * @param zeroInitLast whether the output convolution's weight and bias start at zero, drawing nothing
         * @return a modified copy; this spec is unchanged
         */
        public Spec zeroInitLast(boolean zeroInitLast) {
            return new Spec(width, blocks, zeroInitLast);
        }

        /**
         * A ResNet from {@code in} to {@code out} channels.
         *
         * @throws IllegalArgumentException naming {@code in} or {@code out} if it is not positive
         */
        @Override
        public ResNet create(BuildContext ctx, int in, int out) {
            return new ResNet(ctx, in, this, out);
        }
    }
}
