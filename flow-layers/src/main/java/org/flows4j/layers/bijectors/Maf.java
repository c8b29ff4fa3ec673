package org.flows4j.layers.bijectors;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Made;

/**
 * The masked autoregressive flow preset (Papamakarios, Pavlakou and Murray, 2017), one line:
 * <pre>{@code
 * Flow flow = Maf.features(2).transforms(5).network(Made.hidden(64, 64)).build(ctx);
 * }</pre>
 * like zuko's {@code MAF(features=2, transforms=5, hidden_features=[64, 64])}. It is
 * {@code transforms} {@link MaskedAutoregressive} layers over a standard normal, the MADE
 * orderings alternating natural, reversed, natural, ..., each MADE from its own
 * {@code ctx.split()}, optionally with a {@link BatchNorm} between consecutive layers (as in the
 * paper; off by default). The element transform is MAF's Gaussian
 * {@code z_i = (x_i - mu_i(x_<i)) exp(-alpha_i(x_<i))} ({@link LocationScale#gaussian()}) unless
 * another is given: with a {@link RationalQuadraticSpline} it is the autoregressive neural
 * spline flow.
 *
 * <p><b>Cost.</b> The density is one pass through each MADE; sampling is {@code D} sequential
 * passes through each (see {@link MaskedAutoregressive}). {@link #iaf(int)} builds the inverse
 * autoregressive flow (Kingma et al., 2016), the same layers used the other way round
 * ({@link Inverse}): sampling in one pass per layer, density in {@code D}.
 *
 * <p>A context of {@code context(c)} features reaches every MADE
 * ({@code flow.logProb(x, context)}, {@code flow.sample(n, context, random)}).
 *
 * <p>An immutable spec: every method but {@link #build} and {@link #bijector} returns a modified copy.
 */
public final class Maf {

    private final int features;
    private final int transforms;
    private final Made.Spec network;
    private final CouplingTransform transform;
    private final boolean batchNorm;
    private final int contextSize;
    private final boolean inverse;

    private Maf(
            int features,
            int transforms,
            Made.Spec network,
            CouplingTransform transform,
            boolean batchNorm,
            int contextSize,
            boolean inverse) {
        this.features = features;
        this.transforms = transforms;
        this.network = network;
        this.transform = transform;
        this.batchNorm = batchNorm;
        this.contextSize = contextSize;
        this.inverse = inverse;
    }

    /**
     * MAF over vectors of {@code features} elements, with the defaults: 5 transforms, MADEs
     * {@code Made.hidden(64, 64)}, the Gaussian element transform, no batch normalization, no context.
     *
     * @param features the dimension {@code D} of the data vectors, {@code > 0}
     * @return the spec
     * @throws IllegalArgumentException naming {@code features} if it is not positive
     */
    public static Maf features(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("Maf.features: features must be positive, got " + features);
        }
        return new Maf(features, 5, Made.hidden(64, 64), LocationScale.gaussian(), false, 0, false);
    }

    /**
     * The inverse autoregressive flow of {@code features}: {@link #features} run backwards.
     *
     * @param features the dimension {@code D} of the data vectors, {@code > 0}
     * @return the spec, with the same defaults as {@link #features}
     * @throws IllegalArgumentException naming {@code features} if it is not positive
     */
    public static Maf iaf(int features) {
        Maf m = features(features);
        return new Maf(m.features, m.transforms, m.network, m.transform, m.batchNorm, m.contextSize, true);
    }

    /**
     * This spec with {@code transforms} autoregressive layers.
     *
     * @param transforms the number of autoregressive layers, {@code > 0}
     * @return a modified copy; this spec is unchanged
     * @throws IllegalArgumentException naming {@code transforms} if it is not positive
     */
    public Maf transforms(int transforms) {
        if (transforms <= 0) {
            throw new IllegalArgumentException("Maf.transforms: transforms must be positive, got " + transforms);
        }
        return new Maf(features, transforms, network, transform, batchNorm, contextSize, inverse);
    }

    /**
     * This spec with MADEs built by {@code network}.
     *
     * @param network the MADE architecture of every layer
     * @return a modified copy; this spec is unchanged
     * @throws NullPointerException if {@code network} is null
     */
    public Maf network(Made.Spec network) {
        return new Maf(
                features,
                transforms,
                Objects.requireNonNull(network, "network"),
                transform,
                batchNorm,
                contextSize,
                inverse);
    }

    /**
     * This spec with another element transform (a {@link RationalQuadraticSpline} for NSF-AR).
     *
     * @param transform the element transform of every layer; its parameter count sizes each MADE's output
     * @return a modified copy; this spec is unchanged
     * @throws NullPointerException if {@code transform} is null
     */
    public Maf transform(CouplingTransform transform) {
        return new Maf(
                features,
                transforms,
                network,
                Objects.requireNonNull(transform, "transform"),
                batchNorm,
                contextSize,
                inverse);
    }

    /**
     * This spec with (true) or without (false, the default) batch normalization between layers.
     *
     * @param batchNorm whether to put a {@link BatchNorm} between consecutive layers (none after the last)
     * @return a modified copy; this spec is unchanged
     */
    public Maf batchNorm(boolean batchNorm) {
        return new Maf(features, transforms, network, transform, batchNorm, contextSize, inverse);
    }

    /**
     * This spec conditioned on a context of {@code contextSize} features (0: unconditional).
     *
     * @param contextSize the number of context features, {@code [batch, contextSize]}; {@code >= 0}
     * @return a modified copy; this spec is unchanged
     * @throws IllegalArgumentException naming {@code contextSize} if it is negative
     */
    public Maf context(int contextSize) {
        if (contextSize < 0) {
            throw new IllegalArgumentException("Maf.context: contextSize must be >= 0, got " + contextSize);
        }
        return new Maf(features, transforms, network, transform, batchNorm, contextSize, inverse);
    }

    /**
     * The number of features.
     *
     * @return the dimension {@code D} of the data vectors
     */
    public int features() {
        return features;
    }

    /**
     * The number of autoregressive layers.
     *
     * @return the number of layers, not counting batch normalizations
     */
    public int transforms() {
        return transforms;
    }

    /**
     * Whether this is the inverse autoregressive flow.
     *
     * @return {@code true} for a spec made by {@link #iaf}
     */
    public boolean isInverse() {
        return inverse;
    }

    /**
     * The context features (0 for none).
     *
     * @return the context size, {@code >= 0}
     */
    public int contextSize() {
        return contextSize;
    }

    /**
     * The layers alone, data to latent, each MADE from its own {@code ctx.split()}.
     *
     * @param ctx makes the parameters; its random source advances by one split per layer
     * @return a new chain of fresh layers on each call
     * @throws NullPointerException if {@code ctx} is null
     */
    public Chain bijector(BuildContext ctx) {
        Objects.requireNonNull(ctx, "ctx");
        List<Bijector> layers = new ArrayList<>();
        Made.Ordering ordering = Made.Ordering.natural(features);
        for (int i = 0; i < transforms; i++) {
            Bijector layer = MaskedAutoregressive.of(ctx.split(), ordering, transform, network, contextSize);
            layers.add(inverse ? new Inverse(layer) : layer);
            if (batchNorm && i < transforms - 1) {
                layers.add(new BatchNorm(ctx, features, 2));
            }
            ordering = ordering.reverse();
        }
        return new Chain(layers);
    }

    /**
     * The flow: {@link #bijector} over a standard normal of {@code features} dimensions.
     *
     * @param ctx makes the parameters; its random source advances as in {@link #bijector}
     * @return a new flow with fresh parameters on each call
     * @throws NullPointerException if {@code ctx} is null
     */
    public Flow build(BuildContext ctx) {
        return new Flow(bijector(ctx), new StandardNormal(ctx, Shape.of(features)));
    }

    @Override
    public String toString() {
        return (inverse ? "Iaf" : "Maf") + "(features " + features + ", " + transforms + " transforms, " + network
                + ", " + transform + (batchNorm ? ", batch norm" : "")
                + (contextSize > 0 ? ", context " + contextSize : "") + ")";
    }
}
