package org.flows4j.layers.io;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.internal.TensorAccess;
import org.flows4j.api.tensor.Tensor;

/**
 * One tensor of a {@link Checkpoint}, held on the host exactly as stored: float32 data as
 * {@code float[]}, float64 data as {@code double[]}. Immutable; every accessor copies.
 */
public final class StoredTensor {

    private final DType dtype;
    private final Shape shape;
    private final float[] floats;
    private final double[] doubles;

    private StoredTensor(DType dtype, Shape shape, float[] floats, double[] doubles) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.doubles = doubles;
    }

    /** Takes ownership of {@code data}. */
    static StoredTensor ofFloats(Shape shape, float[] data) {
        return new StoredTensor(DType.FLOAT32, shape, data, null);
    }

    /** Takes ownership of {@code data}. */
    static StoredTensor ofDoubles(Shape shape, double[] data) {
        return new StoredTensor(DType.FLOAT64, shape, null, data);
    }

    /**
     * The stored element type.
     *
     * @return {@link DType#FLOAT32} or {@link DType#FLOAT64}
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The dimensions.
     *
     * @return the stored shape
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The elements in row-major order as floats: exact for float32, rounded for float64.
     *
     * @return a new array of {@code shape().size()} elements, the caller's to keep
     */
    public float[] toFloatArray() {
        if (floats != null) {
            return floats.clone();
        }
        float[] out = new float[doubles.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) doubles[i];
        }
        return out;
    }

    /**
     * The elements in row-major order as doubles: exact for both dtypes.
     *
     * @return a new array of {@code shape().size()} elements, the caller's to keep
     */
    public double[] toDoubleArray() {
        if (doubles != null) {
            return doubles.clone();
        }
        double[] out = new double[floats.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = floats[i];
        }
        return out;
    }

    /**
     * A tensor of the stored dtype and shape on {@code backend}, holding exactly the stored values.
     *
     * @param backend the backend to make the tensor on
     * @return a new tensor owned by the caller (freed with the enclosing memory scope, or by
     *     {@link Tensor#free()})
     */
    public Tensor toTensor(Backend backend) {
        return floats != null
                ? TensorAccess.wrap(backend, backend.fromFloats(floats.clone(), shape, dtype))
                : TensorAccess.wrap(backend, backend.fromDoubles(doubles.clone(), shape, dtype));
    }

    @Override
    public String toString() {
        return "StoredTensor" + shape + " " + dtype.label();
    }
}
