package org.flows4j.backend.nd4j;

import java.util.concurrent.atomic.AtomicBoolean;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Storage;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An ND4J array in row-major ({@code 'c'}) order, contiguous from offset 0, or no array at all
 * when the shape has no elements: ND4J's empty arrays have no buffer and several operations
 * reject them, so every kernel answers size-0 cases itself and never hands ND4J an empty array.
 *
 * <p>A storage either owns its buffer, which {@link #free} closes at once (native memory is
 * never left to the garbage collector), or is a {@linkplain #isView() view} that shares the
 * buffer of the storage it was reshaped from and frees nothing: the API frees every view
 * before the storage it views.
 */
final class Nd4jStorage implements Storage {

    private final INDArray array;
    private final Shape shape;
    private final DType dtype;
    private final boolean view;
    private final AtomicBoolean freed = new AtomicBoolean();

    private Nd4jStorage(INDArray array, Shape shape, DType dtype, boolean view) {
        this.array = array;
        this.shape = shape;
        this.dtype = dtype;
        this.view = view;
    }

    /** A storage that owns {@code array}, a fresh contiguous 'c'-order array of {@code shape}. */
    static Nd4jStorage owning(INDArray array, Shape shape, DType dtype) {
        return new Nd4jStorage(array, shape, dtype, false);
    }

    /** A storage that reads {@code array}, which shares another storage's buffer, and never frees it. */
    static Nd4jStorage viewing(INDArray array, Shape shape, DType dtype) {
        return new Nd4jStorage(array, shape, dtype, true);
    }

    /** A storage of a shape with no elements. */
    static Nd4jStorage empty(Shape shape, DType dtype) {
        if (shape.size() != 0) {
            throw new IllegalArgumentException("shape " + shape + " is not empty");
        }
        return new Nd4jStorage(null, shape, dtype, false);
    }

    /** Checks that {@code s} was made by this backend and is not freed. */
    static Nd4jStorage of(Storage s) {
        if (s instanceof Nd4jStorage n) {
            if (n.freed.get()) {
                throw new IllegalStateException("nd4j: storage " + n.shape + " " + n.dtype.label() + " was freed");
            }
            return n;
        }
        throw new IllegalArgumentException("the nd4j backend cannot read a storage made by another backend: "
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

    /** The number of elements. */
    int size() {
        return shape.size();
    }

    /** Whether the shape has no elements (then there is no array). */
    boolean isEmpty() {
        return array == null;
    }

    /** Whether this storage shares another storage's buffer. */
    boolean isView() {
        return view;
    }

    /** The array of a non-empty storage; only the in-place optimizer kernel may write it. */
    INDArray array() {
        if (array == null) {
            throw new IllegalStateException("nd4j: an empty storage " + shape + " has no array");
        }
        return array;
    }

    /** Releases the native buffer unless this is a view or it was released already. */
    void free() {
        if (freed.compareAndSet(false, true) && array != null && !view) {
            Nd.release(array);
        }
    }

    @Override
    public String toString() {
        return "Nd4jStorage" + shape + " " + dtype.label() + (view ? " (view)" : "") + (freed.get() ? " (freed)" : "");
    }
}
