package org.flows4j.backend.nd4j;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Condition;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Small conversions and calls into ND4J shared by the kernels. Every array made here is a
 * fresh contiguous 'c'-order array that its caller owns and must either return in a storage
 * or {@link #release}.
 */
final class Nd {

    private static final int[] NO_INTS = {};
    private static final boolean[] NO_BOOLEANS = {};

    private Nd() {}

    /** ND4J's element type for {@code dtype}. */
    static DataType type(DType dtype) {
        return dtype == DType.FLOAT32 ? DataType.FLOAT : DataType.DOUBLE;
    }

    /** The dimensions as ND4J takes them. */
    static long[] dims(Shape shape) {
        int[] d = shape.dims();
        long[] l = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            l[i] = d[i];
        }
        return l;
    }

    /** Row-major strides in elements. */
    static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= dims[i];
        }
        return s;
    }

    /** An uninitialized array of {@code shape} (which must have elements), or a rank-0 array for a scalar shape. */
    static INDArray alloc(DataType type, Shape shape) {
        if (shape.size() == 0) {
            throw new IllegalArgumentException("nd4j: no array for the empty shape " + shape);
        }
        return shape.rank() == 0 ? Nd4j.scalar(type, 0) : Nd4j.createUninitialized(type, dims(shape), 'c');
    }

    /** An array of {@code shape} with every element {@code value} (rounded to the type). */
    static INDArray filled(DataType type, Shape shape, double value) {
        INDArray a = alloc(type, shape);
        a.assign(value);
        return a;
    }

    /**
     * A second array over {@code base}'s buffer with another shape of the same size. {@code base}
     * must be contiguous from offset 0 (every storage's array is); the result must never be
     * released, since the buffer is {@code base}'s.
     */
    static INDArray sharing(INDArray base, long[] dims) {
        return sharing(base, dims, 0);
    }

    /** As {@link #sharing(INDArray, long[])}, starting {@code offset} elements into the buffer. */
    static INDArray sharing(INDArray base, long[] dims, long offset) {
        return Nd4j.create(base.data(), dims, strides(dims), offset, 'c');
    }

    /** A contiguous 'c'-order copy. */
    static INDArray copy(INDArray a) {
        return a.dup('c');
    }

    /** Runs the custom operation {@code op} into the given outputs. */
    static void exec(String op, INDArray[] inputs, INDArray[] outputs, int... iArgs) {
        exec(op, inputs, outputs, iArgs, NO_BOOLEANS);
    }

    /** Runs the custom operation {@code op} with integer and boolean arguments into the given outputs. */
    static void exec(String op, INDArray[] inputs, INDArray[] outputs, int[] iArgs, boolean[] bArgs, Double... tArgs) {
        DynamicCustomOp.DynamicCustomOpsBuilder b =
                DynamicCustomOp.builder(op).addInputs(inputs).addOutputs(outputs);
        if (iArgs.length > 0) {
            b.addIntegerArguments(iArgs);
        }
        if (bArgs.length > 0) {
            b.addBooleanArguments(bArgs);
        }
        if (tArgs.length > 0) {
            b.addFloatingPointArguments(tArgs);
        }
        Nd4j.exec(b.build());
    }

    /** Runs {@code op} on one input into one output. */
    static void exec1(String op, INDArray input, INDArray output, int... iArgs) {
        exec(op, new INDArray[] {input}, new INDArray[] {output}, iArgs.length == 0 ? NO_INTS : iArgs);
    }

    /**
     * Whether any element is NaN: a Vector API scan of the buffer ({@link DirectKernels}) for
     * a whole row-major array, else ND4J's counting pass (no mask allocated either way).
     */
    static boolean hasNaN(INDArray a) {
        if (direct(a)) {
            return DirectKernels.hasNaN(a.data().asNio(), (int) a.length(), a.dataType() == DataType.FLOAT);
        }
        return count(a, Conditions.isNan()) > 0;
    }

    /**
     * Whether {@link DirectKernels} can read {@code a} through its buffer: the Vector API is
     * present and {@code a} is a float or double array whose elements are the first of its
     * buffer, in row-major order.
     */
    static boolean direct(INDArray a) {
        long n = a.length();
        int bytes = a.dataType().width();
        return DirectKernels.available()
                && !a.isEmpty()
                && a.offset() == 0
                && a.ordering() == 'c'
                && a.elementWiseStride() == 1
                && n * bytes <= Integer.MAX_VALUE
                && (a.dataType() == DataType.FLOAT || a.dataType() == DataType.DOUBLE)
                && a.data().asNio().capacity() >= n * bytes;
    }

    /** The number of elements that meet {@code condition} (one pass, no mask allocated). */
    static long count(INDArray a, Condition condition) {
        INDArray count = Nd4j.getExecutioner().exec(new MatchCondition(a, condition));
        try {
            return count.getLong(0);
        } finally {
            release(count);
        }
    }

    /**
     * {@code mask ? ifTrue : ifFalse} elementwise into a new array; all four share one shape and
     * {@code mask} is BOOL.
     */
    static INDArray select(INDArray mask, INDArray ifTrue, INDArray ifFalse) {
        INDArray out = Nd4j.createUninitialized(ifTrue.dataType(), ifTrue.shape(), 'c');
        exec("select", new INDArray[] {mask, ifTrue, ifFalse}, new INDArray[] {out});
        return out;
    }

    /**
     * {@code x} (of {@code from}) broadcast to {@code to}: {@code x} itself when the shapes are
     * equal, otherwise a new array registered with {@code scratch}.
     */
    static INDArray expand(Scratch scratch, INDArray x, Shape from, Shape to) {
        if (from.equals(to)) {
            return x;
        }
        return scratch.add(broadcast(x, to));
    }

    /**
     * A new array of shape {@code to} holding {@code x} broadcast: {@code -0 + x}, ND4J's
     * broadcasting addition into an array of negative zeros, which gives every value back exactly
     * ({@code -0 + x = x} for every {@code x}, signed zeros and NaN included). ND4J's own
     * {@code broadcast_to} took 2.5 ms to spread a 256 x 1 column over 256 x 784 where this takes
     * about 0.2.
     */
    static INDArray broadcast(INDArray x, Shape to) {
        INDArray out = filled(x.dataType(), to, -0.0);
        try {
            exec("add", new INDArray[] {out, x}, new INDArray[] {out});
        } catch (RuntimeException | Error e) {
            release(out);
            throw e;
        }
        return out;
    }

    /**
     * Frees {@code a}'s native buffer now. Only arrays that own their buffer are closeable; ND4J's
     * own views and arrays already closed are left alone.
     */
    static void release(INDArray a) {
        if (a != null && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }
}
