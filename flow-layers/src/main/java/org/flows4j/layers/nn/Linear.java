package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * A fully connected layer {@code y = x W + b}.
 *
 * <p>Shapes: input {@code [batch, in]} (or {@code [batch, m, in]}), weight {@code W [in, out]},
 * bias {@code b [out]}, output {@code [batch, out]} (or {@code [batch, m, out]}). Parameters
 * are named {@code weight} and {@code bias}.
 *
 * <p><b>Initialization.</b> {@code W} and {@code b} are uniform in
 * {@code [-1/sqrt(in), 1/sqrt(in))}: PyTorch's default for {@code nn.Linear} (Kaiming uniform
 * with {@code a = sqrt 5}), chosen so that networks start as they do in the Python reference
 * implementations of NICE and RealNVP, whose learning rates were tuned for it. The weight is
 * drawn first, row-major, then the bias. {@link WeightInit#HE} draws the weight for ReLU
 * stacks instead and starts the bias at zero. With {@code zeroInit} both start at zero and nothing
 * is drawn: the last layer of a coupling network starts at zero so that a fresh flow is the
 * identity (NICE, Glow).
 */
public final class Linear extends AbstractComponent implements Layer {

    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A layer from {@code in} to {@code out} features.
     *
     * @param ctx where the parameters live; its random source is advanced by
     *     {@code in * out + out} draws (the weight, then the bias) unless {@code zeroInit}
     * @param in input features, positive
     * @param out output features, positive
     * @param zeroInit start with {@code W = 0, b = 0}, drawing nothing
     * @throws IllegalArgumentException naming {@code in} or {@code out} if it is not positive
     */
    public Linear(BuildContext ctx, int in, int out, boolean zeroInit) {
        this(ctx, in, out, zeroInit, WeightInit.PYTORCH);
    }

    /**
     * A layer from {@code in} to {@code out} features, drawn by {@code init}.
     *
     * @param ctx where the parameters live; its random source is advanced by {@code in * out + out}
     *     draws for {@link WeightInit#PYTORCH}, {@code in * out} for {@link WeightInit#HE}
     * @param in input features, positive
     * @param out output features, positive
     * @param init how the weight and bias are drawn
     * @throws IllegalArgumentException naming {@code in} or {@code out} if it is not positive
     * @throws NullPointerException if {@code ctx} or {@code init} is null
     */
    public Linear(BuildContext ctx, int in, int out, WeightInit init) {
        this(ctx, in, out, false, Objects.requireNonNull(init, "init"));
    }

    private Linear(BuildContext ctx, int in, int out, boolean zeroInit, WeightInit init) {
        Objects.requireNonNull(ctx, "ctx");
        Init.checkPositive("Linear", "in", in);
        Init.checkPositive("Linear", "out", out);
        this.in = in;
        this.out = out;
        double bound = init.weightBound(in);
        Tensor w = Init.uniformOrZeros(ctx, Shape.of(in, out), bound, zeroInit);
        Tensor b = Init.uniformOrZeros(ctx, Shape.of(out), bound, zeroInit || init == WeightInit.HE);
        this.weight = parameter("weight", w);
        this.bias = parameter("bias", b);
        // the parameters hold their own references to these storages
        w.free();
        b.free();
    }

    /**
     * The number of input features.
     *
     * @return the size of the input's last axis
     */
    public int in() {
        return in;
    }

    /**
     * The number of output features.
     *
     * @return the size of the output's last axis
     */
    public int out() {
        return out;
    }

    /** {@code x W + b}, in one backend call ({@link Tensor#linear}). */
    @Override
    public Tensor apply(Tensor x) {
        checkInput(x);
        return x.linear(weight.value(), bias.value(), null);
    }

    /**
     * {@code act(x W + b)}: with an activation that is a single backend op (see
     * {@link Activation#kernel()}) the layer and the activation are one backend call, otherwise
     * the activation is applied to {@link #apply(Tensor)}'s result. The values and gradients are
     * those of {@code activation.apply(apply(x))}.
     */
    Tensor apply(Tensor x, Activation activation) {
        checkInput(x);
        UnaryOp op = activation.kernel();
        if (op != null) {
            return x.linear(weight.value(), bias.value(), op);
        }
        return activation.apply(x.linear(weight.value(), bias.value(), null));
    }

    private void checkInput(Tensor x) {
        if (x.rank() < 2 || x.rank() > 3 || x.shape().dim(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input must be [batch, " + in
                    + "] or [batch, m, " + in + "], got " + x.shape());
        }
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + ")";
    }
}
