package org.flows4j.layers.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
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
 * <p>RealNVP (Dinh et al. 2017) also used batch normalization and weight normalization
 * inside these networks; this one is kept plain (convolutions with biases and ReLUs), which
 * keeps it deterministic across batch sizes and needs no running statistics. With
 * {@code zeroInitLast} the output convolution starts at zero, so a fresh coupling layer is
 * the identity. Every convolution draws from its own {@link RandomSource#split()} of
 * {@code random} (see {@link Conv2d} for the initialization).
 */
public final class ResNet extends AbstractComponent implements Layer {

    private final int in;
    private final int width;
    private final int out;
    private final Conv2d input;
    private final LayerList<ResidualBlock> blocks;
    private final Conv2d output;

    /**
     * @param in input channels
     * @param width channels inside the network (RealNVP: 64)
     * @param blocks the number of residual blocks, {@code >= 0} (RealNVP: 8 on CIFAR-10, 4 on larger images)
     * @param out output channels
     * @param zeroInitLast start the output convolution at zero
     */
    public ResNet(Backend backend, DType dtype, int in, int width, int blocks, int out, boolean zeroInitLast,
                  RandomSource random) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(random, "random");
        checkSizes(in, width, blocks, out);
        this.in = in;
        this.width = width;
        this.out = out;
        this.input = child("input", new Conv2d(backend, dtype, in, width, 3, true, false, random.split()));
        List<ResidualBlock> list = new ArrayList<>(blocks);
        for (int i = 0; i < blocks; i++) {
            list.add(new ResidualBlock(backend, dtype, width, random.split()));
        }
        this.blocks = child("blocks", new LayerList<>(list));
        this.output = child("output", new Conv2d(backend, dtype, width, out, 3, true, zeroInitLast, random.split()));
    }

    private static void checkSizes(int in, int width, int blocks, int out) {
        Init.checkPositive("ResNet", "in channels", in);
        Init.checkPositive("ResNet", "width", width);
        Init.checkPositive("ResNet", "out channels", out);
        if (blocks < 0) {
            throw new IllegalArgumentException("ResNet: blocks must be >= 0, got " + blocks);
        }
    }

    /**
     * The number of parameters, computed without allocating:
     * {@code (9 in w + w) + blocks * 2 (9 w w + w) + (9 w out + out)}.
     */
    public static long parameterCount(int in, int width, int blocks, int out) {
        checkSizes(in, width, blocks, out);
        return Conv2d.parameterCount(in, width, 3, true) + blocks * ResidualBlock.parameterCount(width)
                + Conv2d.parameterCount(width, out, 3, true);
    }

    /** Input channels. */
    public int in() {
        return in;
    }

    /** Channels inside the network. */
    public int width() {
        return width;
    }

    /** Output channels. */
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
        return output.apply(h.relu());
    }

    @Override
    public String toString() {
        return "ResNet(" + in + " -> " + blocks.items().size() + " blocks x " + width + " -> " + out + ")";
    }
}
