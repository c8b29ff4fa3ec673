package org.flows4j.backend.djl;

import ai.djl.ndarray.NDArray;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Storage;

/**
 * A PyTorch tensor held through DJL: one native handle, attached to the backend's root
 * manager and released by {@link DjlBackend#free} (or by the backend's close, for whatever is
 * left). The tensor's elements live in libtorch's reference-counted storage, so a reshape view
 * keeps them alive after its base's handle is released, and releasing the view leaves the base
 * intact: exactly the SPI's rule for views.
 */
final class DjlStorage implements Storage {

    private final NDArray array;
    private final Shape shape;
    private final DType dtype;

    private DjlStorage(NDArray array, Shape shape, DType dtype) {
        this.array = array;
        this.shape = shape;
        this.dtype = dtype;
    }

    /** Wraps a kernel's result; its shape and dtype are read from the tensor. */
    static DjlStorage wrap(NDArray array) {
        long[] d = array.getShape().getShape();
        int[] dims = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            dims[i] = Math.toIntExact(d[i]);
        }
        return new DjlStorage(array, Shape.of(dims), Types.dtype(array.getDataType()));
    }

    /** Checks that {@code s} was made by this backend. */
    static DjlStorage of(Storage s) {
        if (s instanceof DjlStorage d) {
            return d;
        }
        throw new IllegalArgumentException("the djl backend cannot read a storage made by another backend: "
                + (s == null ? "null" : s.getClass().getName()));
    }

    /**
     * The tensor. A released handle would crash the JVM inside libtorch, so reaching one is an
     * exception here instead (the API frees each storage once, after its last use).
     */
    NDArray array() {
        if (array.isReleased()) {
            throw new IllegalStateException(
                    "this djl storage " + shape + " " + dtype.label() + " was freed (or its backend closed)");
        }
        return array;
    }

    /** Releases the native handle; a second call does nothing. */
    void release() {
        if (!array.isReleased()) {
            array.close();
        }
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public String toString() {
        return "DjlStorage" + shape + " " + dtype.label();
    }
}
