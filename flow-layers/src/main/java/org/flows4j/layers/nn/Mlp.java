package org.flows4j.layers.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * A multilayer perceptron: hidden layers of sizes {@code n_1 .. n_H}, an activation after
 * each, then a linear output layer without one:
 * <pre>
 *   h_0 = x,   h_i = act(h_{i-1} W_i + b_i)  for i = 1..H,   y = h_H W_out + b_out
 * </pre>
 *
 * <p>Made from a spec that knows everything but the input and output sizes:
 * {@code Mlp.hidden(64, 64)} is RealNVP's two-dimensional conditioner (two hidden ReLU
 * layers of 64), and a {@link org.flows4j.layers.bijectors.Coupling} fills in the sizes;
 * {@code Mlp.hidden(64, 64).create(ctx, 2, 4)} builds one directly. NICE's coupling network
 * is {@code Mlp.hidden(1000, 1000, 1000, 1000, 1000)} from 392 to 392 features (4,789,392
 * parameters). With no hidden sizes the network is the single linear map from in to out.
 *
 * <p>Shapes: input {@code [batch, in]}, output {@code [batch, out]}. The {@link Linear}
 * layers are named {@code layers.0} (in to {@code n_1}) through {@code layers.<H>}
 * ({@code n_H} to out), so the slots are {@code layers.0.weight}, {@code layers.0.bias}, and
 * so on.
 *
 * <p>The initialization is {@link Linear}'s, drawn by the spec's {@link WeightInit} (PyTorch's
 * default unless {@link Spec#init} says otherwise); each layer is built from its own
 * {@link BuildContext#split()} of the context, in order, so the context's random source
 * advances by exactly {@code H + 1} draws whatever the sizes. With {@code zeroInitLast} (the
 * default) the output layer starts at zero and so does the output, so a fresh coupling layer
 * is the identity.
 */
public final class Mlp extends AbstractComponent implements Layer {

    private final int in;
    private final int[] hidden;
    private final int out;
    private final Activation activation;
    private final LayerList<Linear> layers;

    private Mlp(BuildContext ctx, int in, Spec spec, int out) {
        Objects.requireNonNull(ctx, "ctx");
        Init.checkPositive("Mlp", "in", in);
        Init.checkPositive("Mlp", "out", out);
        this.in = in;
        this.hidden = spec.hidden.clone();
        this.out = out;
        this.activation = spec.activation;
        List<Linear> list = new ArrayList<>(hidden.length + 1);
        int from = in;
        for (int width : hidden) {
            list.add(new Linear(ctx.split(), from, width, spec.init));
            from = width;
        }
        list.add(
                spec.zeroInitLast
                        ? new Linear(ctx.split(), from, out, true)
                        : new Linear(ctx.split(), from, out, spec.init));
        this.layers = child("layers", new LayerList<>(list));
    }

    /**
     * The spec of an MLP with hidden layers of the given sizes, in order, ReLU activations and
     * a zero-initialized output layer (as NICE's and RealNVP's conditioners); no sizes, a
     * single linear map.
     *
     * @param sizes the widths {@code n_1 .. n_H} of the hidden layers, each {@code > 0}; copied; none for a
     *     single linear map
     * @return the spec, for a coupling to fill the input and output sizes into
     * @throws NullPointerException if {@code sizes} is null
     * @throws IllegalArgumentException naming the hidden size that is not positive
     */
    public static Spec hidden(int... sizes) {
        Objects.requireNonNull(sizes, "sizes");
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] <= 0) {
                throw new IllegalArgumentException("Mlp.hidden: hidden size #" + i + " (of " + Arrays.toString(sizes)
                        + ") must be positive, got " + sizes[i]);
            }
        }
        return new Spec(sizes.clone(), Activation.RELU, true, WeightInit.PYTORCH);
    }

    /**
     * Input features.
     *
     * @return the size of axis 1 of the input
     */
    public int in() {
        return in;
    }

    /**
     * The sizes of the hidden layers, in order (empty for a single linear map).
     *
     * @return a copy of the hidden widths
     */
    public int[] hiddenSizes() {
        return hidden.clone();
    }

    /**
     * Output features.
     *
     * @return the size of axis 1 of the output
     */
    public int out() {
        return out;
    }

    /**
     * The activation after each hidden layer.
     *
     * @return the activation (none follows the output layer)
     */
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
            h = ls.get(i).apply(h, activation);
        }
        return ls.get(ls.size() - 1).apply(h);
    }

    @Override
    public String toString() {
        return "Mlp(" + in + " -> " + Arrays.toString(hidden) + " " + activation + " -> " + out + ")";
    }

    /**
     * An MLP without its input and output sizes: hidden sizes, activation and whether the
     * output layer starts at zero. Immutable; {@link #activation} and {@link #zeroInitLast}
     * return modified copies. Made by {@link Mlp#hidden}.
     */
    public static final class Spec implements NetworkFactory {

        private final int[] hidden;
        private final Activation activation;
        private final boolean zeroInitLast;
        private final WeightInit init;

        private Spec(int[] hidden, Activation activation, boolean zeroInitLast, WeightInit init) {
            this.hidden = hidden;
            this.activation = activation;
            this.zeroInitLast = zeroInitLast;
            this.init = init;
        }

        /**
         * This spec with {@code activation} after every hidden layer (default {@link Activation#RELU}).
         *
         * @param activation the activation after each hidden layer
         * @return a modified copy; this spec is unchanged
         * @throws NullPointerException if {@code activation} is null
         */
        public Spec activation(Activation activation) {
            return new Spec(hidden, Objects.requireNonNull(activation, "activation"), zeroInitLast, init);
        }

        /**
         * This spec with the output layer starting at zero ({@code true}, the default: a fresh
         * coupling layer is the identity) or drawn like the others ({@code false}).
         *
         * @param zeroInitLast whether the output layer's weight and bias start at zero, drawing nothing
         * @return a modified copy; this spec is unchanged
         */
        public Spec zeroInitLast(boolean zeroInitLast) {
            return new Spec(hidden, activation, zeroInitLast, init);
        }

        /**
         * This spec with the hidden layers drawn by {@code init} (default {@link WeightInit#PYTORCH});
         * the output layer is drawn the same way unless {@link #zeroInitLast}.
         *
         * @param init how the hidden layers' weights and biases are drawn
         * @return a modified copy; this spec is unchanged
         * @throws NullPointerException if {@code init} is null
         */
        public Spec init(WeightInit init) {
            return new Spec(hidden, activation, zeroInitLast, Objects.requireNonNull(init, "init"));
        }

        /**
         * How the hidden layers are drawn.
         *
         * @return the initialization of the hidden layers ({@link WeightInit#PYTORCH} by default)
         */
        public WeightInit init() {
            return init;
        }

        /**
         * The hidden sizes, in order.
         *
         * @return a copy of the hidden widths (empty for a single linear map)
         */
        public int[] hiddenSizes() {
            return hidden.clone();
        }

        /**
         * The activation after each hidden layer.
         *
         * @return the activation
         */
        public Activation activation() {
            return activation;
        }

        /**
         * Whether the output layer starts at zero.
         *
         * @return {@code true} if the output layer is zero-initialized (the default)
         */
        public boolean zeroInitLast() {
            return zeroInitLast;
        }

        /**
         * An MLP from {@code in} to {@code out} features; each {@link Linear} is built from its
         * own {@code ctx.split()}, in order.
         *
         * @throws IllegalArgumentException naming {@code in} or {@code out} if it is not positive
         */
        @Override
        public Mlp create(BuildContext ctx, int in, int out) {
            return new Mlp(ctx, in, this, out);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Spec s
                    && Arrays.equals(hidden, s.hidden)
                    && activation == s.activation
                    && zeroInitLast == s.zeroInitLast
                    && init == s.init;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hidden), activation, zeroInitLast, init);
        }

        @Override
        public String toString() {
            return "Mlp.hidden" + Arrays.toString(hidden) + "(" + activation + (zeroInitLast ? ", zero last" : "")
                    + (init == WeightInit.PYTORCH ? "" : ", " + init + " init") + ")";
        }
    }
}
