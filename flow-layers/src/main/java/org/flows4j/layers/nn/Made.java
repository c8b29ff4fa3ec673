package org.flows4j.layers.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * MADE, the masked autoencoder for distribution estimation (Germain, Gregor, Murray and
 * Larochelle, 2015): an MLP whose weights are masked so that every output for input
 * dimension {@code i} depends only on the inputs that precede {@code i} in an
 * {@linkplain Ordering ordering}, and on an optional context {@code c}:
 * <pre>
 *   h_0 = [x, c],   h_l = act(h_{l-1} (W_l * M_l) + b_l)  for l = 1..H,   y = h_H (W_out * M_out) + b_out
 * </pre>
 * ({@code *} elementwise). The masks come from <em>degrees</em>: input {@code i} has degree
 * {@code m(i)}, its position in the ordering ({@code 1..D}); every context input has degree 0;
 * hidden unit {@code k} of every layer has degree {@code m_h(k) = k mod max(1, D-1) + min(1, D-1)}
 * (the cyclic assignment of nflows' MADE, so every degree {@code 1..D-1} is used and a layer of
 * at least {@code D - 1} units loses no dependency), or {@code m_h(k) = k mod D} with a context,
 * so that units of degree 0 (which see the context alone) carry it to the first dimension of the
 * ordering too. A unit of degree {@code d} may see a unit
 * of the layer below of degree {@code d'} iff {@code d >= d'}; output {@code (p, i)} (the
 * {@code p}-th of the {@code k} outputs for input {@code i}) has degree {@code m(i)} and sees a
 * hidden unit iff {@code m(i) > m_h}. So {@code dy_(p,i) / dx_j = 0} unless
 * {@code m(j) < m(i)}: the Jacobian is strictly triangular in the ordering, and the context
 * reaches every output.
 *
 * <p>Shapes: {@code x [batch, D]}, context {@code [batch, c]}, output {@code [batch, k D]}
 * laid out as {@code k} blocks of {@code D} (block {@code p} holds the {@code p}-th parameter of
 * every dimension), as {@link org.flows4j.layers.bijectors.CouplingTransform}s take them. Slots:
 * {@code layers.<l>.weight [in, out]}, {@code layers.<l>.bias [out]}; the masks are fixed and
 * not stored. The parameter count includes the masked-out weights (they stay zero in effect,
 * not in memory).
 *
 * <p>Initialization: as {@link Linear} (uniform {@code +-1/sqrt(fan in)}, weight then bias),
 * each layer from its own {@code ctx.split()}, in order; with {@code zeroInitLast} (the default)
 * the output layer starts at zero, so a fresh autoregressive transform is the identity.
 */
public final class Made extends AbstractComponent implements Layer {

    private final int features;
    private final int outputsPerFeature;
    private final int contextSize;
    private final Ordering ordering;
    private final Activation activation;
    private final List<MaskedLinear> layers;

    private Made(BuildContext ctx, Spec spec, Ordering ordering, int outputsPerFeature, int contextSize) {
        Objects.requireNonNull(ctx, "ctx");
        this.ordering = Objects.requireNonNull(ordering, "ordering");
        Init.checkPositive("Made", "outputsPerFeature", outputsPerFeature);
        if (contextSize < 0) {
            throw new IllegalArgumentException("Made: contextSize must be >= 0, got " + contextSize);
        }
        this.features = ordering.size();
        this.outputsPerFeature = outputsPerFeature;
        this.contextSize = contextSize;
        this.activation = spec.activation;
        int d = features;
        int[] inDegrees = new int[d + contextSize];
        int[] degrees = ordering.degrees();
        System.arraycopy(degrees, 0, inDegrees, 0, d);
        List<MaskedLinear> list = new ArrayList<>();
        int[] below = inDegrees;
        for (int width : spec.hidden) {
            int[] hidden = new int[width];
            for (int k = 0; k < width; k++) {
                hidden[k] = contextSize > 0 ? k % d : k % Math.max(1, d - 1) + Math.min(1, d - 1);
            }
            list.add(new MaskedLinear(ctx.split(), below, hidden, false, false));
            below = hidden;
        }
        int[] outDegrees = new int[outputsPerFeature * d];
        for (int p = 0; p < outputsPerFeature; p++) {
            System.arraycopy(degrees, 0, outDegrees, p * d, d);
        }
        list.add(new MaskedLinear(ctx.split(), below, outDegrees, true, spec.zeroInitLast));
        this.layers = child("layers", new LayerList<>(list)).items();
    }

    /**
     * The spec of a MADE with hidden layers of the given sizes, in order, ReLU activations and a
     * zero-initialized output layer; no sizes, a single masked linear map.
     *
     * @param sizes the widths of the hidden layers, each {@code > 0}; copied; at least {@code D - 1} units per
     *     layer lose no dependency
     * @return the spec, for an autoregressive bijector to fill the ordering and output sizes into
     * @throws NullPointerException if {@code sizes} is null
     * @throws IllegalArgumentException naming the hidden size that is not positive
     */
    public static Spec hidden(int... sizes) {
        Objects.requireNonNull(sizes, "sizes");
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] <= 0) {
                throw new IllegalArgumentException("Made.hidden: hidden size #" + i + " (of " + Arrays.toString(sizes)
                        + ") must be positive, got " + sizes[i]);
            }
        }
        return new Spec(sizes.clone(), Activation.RELU, true);
    }

    /**
     * The number of input features {@code D}.
     *
     * @return {@code D}, the ordering's size
     */
    public int features() {
        return features;
    }

    /**
     * The outputs per input dimension {@code k}; the output has {@code k D} features.
     *
     * @return {@code k}, {@code >= 1}
     */
    public int outputsPerFeature() {
        return outputsPerFeature;
    }

    /**
     * The context features (0 for an unconditional MADE).
     *
     * @return the context size, {@code >= 0}
     */
    public int contextSize() {
        return contextSize;
    }

    /**
     * The ordering the degrees come from.
     *
     * @return the ordering of the {@code D} input dimensions
     */
    public Ordering ordering() {
        return ordering;
    }

    /** {@code y = MADE(x)}; only for a MADE without context. */
    @Override
    public Tensor apply(Tensor x) {
        return apply(x, null);
    }

    /**
     * {@code y = MADE(x, c)}: {@code x [batch, D]}, {@code context [batch, c]} (or null when the
     * MADE has no context), {@code y [batch, k D]}.
     *
     * @param x the inputs, {@code [batch, D]}
     * @param context the context, {@code [batch, c]}; required when {@link #contextSize()} is positive,
     *     ignored otherwise
     * @return the outputs, {@code [batch, k D]} as {@code k} blocks of {@code D}
     * @throws IllegalArgumentException naming {@code x} or {@code context} if its shape is wrong
     */
    public Tensor apply(Tensor x, Tensor context) {
        if (x.rank() != 2 || x.shape().dim(1) != features) {
            throw new IllegalArgumentException("Made: x must be [batch, " + features + "], got " + x.shape());
        }
        Tensor h = x;
        if (contextSize > 0) {
            if (context == null) {
                throw new IllegalArgumentException("Made: this MADE is conditioned on a context of " + contextSize
                        + " features, but context is null");
            }
            if (context.rank() != 2
                    || context.shape().dim(0) != x.shape().dim(0)
                    || context.shape().dim(1) != contextSize) {
                throw new IllegalArgumentException("Made: context must be ["
                        + x.shape().dim(0) + ", " + contextSize + "], got " + context.shape());
            }
            h = Tensor.concat(1, x, context);
        }
        for (int i = 0; i < layers.size() - 1; i++) {
            h = layers.get(i).apply(h, activation);
        }
        return layers.get(layers.size() - 1).apply(h, null);
    }

    @Override
    public String toString() {
        return "Made(" + features + (contextSize > 0 ? " + context " + contextSize : "") + " -> " + outputsPerFeature
                + " x " + features + ", " + layers.size() + " layers)";
    }

    /** {@code y = x (W * M) + b} with a fixed binary mask {@code M} built from unit degrees. */
    private static final class MaskedLinear extends AbstractComponent {

        private final Parameter weight;
        private final Parameter bias;
        private final Tensor mask;

        MaskedLinear(BuildContext ctx, int[] in, int[] out, boolean strict, boolean zeroInit) {
            double bound = Init.bound(in.length);
            Tensor w = Init.uniformOrZeros(ctx, Shape.of(in.length, out.length), bound, zeroInit);
            Tensor b = Init.uniformOrZeros(ctx, Shape.of(out.length), bound, zeroInit);
            this.weight = parameter("weight", w);
            this.bias = parameter("bias", b);
            w.free();
            b.free();
            double[] m = new double[in.length * out.length];
            for (int j = 0; j < in.length; j++) {
                for (int k = 0; k < out.length; k++) {
                    boolean connected = strict ? out[k] > in[j] : out[k] >= in[j];
                    m[j * out.length + k] = connected ? 1 : 0;
                }
            }
            // fixed for the layer's life, outside every memory scope
            this.mask = ctx.tensor(m, Shape.of(in.length, out.length)).unscoped();
        }

        /**
         * {@code act(x (W * M) + b)}, or without an activation when {@code activation} is null:
         * the product, bias and activation in one backend call when the activation is a single
         * backend op ({@link Activation#kernel()}).
         */
        Tensor apply(Tensor x, Activation activation) {
            UnaryOp op = activation == null ? null : activation.kernel();
            Tensor y = x.linear(weight.value().mul(mask), bias.value(), op);
            return activation == null || op != null ? y : activation.apply(y);
        }
    }

    /**
     * The order in which a MADE factorizes {@code p(x) = prod_k p(x_(order[k]) | earlier)}:
     * {@code order[k]} is the dimension that comes {@code k}-th, and dimension {@code i} has
     * degree {@code m(i) = 1 + (its position)}. Immutable.
     */
    public static final class Ordering {

        private final int[] order;

        private Ordering(int[] order) {
            this.order = order;
        }

        /**
         * {@code 0, 1, ..., d-1}.
         *
         * @param d the number of dimensions, {@code > 0}
         * @return the identity ordering
         * @throws IllegalArgumentException naming {@code d} if it is not positive
         */
        public static Ordering natural(int d) {
            Init.checkPositive("Made.Ordering", "d", d);
            int[] o = new int[d];
            for (int i = 0; i < d; i++) {
                o[i] = i;
            }
            return new Ordering(o);
        }

        /**
         * {@code d-1, ..., 1, 0}.
         *
         * @param d the number of dimensions, {@code > 0}
         * @return the reversed ordering
         * @throws IllegalArgumentException naming {@code d} if it is not positive
         */
        public static Ordering reversed(int d) {
            return natural(d).reverse();
        }

        /**
         * A uniformly random order of {@code d} dimensions, drawn once from {@code random}.
         *
         * @param d the number of dimensions, {@code > 0}
         * @param random the source of the permutation; it advances
         * @return the ordering, fixed from then on
         * @throws IllegalArgumentException naming {@code d} if it is not positive
         * @throws NullPointerException if {@code random} is null
         */
        public static Ordering random(int d, RandomSource random) {
            Init.checkPositive("Made.Ordering", "d", d);
            return new Ordering(Objects.requireNonNull(random, "random").permutation(d));
        }

        /**
         * The order given: {@code order[k]} is the dimension that comes {@code k}-th.
         *
         * @param order a permutation of {@code 0..d-1}, not empty; copied
         * @return the ordering
         * @throws NullPointerException if {@code order} is null
         * @throws IllegalArgumentException naming {@code order} unless it is a permutation of {@code 0..d-1}
         */
        public static Ordering of(int... order) {
            Objects.requireNonNull(order, "order");
            boolean[] seen = new boolean[order.length];
            for (int i : order) {
                if (i < 0 || i >= order.length || seen[i]) {
                    throw new IllegalArgumentException("Made.Ordering.of: order " + Arrays.toString(order)
                            + " is not a permutation of 0.." + (order.length - 1));
                }
                seen[i] = true;
            }
            if (order.length == 0) {
                throw new IllegalArgumentException("Made.Ordering.of: order is empty");
            }
            return new Ordering(order.clone());
        }

        /**
         * The same dimensions in the opposite order (MAF alternates these between layers).
         *
         * @return a new ordering; this one is unchanged
         */
        public Ordering reverse() {
            int d = order.length;
            int[] o = new int[d];
            for (int i = 0; i < d; i++) {
                o[i] = order[d - 1 - i];
            }
            return new Ordering(o);
        }

        /**
         * The number of dimensions.
         *
         * @return {@code d}, {@code > 0}
         */
        public int size() {
            return order.length;
        }

        /**
         * {@code order[k]}: the dimension that comes {@code k}-th.
         *
         * @return a copy of the order, a permutation of {@code 0..d-1}
         */
        public int[] order() {
            return order.clone();
        }

        /**
         * {@code m(i)}, in {@code 1..d}: one plus the position of dimension {@code i}.
         *
         * @return a new array of the {@code d} degrees, indexed by dimension
         */
        public int[] degrees() {
            int[] m = new int[order.length];
            for (int k = 0; k < order.length; k++) {
                m[order[k]] = k + 1;
            }
            return m;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Ordering other && Arrays.equals(order, other.order);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(order);
        }

        @Override
        public String toString() {
            return "Ordering" + Arrays.toString(order);
        }
    }

    /**
     * A MADE without its sizes: hidden sizes, activation and whether the output layer starts at
     * zero. Immutable; made by {@link Made#hidden}. An autoregressive bijector fills in the
     * ordering, the outputs per dimension (from its element transform) and the context size.
     */
    public static final class Spec {

        private final int[] hidden;
        private final Activation activation;
        private final boolean zeroInitLast;

        private Spec(int[] hidden, Activation activation, boolean zeroInitLast) {
            this.hidden = hidden;
            this.activation = activation;
            this.zeroInitLast = zeroInitLast;
        }

        /**
         * This spec with {@code activation} after every hidden layer (default ReLU).
         *
         * @param activation the activation after each hidden layer
         * @return a modified copy; this spec is unchanged
         * @throws NullPointerException if {@code activation} is null
         */
        public Spec activation(Activation activation) {
            return new Spec(hidden, Objects.requireNonNull(activation, "activation"), zeroInitLast);
        }

        /**
         * This spec with the output layer zero-initialized ({@code true}, the default) or drawn.
         *
         * @param zeroInitLast whether the output layer's weight and bias start at zero, drawing nothing
         * @return a modified copy; this spec is unchanged
         */
        public Spec zeroInitLast(boolean zeroInitLast) {
            return new Spec(hidden, activation, zeroInitLast);
        }

        /**
         * The hidden sizes.
         *
         * @return a copy of the hidden widths, in order (empty for a single masked linear map)
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
         * A MADE over {@code ordering.size()} features with {@code outputsPerFeature} outputs per
         * feature and {@code contextSize} context features (0 for none); each layer from its own
         * {@code ctx.split()}, in order.
         *
         * @param ctx makes and initializes the parameters; its random source advances by one split per layer
         * @param ordering the autoregressive order of the {@code D} input dimensions
         * @param outputsPerFeature {@code k}, the outputs per input dimension (the element transform's
         *     parameter count), {@code >= 1}
         * @param contextSize the number of context features, {@code >= 0} (0 for none)
         * @return a new MADE, owned by the caller
         * @throws NullPointerException if {@code ctx} or {@code ordering} is null
         * @throws IllegalArgumentException naming {@code outputsPerFeature} or {@code contextSize}
         *     if it is out of range
         */
        public Made create(BuildContext ctx, Ordering ordering, int outputsPerFeature, int contextSize) {
            return new Made(ctx, this, ordering, outputsPerFeature, contextSize);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Spec s
                    && Arrays.equals(hidden, s.hidden)
                    && activation == s.activation
                    && zeroInitLast == s.zeroInitLast;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hidden), activation, zeroInitLast);
        }

        @Override
        public String toString() {
            return "Made.hidden" + Arrays.toString(hidden) + "(" + activation + (zeroInitLast ? ", zero last" : "")
                    + ")";
        }
    }
}
