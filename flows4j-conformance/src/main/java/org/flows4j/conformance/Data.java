package org.flows4j.conformance;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;

/**
 * Host values of one tensor: the inputs of a check, or a result read back or computed on the
 * host. A constant input of a gradient check is not differentiated.
 *
 * @param shape the dimensions
 * @param values the elements in row-major order
 * @param constant whether gradient checks leave this input alone
 */
// The kit compares inputs and results element by element with tolerances, never with
// Data.equals; no Data is hashed.
@SuppressWarnings("ArrayRecordComponent")
record Data(Shape shape, double[] values, boolean constant) {

    /** Validates. */
    public Data {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException(values.length + " values for shape " + shape);
        }
    }

    /** A variable input. */
    public static Data of(Shape shape, double... values) {
        return new Data(shape, values, false);
    }

    /** A variable input of the given dimensions. */
    public static Data of(int[] dims, double... values) {
        return new Data(Shape.of(dims), values, false);
    }

    /** This input, not differentiated by gradient checks. */
    public Data asConstant() {
        return new Data(shape, values, true);
    }

    /** The values rounded to {@code dtype}, so every backend receives exactly the same numbers. */
    public Data roundedTo(DType dtype) {
        if (dtype != DType.FLOAT32) {
            return this;
        }
        double[] r = new double[values.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) values[i];
        }
        return new Data(shape, r, constant);
    }

    /** Elementwise absolute values: the inputs whose result is the error scale of a sum. */
    public Data abs() {
        return new Data(shape, Arrays.stream(values).map(Math::abs).toArray(), constant);
    }

    /** A tensor of {@code dtype} on {@code backend} with these values. */
    public Tensor on(Backend backend, DType dtype) {
        return Tensor.of(backend, dtype, values, shape);
    }

    /** The values of a tensor read back to the host. */
    public static Data from(Tensor t) {
        return new Data(t.shape(), t.toDoubleArray(), false);
    }
}
