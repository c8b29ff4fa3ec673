package org.flows4j.api.flow;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.tensor.Tensor;

/**
 * A named slot that a module owns and an optimizer or an initializer refills: tensors stay
 * immutable, the holder changes. A trainable parameter always holds a leaf that
 * {@linkplain Tensor#requiresGrad() requires a gradient}; a state slot (actnorm's
 * initialized flag, batch-norm running statistics) holds a plain tensor.
 *
 * <p>The shape and dtype are fixed at construction; {@link #set} checks them. Reads and
 * writes are atomic. {@link #set} frees the value it replaces, so a training step must not
 * run while other threads still compute with the old values: concurrent inference is safe
 * between updates, not during them (training is single-threaded).
 */
public final class Parameter {

    private final boolean trainable;
    private final Shape shape;
    private final DType dtype;
    private volatile Tensor value;

    private Parameter(Tensor initial, boolean trainable) {
        this.trainable = trainable;
        this.shape = initial.shape();
        this.dtype = initial.dtype();
        this.value = trainable ? initial.requiringGrad() : initial.detach();
        this.value.unscoped();
    }

    /**
     * A trainable parameter with an initial value.
     *
     * @param initial the value, which fixes the shape and dtype; it stays the caller's (the
     *     parameter holds a gradient-requiring leaf of its own that shares the storage)
     * @return the parameter
     */
    public static Parameter trainable(Tensor initial) {
        return new Parameter(initial, true);
    }

    /**
     * A non-trainable state slot with an initial value.
     *
     * @param initial the value, which fixes the shape and dtype; it stays the caller's (the slot
     *     holds a detached tensor of its own that shares the storage)
     * @return the state slot
     */
    public static Parameter state(Tensor initial) {
        return new Parameter(initial, false);
    }

    /**
     * Whether an optimizer updates it.
     *
     * @return true for a parameter, false for a state slot
     */
    public boolean trainable() {
        return trainable;
    }

    /**
     * The fixed shape.
     *
     * @return the shape every value has
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The fixed dtype.
     *
     * @return the dtype every value has
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The current value.
     *
     * @return the current tensor, owned by this parameter: valid until the next {@link #set}, which
     *     frees it
     */
    public Tensor value() {
        return value;
    }

    /**
     * Replaces the value and frees the old one. The parameter shares the given tensor's
     * storage through a reference of its own (a trainable parameter stores a fresh
     * gradient-requiring leaf); the given tensor stays the caller's, freed by its memory scope
     * or by {@link Tensor#free()} as usual, and the storage lives while either holds it.
     *
     * @param next the new value, of this parameter's shape and dtype
     * @throws IllegalArgumentException if the shape or dtype differ
     */
    public void set(Tensor next) {
        if (!next.shape().equals(shape) || next.dtype() != dtype) {
            throw new IllegalArgumentException(
                    "parameter of shape " + shape + " " + dtype.label() + " cannot take a value of shape "
                            + next.shape() + " " + next.dtype().label());
        }
        Tensor leaf = trainable ? next.requiringGrad() : next.detach();
        leaf.unscoped();
        Tensor old = value;
        value = leaf;
        if (old != null && old != leaf) {
            old.free();
        }
    }

    @Override
    public String toString() {
        return (trainable ? "Parameter" : "State") + shape + " " + dtype.label();
    }
}
