package org.flows4j.layers.bijectors;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.nn.NetworkFactory;

/**
 * The RealNVP preset for vectors (Dinh, Sohl-Dickstein and Bengio, 2016), one line:
 * <pre>{@code
 * Flow flow = RealNvp.features(2).transforms(8).network(Mlp.hidden(64, 64)).build(ctx);
 * }</pre>
 * like zuko's {@code RealNVP(features=2, transforms=8, hidden_features=[64, 64])}. It is
 * {@code transforms} affine couplings {@code y_B = x_B exp(s) + t} whose masks alternate
 * between the two {@linkplain Masks#halves halves} of the features (the first keeps the first
 * {@code ceil(D/2)}), each conditioner built by {@code network} and sized by
 * {@link Coupling#affine}, over a standard normal {@code N(0, I_D)}. Written out it is
 * <pre>{@code
 * for (int i = 0; i < transforms; i++) {
 *     couplings.add(Coupling.affine(ctx.split(), Masks.halves(features, i % 2 == 1), network, scale));
 * }
 * Flow flow = new Flow(new Chain(couplings), new StandardNormal(ctx, Shape.of(features)));
 * }</pre>
 * so each coupling's conditioner gets its own {@code ctx.split()}, in order. The defaults
 * (8 transforms, {@code Mlp.hidden(64, 64)}, {@link CouplingTransform.Scale#TANH}) are the
 * zoo's {@code realnvp:2d}, and for the same random source the preset builds the same flow
 * as that model.
 *
 * <p>An immutable spec: every method but {@link #build} and {@link #bijector} returns a
 * modified copy.
 */
public final class RealNvp {

    private final int features;
    private final int transforms;
    private final NetworkFactory network;
    private final CouplingTransform.Scale scale;

    private RealNvp(int features, int transforms, NetworkFactory network, CouplingTransform.Scale scale) {
        this.features = features;
        this.transforms = transforms;
        this.network = network;
        this.scale = scale;
    }

    /**
     * RealNVP over vectors of {@code features} elements, with the defaults: 8 transforms,
     * conditioners {@code Mlp.hidden(64, 64)}, scale {@code tanh}.
     *
     * @param features the dimension {@code D} of the data vectors, at least 2
     * @return the spec
     * @throws IllegalArgumentException naming {@code features} if it is below 2 (a coupling
     *     needs two non-empty halves)
     */
    public static RealNvp features(int features) {
        if (features < 2) {
            throw new IllegalArgumentException(
                    "RealNvp.features: features must be >= 2 to split into halves, got " + features);
        }
        return new RealNvp(features, 8, Mlp.hidden(64, 64), CouplingTransform.Scale.TANH);
    }

    /**
     * This spec with {@code transforms} coupling layers.
     *
     * @param transforms the number of coupling layers, {@code > 0}
     * @return a modified copy; this spec is unchanged
     * @throws IllegalArgumentException naming {@code transforms} if it is not positive
     */
    public RealNvp transforms(int transforms) {
        if (transforms <= 0) {
            throw new IllegalArgumentException("RealNvp.transforms: transforms must be positive, got " + transforms);
        }
        return new RealNvp(features, transforms, network, scale);
    }

    /**
     * This spec with conditioners built by {@code network}.
     *
     * @param network the conditioners' architecture; sized by each coupling
     * @return a modified copy; this spec is unchanged
     * @throws NullPointerException if {@code network} is null
     */
    public RealNvp network(NetworkFactory network) {
        return new RealNvp(features, transforms, Objects.requireNonNull(network, "network"), scale);
    }

    /**
     * This spec with log-scales {@code s = scale(h_s)}.
     *
     * @param scale how each conditioner's raw output becomes the log-scale
     * @return a modified copy; this spec is unchanged
     * @throws NullPointerException if {@code scale} is null
     */
    public RealNvp scale(CouplingTransform.Scale scale) {
        return new RealNvp(features, transforms, network, Objects.requireNonNull(scale, "scale"));
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
     * The number of coupling layers.
     *
     * @return the number of couplings
     */
    public int transforms() {
        return transforms;
    }

    /**
     * The conditioners' architecture.
     *
     * @return the network factory every coupling's conditioner is built by
     */
    public NetworkFactory network() {
        return network;
    }

    /**
     * The log-scale function.
     *
     * @return the scale of every coupling
     */
    public CouplingTransform.Scale scale() {
        return scale;
    }

    /**
     * The chain of couplings alone, data to latent, each conditioner from its own {@code ctx.split()}.
     *
     * @param ctx makes the parameters; its random source advances by one split per coupling
     * @return a new chain of fresh couplings on each call
     * @throws NullPointerException if {@code ctx} is null
     */
    public Chain bijector(BuildContext ctx) {
        Objects.requireNonNull(ctx, "ctx");
        List<Bijector> couplings = new ArrayList<>(transforms);
        for (int i = 0; i < transforms; i++) {
            couplings.add(Coupling.affine(ctx.split(), Masks.halves(features, i % 2 == 1), network, scale));
        }
        return new Chain(couplings);
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
        return "RealNvp(features " + features + ", " + transforms + " transforms, " + network + ", " + scale + ")";
    }
}
