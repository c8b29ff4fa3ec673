package org.flows4j.backend.cpu;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Storage;

/**
 * A heap buffer in row-major order: a {@code float[]} for float32 or a {@code double[]} for
 * float64, never both. Storages are immutable once a kernel has returned them, which is what
 * lets {@link CpuBackend#reshape} return a view that shares the array with a new shape.
 */
final class CpuStorage implements Storage {

    private final Shape shape;
    private final DType dtype;
    private final float[] floats;
    private final double[] doubles;

    private CpuStorage(Shape shape, DType dtype, float[] floats, double[] doubles) {
        this.shape = shape;
        this.dtype = dtype;
        this.floats = floats;
        this.doubles = doubles;
    }

    /** Wraps {@code data} without copying; the caller hands it over. */
    static CpuStorage wrap(float[] data, Shape shape) {
        return new CpuStorage(shape, DType.FLOAT32, data, null);
    }

    /** Wraps {@code data} without copying; the caller hands it over. */
    static CpuStorage wrap(double[] data, Shape shape) {
        return new CpuStorage(shape, DType.FLOAT64, null, data);
    }

    /** Zeros. */
    static CpuStorage zeros(Shape shape, DType dtype) {
        return dtype == DType.FLOAT32 ? wrap(new float[shape.size()], shape) : wrap(new double[shape.size()], shape);
    }

    /**
     * Values computed in double precision, handed over as float64 or rounded once to float32:
     * the exit of every kernel that accumulates in double.
     */
    static CpuStorage fromComputed(double[] values, Shape shape, DType dtype) {
        return dtype == DType.FLOAT64 ? wrap(values, shape) : wrap(Convert.toFloats(values), shape);
    }

    /** Checks that {@code s} was made by this backend. */
    static CpuStorage of(Storage s) {
        if (s instanceof CpuStorage c) {
            return c;
        }
        throw new IllegalArgumentException("the cpu backend cannot read a storage made by another backend: "
                + (s == null ? "null" : s.getClass().getName()));
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    /** The float32 elements, shared: callers must not write them. Null for float64. */
    float[] floats() {
        return floats;
    }

    /** The float64 elements, shared: callers must not write them. Null for float32. */
    double[] doubles() {
        return doubles;
    }

    /** The backing array, for copies with {@link System#arraycopy} that do not care about the element type. */
    Object array() {
        return floats != null ? floats : doubles;
    }

    /**
     * The elements as doubles for reading: the backing array itself for float64 (no copy, so the
     * caller must not write it), a widened copy for float32.
     */
    double[] readDoubles() {
        return doubles != null ? doubles : Convert.toDoubles(floats);
    }

    /** A view sharing this storage's elements with another shape of the same size. */
    CpuStorage withShape(Shape newShape) {
        return new CpuStorage(newShape, dtype, floats, doubles);
    }

    @Override
    public String toString() {
        return "CpuStorage" + shape + " " + dtype.label();
    }
}
