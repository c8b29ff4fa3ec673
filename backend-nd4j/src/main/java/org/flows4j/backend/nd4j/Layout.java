package org.flows4j.backend.nd4j;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Data movement. Every result but a reshape is a fresh contiguous copy, made by one ND4J
 * custom operation into an array of the shape the SPI specifies ({@code broadcast_to},
 * {@code permute}, {@code slice}, {@code concat}, {@code gather}, {@code scatter_add}).
 */
final class Layout {

    private Layout() {}

    /**
     * A view over {@code x}'s buffer: every storage is contiguous in 'c' order from offset 0,
     * so any shape of the same size reads the same elements in the same order. The same shape
     * returns {@code x} itself, which the API recognizes.
     */
    static Nd4jStorage reshape(Nd4jStorage x, Shape shape) {
        if (x.shape().equals(shape)) {
            return x;
        }
        if (x.isEmpty()) {
            return Nd4jStorage.empty(shape, x.dtype());
        }
        return Nd4jStorage.viewing(Nd.sharing(x.array(), Nd.dims(shape)), shape, x.dtype());
    }

    static Nd4jStorage broadcastTo(Nd4jStorage x, Shape shape) {
        if (shape.size() == 0) {
            return Nd4jStorage.empty(shape, x.dtype());
        }
        if (x.shape().equals(shape)) {
            return Nd4jStorage.owning(Nd.copy(x.array()), shape, x.dtype());
        }
        return Nd4jStorage.owning(Nd.broadcast(x.array(), shape), shape, x.dtype());
    }

    static Nd4jStorage permute(Nd4jStorage x, int[] axes) {
        int[] d = x.shape().dims();
        int[] o = new int[d.length];
        boolean identity = true;
        for (int i = 0; i < d.length; i++) {
            o[i] = d[axes[i]];
            identity &= axes[i] == i;
        }
        Shape out = Shape.of(o);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, x.dtype());
        }
        if (identity) {
            return Nd4jStorage.owning(Nd.copy(x.array()), out, x.dtype());
        }
        return Nd4jStorage.owning(permuted(x.array(), out, axes), out, x.dtype());
    }

    /** A contiguous copy of {@code a} with its axes reordered (result {@code i} is input {@code axes[i]}). */
    private static INDArray permuted(INDArray a, Shape out, int[] axes) {
        INDArray z = Nd.alloc(a.dataType(), out);
        try {
            Nd.exec1("permute", a, z, axes);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return z;
    }

    static Nd4jStorage slice(Nd4jStorage x, int axis, int start, int end) {
        Shape out = x.shape().withDim(axis, end - start);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, x.dtype());
        }
        if (out.equals(x.shape())) {
            return Nd4jStorage.owning(Nd.copy(x.array()), out, x.dtype());
        }
        int rank = out.rank();
        int[] args = new int[2 * rank];
        for (int i = 0; i < rank; i++) {
            args[i] = i == axis ? start : 0;
            args[rank + i] = out.dims()[i];
        }
        INDArray z = Nd.alloc(x.array().dataType(), out);
        try {
            Nd.exec1("slice", x.array(), z, args);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, x.dtype());
    }

    /** Empty parts are skipped: ND4J is never handed an empty array. */
    static Nd4jStorage concat(List<Nd4jStorage> parts, int axis) {
        Nd4jStorage first = parts.get(0);
        int total = 0;
        List<INDArray> arrays = new ArrayList<>();
        for (Nd4jStorage p : parts) {
            total += p.shape().dims()[axis];
            if (!p.isEmpty()) {
                arrays.add(p.array());
            }
        }
        Shape out = first.shape().withDim(axis, total);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, first.dtype());
        }
        if (arrays.size() == 1) {
            return Nd4jStorage.owning(Nd.copy(arrays.get(0)), out, first.dtype());
        }
        INDArray z = Nd.alloc(Nd.type(first.dtype()), out);
        try {
            Nd.exec("concat", arrays.toArray(new INDArray[0]), new INDArray[] {z}, axis);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, first.dtype());
    }

    static Nd4jStorage gather(Nd4jStorage x, int axis, int[] indices) {
        Shape out = x.shape().withDim(axis, indices.length);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, x.dtype());
        }
        INDArray z = Nd.alloc(x.array().dataType(), out);
        try (Scratch s = new Scratch()) {
            INDArray idx = s.add(Nd4j.createFromArray(indices));
            Nd.exec("gather", new INDArray[] {x.array(), idx}, new INDArray[] {z}, axis);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, x.dtype());
    }

    /**
     * ND4J's {@code scatter_add} works along axis 0, so another axis is moved to the front and
     * back. It runs with its lock flag set, which makes it add the updates one after another:
     * repeated indices accumulate instead of racing.
     */
    static Nd4jStorage scatterAdd(Shape shape, int axis, int[] indices, Nd4jStorage source) {
        if (shape.size() == 0) {
            return Nd4jStorage.empty(shape, source.dtype());
        }
        DataType type = Nd.type(source.dtype());
        if (source.isEmpty()) {
            return Nd4jStorage.owning(Nd.filled(type, shape, 0), shape, source.dtype());
        }
        int[] inverse = inverse(indices, shape.dim(axis));
        if (inverse != null) {
            return scatterDistinct(shape, axis, indices.length, inverse, source, type);
        }
        // the axis first, then the others in order; back undoes it
        int rank = shape.rank();
        int[] front = new int[rank];
        front[0] = axis;
        for (int i = 0, j = 1; i < rank; i++) {
            if (i != axis) {
                front[j++] = i;
            }
        }
        int[] back = new int[rank];
        for (int i = 0; i < rank; i++) {
            back[front[i]] = i;
        }
        Shape frontShape = permutedShape(shape, front);
        INDArray acc = Nd.filled(type, frontShape, 0);
        try (Scratch s = new Scratch()) {
            INDArray idx = s.add(Nd4j.createFromArray(indices));
            INDArray src = axis == 0
                    ? source.array()
                    : s.add(permuted(source.array(), permutedShape(source.shape(), front), front));
            Nd.exec("scatter_add", new INDArray[] {acc, idx, src}, new INDArray[] {acc}, new int[0], new boolean[] {
                true, false
            });
            if (axis == 0) {
                return Nd4jStorage.owning(acc, shape, source.dtype());
            }
            s.add(acc);
            return Nd4jStorage.owning(permuted(acc, shape, back), shape, source.dtype());
        } catch (RuntimeException | Error e) {
            Nd.release(acc);
            throw e;
        }
    }

    /**
     * For indices that do not repeat, where each target index finds its source
     * ({@code indices.length} for a target no index names), else null.
     */
    private static int[] inverse(int[] indices, int dim) {
        if (indices.length > dim) {
            return null;
        }
        int[] inverse = new int[dim];
        java.util.Arrays.fill(inverse, -1);
        for (int i = 0; i < indices.length; i++) {
            if (inverse[indices[i]] >= 0) {
                return null;
            }
            inverse[indices[i]] = i;
        }
        for (int t = 0; t < dim; t++) {
            if (inverse[t] < 0) {
                inverse[t] = indices.length;
            }
        }
        return inverse;
    }

    /**
     * A scatter whose indices do not repeat (the backward pass of a partition or a permutation)
     * is a gather: each target reads its one source slice, or a zero slice appended to the
     * source when no index names it. ND4J's gather runs in parallel where its locked
     * {@code scatter_add} adds one update after another (measured: the backward pass of NICE's
     * odd/even split, 256 x 392 into 256 x 784, took about 1 ms locked).
     */
    private static Nd4jStorage scatterDistinct(
            Shape shape, int axis, int n, int[] inverse, Nd4jStorage source, DataType type) {
        if (n == shape.dim(axis)) {
            return gather(source, axis, inverse);
        }
        Nd4jStorage zero = Nd4jStorage.owning(
                Nd.filled(type, source.shape().withDim(axis, 1), 0),
                source.shape().withDim(axis, 1),
                source.dtype());
        Nd4jStorage padded = null;
        try {
            padded = concat(List.of(source, zero), axis);
            return gather(padded, axis, inverse);
        } finally {
            zero.free();
            if (padded != null) {
                padded.free();
            }
        }
    }

    private static Shape permutedShape(Shape s, int[] axes) {
        int[] d = s.dims();
        int[] o = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            o[i] = d[axes[i]];
        }
        return Shape.of(o);
    }
}
