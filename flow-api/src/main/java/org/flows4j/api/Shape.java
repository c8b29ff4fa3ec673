package org.flows4j.api;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first (row-major, NCHW for images).
 *
 * <p>A rank-0 shape ({@code Shape.of()}) is a scalar with one element. Dimensions may be
 * zero, which gives an empty tensor. Instances are immutable: the array passed in is copied
 * and {@link #dims()} returns a copy.
 *
 * @param dims the size of each dimension, each {@code >= 0}
 */
// equals, hashCode and toString are overridden below with Arrays.equals/hashCode/toString,
// and the array is copied in and out: the record compares by value.
@SuppressWarnings("ArrayRecordComponent")
public record Shape(int[] dims) {

    private static final Shape SCALAR = new Shape(new int[0]);

    /**
     * Validates and copies the dimensions.
     *
     * @param dims the size of each dimension, each {@code >= 0}; the array is copied
     * @throws IllegalArgumentException if {@code dims} is null, has a negative entry, or the
     *     product exceeds {@link Integer#MAX_VALUE}
     */
    public Shape {
        if (dims == null) {
            throw new IllegalArgumentException("shape dims must not be null");
        }
        dims = dims.clone();
        long size = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has a negative dimension");
            }
            size *= d;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + " has more than " + Integer.MAX_VALUE + " elements");
            }
        }
    }

    /**
     * A shape with the given dimensions.
     *
     * @param dims the size of each dimension, outermost first, each {@code >= 0}; none for a scalar
     * @return the shape ({@link #scalar()} when {@code dims} is empty)
     * @throws IllegalArgumentException as the constructor does
     */
    public static Shape of(int... dims) {
        return dims.length == 0 ? SCALAR : new Shape(dims);
    }

    /**
     * The rank-0 shape of a scalar.
     *
     * @return the shared shape {@code []}, of size 1
     */
    public static Shape scalar() {
        return SCALAR;
    }

    /**
     * A copy of the dimensions.
     *
     * @return a new array, outermost dimension first; empty for a scalar
     */
    @Override
    public int[] dims() {
        return dims.clone();
    }

    /**
     * The number of dimensions.
     *
     * @return the rank, 0 for a scalar
     */
    public int rank() {
        return dims.length;
    }

    /**
     * The size of dimension {@code axis}; a negative axis counts from the end.
     *
     * @param axis the axis, in {@code [-rank, rank)}
     * @return the size of that dimension, {@code >= 0}
     * @throws IllegalArgumentException if {@code axis} is out of range
     */
    public int dim(int axis) {
        return dims[normalizeAxis(axis)];
    }

    /**
     * The number of elements: the product of the dimensions (1 for a scalar).
     *
     * @return the element count; 0 when any dimension is 0
     */
    public int size() {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        return size;
    }

    /**
     * Maps a possibly negative axis into {@code [0, rank)} or throws naming the shape.
     *
     * @param axis the axis, in {@code [-rank, rank)}; {@code -1} is the last
     * @return the same axis counted from the front, in {@code [0, rank)}
     * @throws IllegalArgumentException if {@code axis} is out of range
     */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for shape " + this);
        }
        return a;
    }

    /**
     * Row-major strides in elements: {@code strides[i]} is the product of {@code dims[i+1..]}.
     *
     * @return a new array of length {@link #rank()} (the last stride is 1); empty for a scalar
     */
    public int[] strides() {
        int[] strides = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    /**
     * This shape with dimension {@code axis} replaced by {@code size}.
     *
     * @param axis the axis to replace, in {@code [-rank, rank)}
     * @param size its new size, {@code >= 0}
     * @return a new shape; this one is unchanged
     * @throws IllegalArgumentException if {@code axis} is out of range or {@code size} is negative
     */
    public Shape withDim(int axis, int size) {
        int[] d = dims.clone();
        d[normalizeAxis(axis)] = size;
        return new Shape(d);
    }

    /**
     * The NumPy broadcast of two shapes: dimensions are aligned from the right, and each pair
     * must be equal or contain a 1.
     *
     * @param op the operation's name, used only in the error message
     * @param a the first shape
     * @param b the second shape
     * @return the broadcast shape, of rank {@code max(a.rank(), b.rank())}
     * @throws IllegalArgumentException naming the operation and both shapes when they do not broadcast
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        int rank = Math.max(a.dims.length, b.dims.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.dims.length ? 1 : a.dims[i - (rank - a.dims.length)];
            int db = i < rank - b.dims.length ? 1 : b.dims[i - (rank - b.dims.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " do not broadcast");
            }
        }
        return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Formats as {@code [2, 3]}; a scalar is {@code []}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
