package org.flows4j.backend.cpu;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Storage;

/**
 * A heap buffer in row-major order: a {@code float[]} for float32 or a {@code double[]} for
 * float64, never both. Storages are immutable once a kernel has returned them, which is what
 * lets {@link CpuBackend#reshape} return a view that shares the array with a new shape. The
 * one exception is the fused in-place optimizer update ({@link CpuBackend#adamUpdate}), which
 * writes storages its caller owns.
 *
 * <p>When the SPI frees a storage its array goes back to the backend's {@link ArrayPool} (a
 * view's array stays with its base), and the storage refuses any further use, so that a
 * use after free fails loudly instead of reading another kernel's output.
 */
final class CpuStorage implements Storage {

    private final Shape shape;
    private final DType dtype;
    private final float[] floats;
    private final double[] doubles;
    /** Whether this storage shares the array of another one (a reshape view), which owns it. */
    private final boolean view;

    private volatile boolean freed;

    private CpuStorage(Shape shape, DType dtype, float[] floats, double[] doubles, boolean view) {
        this.shape = shape;
        this.dtype = dtype;
        this.floats = floats;
        this.doubles = doubles;
        this.view = view;
    }

    /** Wraps {@code data} without copying; the caller hands it over. */
    static CpuStorage wrap(float[] data, Shape shape) {
        return new CpuStorage(shape, DType.FLOAT32, data, null, false);
    }

    /** Wraps {@code data} without copying; the caller hands it over. */
    static CpuStorage wrap(double[] data, Shape shape) {
        return new CpuStorage(shape, DType.FLOAT64, null, data, false);
    }

    /** Zeros. */
    static CpuStorage zeros(Shape shape, DType dtype) {
        return dtype == DType.FLOAT32 ? wrap(new float[shape.size()], shape) : wrap(new double[shape.size()], shape);
    }

    /**
     * A storage whose elements are unspecified, perhaps a recycled array from {@code pool}: for
     * kernels that write every element before anyone reads it.
     */
    static CpuStorage uninitialized(Shape shape, DType dtype, ArrayPool pool) {
        return dtype == DType.FLOAT32
                ? wrap(pool.floats(shape.size()), shape)
                : wrap(pool.doubles(shape.size()), shape);
    }

    /**
     * Values computed in double precision, handed over as float64 or rounded once to float32:
     * the exit of every kernel that accumulates in double.
     */
    static CpuStorage fromComputed(double[] values, Shape shape, DType dtype) {
        return dtype == DType.FLOAT64 ? wrap(values, shape) : wrap(Convert.toFloats(values), shape);
    }

    /** Checks that {@code s} was made by this backend and has not been freed. */
    static CpuStorage of(Storage s) {
        if (s instanceof CpuStorage c) {
            if (c.freed) {
                // its array may already hold another kernel's output
                throw new IllegalStateException("the cpu backend was passed a storage after it was freed: " + c);
            }
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
        return new CpuStorage(newShape, dtype, floats, doubles, true);
    }

    /**
     * Marks this storage freed and returns the array it owns for recycling, or null when there
     * is none: the storage was freed before, or it is a view whose array its base owns (the SPI
     * frees views before their base).
     */
    synchronized Object free() {
        if (freed) {
            return null;
        }
        freed = true;
        return view ? null : array();
    }

    @Override
    public String toString() {
        return "CpuStorage" + shape + " " + dtype.label();
    }
}
