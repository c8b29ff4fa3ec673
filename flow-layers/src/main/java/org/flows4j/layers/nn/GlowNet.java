package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
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
 * {@link Conv2d}'s initialization, each from its own {@link RandomSource#split()} of
 * {@code random}. Glow's width is 512.
 */
public final class GlowNet extends AbstractComponent implements Layer {

    private final int in;
    private final int hidden;
    private final int out;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Conv2dZeros last;

    /**
     * @param in input channels
     * @param hidden channels of the two hidden layers (Glow: 512)
     * @param out output channels
     */
    public GlowNet(Backend backend, DType dtype, int in, int hidden, int out, RandomSource random) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(random, "random");
        checkSizes(in, hidden, out);
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.conv1 = child("conv1", new Conv2d(backend, dtype, in, hidden, 3, true, false, random.split()));
        this.conv2 = child("conv2", new Conv2d(backend, dtype, hidden, hidden, 1, true, false, random.split()));
        this.last = child("out", new Conv2dZeros(backend, dtype, hidden, out, 3));
    }

    private static void checkSizes(int in, int hidden, int out) {
        Init.checkPositive("GlowNet", "in channels", in);
        Init.checkPositive("GlowNet", "hidden channels", hidden);
        Init.checkPositive("GlowNet", "out channels", out);
    }

    /**
     * The number of parameters, computed without allocating:
     * {@code (9 in h + h) + (h h + h) + (9 h out + 2 out)}.
     */
    public static long parameterCount(int in, int hidden, int out) {
        checkSizes(in, hidden, out);
        return Conv2d.parameterCount(in, hidden, 3, true) + Conv2d.parameterCount(hidden, hidden, 1, true)
                + Conv2dZeros.parameterCount(hidden, out, 3);
    }

    /** Input channels. */
    public int in() {
        return in;
    }

    /** Hidden channels. */
    public int hidden() {
        return hidden;
    }

    /** Output channels. */
    public int out() {
        return out;
    }

    @Override
    public Tensor apply(Tensor x) {
        Conv2d.checkInput("GlowNet", x, in);
        return last.apply(conv2.apply(conv1.apply(x).relu()).relu());
    }

    @Override
    public String toString() {
        return "GlowNet(" + in + " -> " + hidden + " -> " + out + ")";
    }
}
