package org.flows4j.layers.bijectors;

import java.util.List;
import java.util.Objects;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.Layer;
import org.flows4j.layers.nn.NetworkFactory;

/**
 * A coupling layer: a {@link Mask}, a conditioner network and a {@link CouplingTransform}.
 * With {@code x_A} the kept elements and {@code x_B} the transformed ones,
 * <pre>
 *   y_A = x_A,   y_B = g(x_B; NN(x_A)),   log|det dy/dx| = sum_B log|g'(x_B; NN(x_A))|
 * </pre>
 * The Jacobian is triangular, hence the log-det, and the inverse needs only {@code g^-1},
 * since {@code NN} sees the unchanged part. NICE: additive {@code g}; RealNVP and Glow:
 * affine.
 *
 * <p>The conditioner maps {@code [batch, mask.conditionerSize(), ...]} to
 * {@code [batch, k * mask.transformedSize(), ...]}, {@code k} the transform's
 * {@link CouplingTransform#parameterCount()}, split along axis 1 into the {@code k}
 * parameters. Given a {@link NetworkFactory}, the factories here size it that way
 * themselves, so switching between affine and additive is changing the factory called:
 * <pre>{@code
 * Coupling.affine(ctx, Masks.halves(2, false), Mlp.hidden(64, 64), Scale.TANH)  // Mlp 1 -> 2
 * Coupling.additive(ctx, Masks.halves(2, false), Mlp.hidden(64, 64))            // Mlp 1 -> 1
 * Coupling.of(mask, conditioner, CouplingTransform.additive())                  // a built net
 * }</pre>
 * For a {@linkplain Masks#halves partition} of {@code n} features (or channels) the
 * conditioner goes from the kept {@code ceil(n/2)} to {@code k} times the transformed
 * {@code floor(n/2)}; for a {@linkplain Masks#checkerboard checkerboard} over
 * {@code [c, h, w]} it sees all {@code c} (masked) channels and predicts {@code k c}.
 */
public final class Coupling extends AbstractComponent implements Bijector {

    private final Mask mask;
    private final Layer conditioner;
    private final CouplingTransform transform;

    private Coupling(Mask mask, Layer conditioner, CouplingTransform transform) {
        this.mask = Objects.requireNonNull(mask, "mask");
        this.conditioner = child("net", Objects.requireNonNull(conditioner, "conditioner"));
        this.transform = Objects.requireNonNull(transform, "transform");
    }

    /**
     * The full composition (distrax's {@code MaskedCoupling}): {@code mask}, an already built
     * {@code conditioner} (registered as {@code net}) and {@code transform}. The conditioner
     * must map {@code mask.conditionerSize()} to
     * {@code transform.parameterCount() * mask.transformedSize()} features or channels; a
     * mismatch is reported on the first pass.
     *
     * @throws NullPointerException naming the argument that is null
     */
    public static Coupling of(Mask mask, Layer conditioner, CouplingTransform transform) {
        return new Coupling(mask, conditioner, transform);
    }

    /**
     * A coupling whose conditioner {@code network} builds, sized from the mask and the
     * transform: {@code in = mask.conditionerSize()},
     * {@code out = transform.parameterCount() * mask.transformedSize()}. The conditioner is
     * built from {@code ctx} itself, so the coupling consumes {@code ctx}'s random source
     * exactly as the network does; pass {@code ctx.split()} for a stream of its own.
     *
     * @throws NullPointerException naming the argument that is null
     */
    public static Coupling of(BuildContext ctx, Mask mask, CouplingTransform transform, NetworkFactory network) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(transform, "transform");
        Objects.requireNonNull(network, "network");
        int in = mask.conditionerSize();
        int out = transform.parameterCount() * mask.transformedSize();
        Layer net = network.create(ctx, in, out);
        if (net == null) {
            throw new IllegalArgumentException("Coupling.of: the network factory " + network + " returned null for "
                    + in + " -> " + out);
        }
        return new Coupling(mask, net, transform);
    }

    /**
     * NICE's additive coupling {@code y_B = x_B + NN(x_A)} (log-det 0), the conditioner built
     * by {@code network} from {@code mask.conditionerSize()} to {@code mask.transformedSize()}.
     * See {@link #of(BuildContext, Mask, CouplingTransform, NetworkFactory)}.
     */
    public static Coupling additive(BuildContext ctx, Mask mask, NetworkFactory network) {
        return of(ctx, mask, CouplingTransform.additive(), network);
    }

    /**
     * RealNVP's and Glow's affine coupling {@code y_B = x_B exp(s) + t} with
     * {@code (h_s, t) = NN(x_A)} and {@code s = scale(h_s)}, the conditioner built by
     * {@code network} from {@code mask.conditionerSize()} to {@code 2 mask.transformedSize()}.
     * See {@link #of(BuildContext, Mask, CouplingTransform, NetworkFactory)}.
     *
     * @param scale how the log-scale is bounded: {@link CouplingTransform.Scale#TANH} (RealNVP),
     *     {@link CouplingTransform.Scale#SIGMOID} (Glow) or {@link CouplingTransform.Scale#EXP}
     */
    public static Coupling affine(BuildContext ctx, Mask mask, NetworkFactory network, CouplingTransform.Scale scale) {
        return of(ctx, mask, CouplingTransform.affine(scale), network);
    }

    /** The mask. */
    public Mask mask() {
        return mask;
    }

    /** The conditioner network. */
    public Layer conditioner() {
        return conditioner;
    }

    /** The element transform. */
    public CouplingTransform transform() {
        return transform;
    }

    private List<Tensor> params(Tensor x, Tensor part) {
        Tensor h = conditioner.apply(mask.conditionerInput(x));
        int k = transform.parameterCount();
        int[] expected = part.shape().dims();
        expected[1] *= k;
        if (!h.shape().equals(org.flows4j.api.Shape.of(expected))) {
            throw new IllegalArgumentException("coupling: the conditioner returned shape " + h.shape() + " but "
                    + k + " parameter(s) for a transformed part of shape " + part.shape() + " need "
                    + org.flows4j.api.Shape.of(expected));
        }
        if (k == 1) {
            return List.of(h);
        }
        int[] sizes = new int[k];
        java.util.Arrays.fill(sizes, part.shape().dim(1));
        return h.split(1, sizes);
    }

    @Override
    public Transformed forward(Tensor x) {
        Tensor part = mask.transformedPart(x);
        CouplingTransform.Result r = transform.forward(part, params(x, part));
        return new Transformed(mask.combine(x, r.value()), logDet(x, r));
    }

    @Override
    public Transformed inverse(Tensor z) {
        Tensor part = mask.transformedPart(z);
        CouplingTransform.Result r = transform.inverse(part, params(z, part));
        return new Transformed(mask.combine(z, r.value()), logDet(z, r));
    }

    private Tensor logDet(Tensor x, CouplingTransform.Result r) {
        return r.logDet() == null ? LogDets.zero(x) : Events.sumPerSample(mask.maskLogDet(r.logDet()));
    }
}
