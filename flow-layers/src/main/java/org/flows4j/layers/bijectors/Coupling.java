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
    private final int contextSize;

    private Coupling(Mask mask, Layer conditioner, CouplingTransform transform, int contextSize) {
        this.mask = Objects.requireNonNull(mask, "mask");
        this.conditioner = child("net", Objects.requireNonNull(conditioner, "conditioner"));
        this.transform = Objects.requireNonNull(transform, "transform");
        this.contextSize = contextSize;
    }

    /**
     * The full composition (distrax's {@code MaskedCoupling}): {@code mask}, an already built
     * {@code conditioner} (registered as {@code net}) and {@code transform}. The conditioner
     * must map {@code mask.conditionerSize()} to
     * {@code transform.parameterCount() * mask.transformedSize()} features or channels; a
     * mismatch is reported on the first pass.
     *
     * @param mask which elements are kept and which are transformed
     * @param conditioner the network from the kept part to the transform's parameters; owned by the
     *     coupling from now on (its parameters are the coupling's, under {@code net.})
     * @param transform the element transform applied to the transformed part
     * @return the coupling, unconditional (context size 0)
     * @throws NullPointerException naming the argument that is null
     */
    public static Coupling of(Mask mask, Layer conditioner, CouplingTransform transform) {
        return new Coupling(mask, conditioner, transform, 0);
    }

    /**
     * A coupling whose conditioner {@code network} builds, sized from the mask and the
     * transform: {@code in = mask.conditionerSize()},
     * {@code out = transform.parameterCount() * mask.transformedSize()}. The conditioner is
     * built from {@code ctx} itself, so the coupling consumes {@code ctx}'s random source
     * exactly as the network does; pass {@code ctx.split()} for a stream of its own.
     *
     * @param ctx makes and initializes the conditioner's parameters; its random source advances
     * @param mask which elements are kept and which are transformed
     * @param transform the element transform; its parameter count sizes the conditioner's output
     * @param network builds the conditioner from {@code ctx} and the sizes above; must not return null
     * @return the coupling, unconditional (context size 0)
     * @throws NullPointerException naming the argument that is null
     */
    public static Coupling of(BuildContext ctx, Mask mask, CouplingTransform transform, NetworkFactory network) {
        return of(ctx, mask, transform, network, 0);
    }

    /**
     * A conditional coupling {@code y_B = g(x_B; NN([x_A, c]))}: the conditioner sees the kept
     * part and a context {@code c} of {@code contextSize} features, concatenated along axis 1
     * ({@code in = mask.conditionerSize() + contextSize}), so it is for vectors
     * ({@code [batch, D]}, a {@linkplain Masks#halves partition} mask); 0 is
     * {@link #of(BuildContext, Mask, CouplingTransform, NetworkFactory)}. Pass the context with
     * {@link #forward(Tensor, Tensor)} (as {@code Flow.logProb(x, context)} does).
     *
     * @param ctx makes and initializes the conditioner's parameters; its random source advances
     * @param mask which elements are kept and which are transformed; a partition mask when
     *     {@code contextSize > 0}
     * @param transform the element transform; its parameter count sizes the conditioner's output
     * @param network builds the conditioner from {@code ctx} and the sizes above; must not return null
     * @param contextSize the number of context features, {@code [batch, contextSize]}; 0 for an
     *     unconditional coupling
     * @return the coupling
     * @throws NullPointerException naming the argument that is null
     * @throws IllegalArgumentException naming {@code contextSize} if it is negative
     */
    public static Coupling of(
            BuildContext ctx, Mask mask, CouplingTransform transform, NetworkFactory network, int contextSize) {
        Objects.requireNonNull(ctx, "ctx");
        if (contextSize < 0) {
            throw new IllegalArgumentException("Coupling.of: contextSize must be >= 0, got " + contextSize);
        }
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(transform, "transform");
        Objects.requireNonNull(network, "network");
        int in = mask.conditionerSize() + contextSize;
        int out = transform.parameterCount() * mask.transformedSize();
        Layer net = network.create(ctx, in, out);
        if (net == null) {
            throw new IllegalArgumentException(
                    "Coupling.of: the network factory " + network + " returned null for " + in + " -> " + out);
        }
        return new Coupling(mask, net, transform, contextSize);
    }

    /**
     * NICE's additive coupling {@code y_B = x_B + NN(x_A)} (log-det 0), the conditioner built
     * by {@code network} from {@code mask.conditionerSize()} to {@code mask.transformedSize()}.
     * See {@link #of(BuildContext, Mask, CouplingTransform, NetworkFactory)}.
     *
     * @param ctx makes and initializes the conditioner's parameters; its random source advances
     * @param mask which elements are kept and which are transformed
     * @param network builds the conditioner from {@code ctx} and the sizes above; must not return null
     * @return the additive coupling, volume-preserving (log-det 0)
     * @throws NullPointerException naming the argument that is null
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
     * @param ctx makes and initializes the conditioner's parameters; its random source advances
     * @param mask which elements are kept and which are transformed
     * @param network builds the conditioner from {@code ctx} and the sizes above; must not return null
     * @param scale how the log-scale is bounded: {@link CouplingTransform.Scale#TANH} (RealNVP),
     *     {@link CouplingTransform.Scale#SIGMOID} (Glow) or {@link CouplingTransform.Scale#EXP}
     * @return the affine coupling
     * @throws NullPointerException naming the argument that is null
     */
    public static Coupling affine(BuildContext ctx, Mask mask, NetworkFactory network, CouplingTransform.Scale scale) {
        return of(ctx, mask, CouplingTransform.affine(scale), network);
    }

    /**
     * The mask.
     *
     * @return the mask that splits inputs into kept and transformed elements
     */
    public Mask mask() {
        return mask;
    }

    /**
     * The conditioner network.
     *
     * @return the conditioner, registered as the child {@code net}
     */
    public Layer conditioner() {
        return conditioner;
    }

    /**
     * The element transform.
     *
     * @return the transform applied to the transformed part
     */
    public CouplingTransform transform() {
        return transform;
    }

    /**
     * The context features the conditioner sees besides the kept part (0 for none).
     *
     * @return the context size, {@code >= 0}; 0 for an unconditional coupling
     */
    public int contextSize() {
        return contextSize;
    }

    private Tensor conditionerInput(Tensor x, Tensor context) {
        Tensor in = mask.conditionerInput(x);
        if (contextSize == 0) {
            return in;
        }
        if (context == null) {
            throw new IllegalArgumentException("coupling: its conditioner is conditioned on a context of " + contextSize
                    + " features, but context is null");
        }
        Tensor c = org.flows4j.api.flow.Flow.broadcastContext(
                "coupling", context, x.shape().dim(0));
        if (in.rank() != 2 || c.shape().dim(1) != contextSize) {
            throw new IllegalArgumentException(
                    "coupling: context must be [" + x.shape().dim(0) + ", " + contextSize
                            + "] beside a kept part of vectors, got context " + context.shape() + " and kept part "
                            + in.shape());
        }
        return Tensor.concat(1, in, c);
    }

    private List<Tensor> params(Tensor x, Tensor part, Tensor context) {
        Tensor h = conditioner.apply(conditionerInput(x, context));
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
        return forward(x, null);
    }

    @Override
    public Transformed inverse(Tensor z) {
        return inverse(z, null);
    }

    /** {@code y_B = g(x_B; NN(x_A))}, or {@code NN([x_A, c])} for a conditional coupling. */
    @Override
    public Transformed forward(Tensor x, Tensor context) {
        Tensor part = mask.transformedPart(x);
        CouplingTransform.Result r = transform.forward(part, params(x, part, context));
        return new Transformed(mask.combine(x, r.value()), logDet(x, r));
    }

    /** {@code x_B = g^-1(y_B; NN(y_A))} (with the context for a conditional coupling). */
    @Override
    public Transformed inverse(Tensor z, Tensor context) {
        Tensor part = mask.transformedPart(z);
        CouplingTransform.Result r = transform.inverse(part, params(z, part, context));
        return new Transformed(mask.combine(z, r.value()), logDet(z, r));
    }

    private Tensor logDet(Tensor x, CouplingTransform.Result r) {
        return r.logDet() == null ? LogDets.zero(x) : Events.sumPerSample(mask.maskLogDet(r.logDet()));
    }
}
