package org.flows4j.layers.nn;

import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
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
 * drawn first, row-major, then the bias. With {@code zeroInit} both start at zero and nothing
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
     * @param zeroInit start with {@code W = 0, b = 0} (drawing nothing from {@code random})
     * @param random the source of the initial values; advanced by {@code in * out + out} draws
     *     unless {@code zeroInit}
     */
    public Linear(Backend backend, DType dtype, int in, int out, boolean zeroInit, RandomSource random) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(random, "random");
        Init.checkPositive("Linear", "in", in);
        Init.checkPositive("Linear", "out", out);
        this.in = in;
        this.out = out;
        double bound = Init.bound(in);
        Tensor w = Init.uniformOrZeros(backend, dtype, Shape.of(in, out), bound, zeroInit, random);
        Tensor b = Init.uniformOrZeros(backend, dtype, Shape.of(out), bound, zeroInit, random);
        this.weight = parameter("weight", w);
        this.bias = parameter("bias", b);
        // the parameters hold their own references to these storages
        w.free();
        b.free();
    }

    /** The number of parameters of a layer from {@code in} to {@code out}: {@code in * out + out}. */
    public static long parameterCount(int in, int out) {
        return (long) in * out + out;
    }

    /** The number of input features. */
    public int in() {
        return in;
    }

    /** The number of output features. */
    public int out() {
        return out;
    }

    /** {@code x W + b}. */
    @Override
    public Tensor apply(Tensor x) {
        if (x.rank() < 2 || x.rank() > 3 || x.shape().dim(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input must be [batch, " + in
                    + "] or [batch, m, " + in + "], got " + x.shape());
        }
        return x.matmul(weight.value()).add(bias.value());
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + ")";
    }
}
