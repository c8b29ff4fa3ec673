package org.flows4j.layers.bijectors;

import java.util.List;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.Layer;

/**
 * A coupling layer: a {@link Mask}, a conditioner network and a {@link CouplingTransform}.
 * With {@code x_A} the kept elements and {@code x_B} the transformed ones,
 * {@code y_A = x_A} and {@code y_B = g(x_B; NN(x_A))}; the Jacobian is triangular, so
 * {@code log|det| = sum_B log|g'|}, and the inverse needs only {@code g^-1}, since
 * {@code NN} sees the unchanged part. NICE: additive {@code g}; RealNVP and Glow: affine.
 *
 * <p>The conditioner maps {@code [batch, mask.conditionerSize(), ...]} to
 * {@code [batch, k * mask.transformedSize(), ...]}, {@code k} the transform's
 * {@link CouplingTransform#parameterCount()}, split along axis 1 into the {@code k} parameters.
 */
public final class Coupling extends AbstractComponent implements Bijector {

    private final Mask mask;
    private final Layer conditioner;
    private final CouplingTransform transform;

    /** A coupling of {@code mask}, {@code conditioner} (registered as {@code net}) and {@code transform}. */
    public Coupling(Mask mask, Layer conditioner, CouplingTransform transform) {
        this.mask = mask;
        this.conditioner = child("net", conditioner);
        this.transform = transform;
    }

    /** The mask. */
    public Mask mask() {
        return mask;
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
