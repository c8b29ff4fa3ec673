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
 * A multilayer perceptron: {@code depth} hidden layers of {@code width} units with an
 * activation after each, then a linear output layer without one:
 * <pre>
 *   h_0 = x,   h_i = act(h_{i-1} W_i + b_i)  for i = 1..depth,   y = h_depth W_out + b_out
 * </pre>
 *
 * <p>Shapes: input {@code [batch, in]}, output {@code [batch, out]}. The {@link Linear}
 * layers are named {@code layers.0} (in to width) through {@code layers.<depth>} (width to
 * out), so the slots are {@code layers.0.weight}, {@code layers.0.bias}, and so on. With
 * {@code depth = 0} the network is the single linear map {@code layers.0} from in to out.
 *
 * <p>NICE's coupling network is {@code Mlp(392, 1000, 5, 392, RELU)} (4,789,392 parameters);
 * RealNVP's two-dimensional experiments use {@code Mlp(2, 64, 2, ..)}. The initialization is
 * {@link Linear}'s; each layer draws from its own {@link RandomSource#split()} of
 * {@code random}, so {@code random} advances by exactly {@code depth + 1} draws whatever the
 * sizes. With {@code zeroInitLast} the output layer starts at zero and so does the output.
 */
public final class Mlp extends AbstractComponent implements Layer {

    private final int in;
    private final int width;
    private final int depth;
    private final int out;
    private final Activation activation;
    private final LayerList<Linear> layers;

    /**
     * @param in input features
     * @param width units per hidden layer (ignored when {@code depth == 0})
     * @param depth the number of hidden layers, {@code >= 0}
     * @param out output features
     * @param activation applied after every hidden layer
     * @param zeroInitLast start the output layer at zero
     */
    public Mlp(Backend backend, DType dtype, int in, int width, int depth, int out, Activation activation,
               boolean zeroInitLast, RandomSource random) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(random, "random");
        checkSizes(in, width, depth, out);
        this.in = in;
        this.width = width;
        this.depth = depth;
        this.out = out;
        this.activation = activation;
        List<Linear> list = new ArrayList<>(depth + 1);
        int from = in;
        for (int i = 0; i < depth; i++) {
            list.add(new Linear(backend, dtype, from, width, false, random.split()));
            from = width;
        }
        list.add(new Linear(backend, dtype, from, out, zeroInitLast, random.split()));
        this.layers = child("layers", new LayerList<>(list));
    }

    private static void checkSizes(int in, int width, int depth, int out) {
        Init.checkPositive("Mlp", "in", in);
        Init.checkPositive("Mlp", "out", out);
        if (depth < 0) {
            throw new IllegalArgumentException("Mlp: depth must be >= 0, got " + depth);
        }
        if (depth > 0) {
            Init.checkPositive("Mlp", "width", width);
        }
    }

    /**
     * The number of parameters of {@code Mlp(in, width, depth, out)}, computed without
     * allocating anything:
     * {@code (in w + w) + (depth - 1)(w w + w) + (w out + out)} for {@code depth >= 1},
     * {@code in out + out} for {@code depth = 0}.
     */
    public static long parameterCount(int in, int width, int depth, int out) {
        checkSizes(in, width, depth, out);
        if (depth == 0) {
            return Linear.parameterCount(in, out);
        }
        return Linear.parameterCount(in, width) + (depth - 1) * Linear.parameterCount(width, width)
                + Linear.parameterCount(width, out);
    }

    /** Input features. */
    public int in() {
        return in;
    }

    /** Units per hidden layer. */
    public int width() {
        return width;
    }

    /** The number of hidden layers. */
    public int depth() {
        return depth;
    }

    /** Output features. */
    public int out() {
        return out;
    }

    /** The activation after each hidden layer. */
    public Activation activation() {
        return activation;
    }

    @Override
    public Tensor apply(Tensor x) {
        if (x.rank() != 2 || x.shape().dim(1) != in) {
            throw new IllegalArgumentException("Mlp: input must be [batch, " + in + "], got " + x.shape());
        }
        List<Linear> ls = layers.items();
        Tensor h = x;
        for (int i = 0; i < ls.size() - 1; i++) {
            h = activation.apply(ls.get(i).apply(h));
        }
        return ls.get(ls.size() - 1).apply(h);
    }

    @Override
    public String toString() {
        return "Mlp(" + in + " -> " + depth + " x " + width + " " + activation + " -> " + out + ")";
    }
}
