package org.flows4j.layers.bijectors;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;

/**
 * An elementwise 0/1 mask {@code b} over the event (see {@link Mask}): the conditioner sees
 * {@code b * x}, and the output is {@code b * x + (1 - b) * g(x)}, so only elements with
 * {@code b = 0} change and only their log-det terms count. RealNVP's checkerboard.
 */
public final class BinaryMask implements Mask {

    private final Shape eventShape;
    private final double[] keep;

    BinaryMask(Shape eventShape, double[] keep) {
        if (keep.length != eventShape.size()) {
            throw new IllegalArgumentException("mask of " + keep.length + " values for event shape " + eventShape);
        }
        this.eventShape = eventShape;
        this.keep = keep.clone();
    }

    /**
     * The mask values over the event, 1 where an element is kept.
     *
     * @return a copy of the values, row-major over the event, each 0 or 1
     */
    public double[] values() {
        return keep.clone();
    }

    /**
     * The complementary mask.
     *
     * @return a new mask over the same event that keeps exactly the elements this one transforms
     */
    public BinaryMask flipped() {
        double[] f = new double[keep.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1 - keep[i];
        }
        return new BinaryMask(eventShape, f);
    }

    private Tensor b(Tensor x) {
        Events.check("coupling with a binary mask", eventShape, x);
        Backend backend = x.backend();
        DType dtype = x.dtype();
        return Tensor.of(backend, dtype, keep, eventShape);
    }

    @Override
    public Tensor conditionerInput(Tensor x) {
        return x.mul(b(x));
    }

    @Override
    public Tensor transformedPart(Tensor x) {
        b(x);
        return x;
    }

    @Override
    public Tensor combine(Tensor x, Tensor transformed) {
        Tensor b = b(x);
        return x.mul(b).add(transformed.mul(b.neg().add(1.0)));
    }

    @Override
    public Tensor maskLogDet(Tensor perElement) {
        return perElement.mul(b(perElement).neg().add(1.0));
    }

    @Override
    public int transformedSize() {
        return eventShape.dim(0);
    }

    @Override
    public int conditionerSize() {
        return eventShape.dim(0);
    }
}
