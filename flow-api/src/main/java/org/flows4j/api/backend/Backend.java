package org.flows4j.api.backend;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/**
 * The compute backend SPI: the frozen set of primitive kernels on opaque {@link Storage}.
 * Everything above it (autodiff rules, bijectors, optimizers, models) is written once in
 * terms of these kernels, so a backend that implements them gets training for free.
 *
 * <p><b>Implemented by</b> backend plugins; <b>called by</b> {@code org.flows4j.api.tensor.Tensor},
 * which validates every argument first. A kernel may therefore assume that: both operands
 * of a binary kernel have the same dtype and came from this backend; shapes broadcast or
 * match as each method states; axes are normalized to {@code [0, rank)}; index arguments are
 * in range. Kernels never mutate their inputs (except the documented in-place fused kernels)
 * and return a new storage, which the caller owns and later passes to {@link #free}.
 *
 * <p><b>Broadcasting</b> (NumPy rules) is the backend's job for {@link #binary},
 * {@link #compare} and {@link #where}: operand shapes are aligned from the right and every
 * pair of dimensions is equal or contains a 1; <em>either</em> side may broadcast, and the
 * result has the broadcast shape. Size-0 dimensions are legal everywhere (a size-0
 * dimension broadcasts against 1 and against 0, giving 0) and produce empty results.
 *
 * <p><b>Float semantics:</b> NaN and infinities propagate as in IEEE 754; no kernel
 * throws because of a value. Float32 kernels may accumulate in higher precision.
 *
 * <p><b>Fused kernels</b> are default methods composed of primitives, so a minimal backend
 * stays small and a fast one overrides them.
 *
 * <p>A backend instance is safe for concurrent use by several threads.
 */
public interface Backend extends AutoCloseable {

    /** The provider's name, for example {@code cpu}. */
    String name();

    /** The options this instance was created with. */
    BackendOptions options();

    /**
     * Whether storages hold memory that only {@link #free} returns (native or device memory).
     * When false, tensors that escape every memory scope are left to the garbage collector
     * without registering a cleaner.
     */
    default boolean holdsNativeMemory() {
        return true;
    }

    // ---- creation and transfer -------------------------------------------------------

    /**
     * A storage holding {@code data} (row-major, {@code data.length == shape.size()}), rounded to
     * {@code dtype}. The backend takes ownership of the array: it may keep it as its storage
     * without copying, and the caller never touches it again ({@code Tensor.of} passes a copy).
     */
    Storage fromDoubles(double[] data, Shape shape, DType dtype);

    /** As {@link #fromDoubles}, for float data: widened or kept as {@code dtype}; the backend takes ownership of the array. */
    Storage fromFloats(float[] data, Shape shape, DType dtype);

    /** A storage of {@code shape} with every element equal to {@code value} (rounded to {@code dtype}). */
    Storage full(Shape shape, DType dtype, double value);

    /** The elements in row-major order, widened to double. */
    double[] toDoubles(Storage storage);

    /** The elements in row-major order, rounded to float. */
    float[] toFloats(Storage storage);

    /** The same elements converted to {@code dtype} (a copy even when the dtype is unchanged). */
    Storage cast(Storage storage, DType dtype);

    // ---- elementwise ---------------------------------------------------------------------

    /** {@code op} applied to each element. */
    Storage unary(UnaryOp op, Storage x);

    /** {@code op(a, b)} elementwise, both sides broadcasting to {@code Shape.broadcast(a, b)}. */
    Storage binary(BinaryOp op, Storage a, Storage b);

    /** 1 where {@code op(a, b)} holds, else 0, in the operands' dtype, both sides broadcasting. */
    Storage compare(CompareOp op, Storage a, Storage b);

    /**
     * {@code condition != 0 ? ifTrue : ifFalse} elementwise, all three broadcasting together
     * (a NaN condition counts as true: it is not equal to 0). All three share a dtype.
     */
    Storage where(Storage condition, Storage ifTrue, Storage ifFalse);

    // ---- linear algebra and reductions ---------------------------------------------------

    /**
     * The matrix product {@code op(a) · op(b)}, where {@code op} transposes the last two
     * dimensions when its flag is set. Either both operands have rank 2 ({@code [m, k]} by
     * {@code [k, n]} after the transposes) or both have rank 3 with the same leading batch
     * size ({@code [b, m, k]} by {@code [b, k, n]}). A zero {@code k} gives zeros.
     */
    Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB);

    /**
     * {@code op} over the given axes (distinct, ascending, in range; an empty array reduces
     * nothing and returns a copy). With {@code keepDims} the reduced axes stay with size 1,
     * otherwise they are removed.
     */
    Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims);

    // ---- layout --------------------------------------------------------------------------

    /** The same elements with another shape of the same size. The result may be a view of {@code x}. */
    Storage reshape(Storage x, Shape shape);

    /** {@code x} broadcast to {@code shape} (NumPy rules, {@code x} aligned from the right). */
    Storage broadcastTo(Storage x, Shape shape);

    /** The axes reordered: result dimension {@code i} is input dimension {@code axes[i]} (a permutation). */
    Storage permute(Storage x, int[] axes);

    /** Indices {@code [start, end)} of {@code axis}, {@code 0 <= start <= end <= dim}. */
    Storage slice(Storage x, int axis, int start, int end);

    /** The parts joined along {@code axis}; they agree on every other dimension; parts may be empty along {@code axis}. */
    Storage concat(List<Storage> parts, int axis);

    /** Result index {@code i} along {@code axis} is input index {@code indices[i]}; indices may repeat. */
    Storage gather(Storage x, int axis, int[] indices);

    /**
     * The adjoint of {@link #gather}: zeros of {@code shape}, then source slice {@code i} along
     * {@code axis} added into slice {@code indices[i]}; repeated indices accumulate.
     */
    Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source);

    // ---- convolution (NCHW, stride 1) ----------------------------------------------------

    /**
     * Cross-correlation of {@code input [n, cIn, h, w]} with {@code weight [cOut, cIn, kh, kw]},
     * stride 1, zero padding {@code padH} rows and {@code padW} columns on each side: the output
     * is {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}. "Same" padding for odd
     * kernels is {@code padH = kh / 2, padW = kw / 2}.
     */
    Storage conv2d(Storage input, Storage weight, int padH, int padW);

    /** The gradient of {@link #conv2d} with respect to its input, of {@code inputShape}. */
    Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW);

    /** The gradient of {@link #conv2d} with respect to its weight, of {@code weightShape}. */
    Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW);

    // ---- memory --------------------------------------------------------------------------

    /**
     * Releases a storage this backend made. Called exactly once per storage by the API; a view
     * (see {@link Storage}) is freed before the storage it views, and freeing it must not free
     * the shared elements.
     */
    void free(Storage storage);

    /** Releases the backend's own resources (thread pools, native handles). Safe to call twice. */
    @Override
    void close();

    // ---- optional fused kernels --------------------------------------------------------

    /**
     * One Adam update (see {@link AdamStep} for the formula) of parameter {@code param} with
     * gradient {@code grad} and moments {@code m}, {@code v}, all of one shape and dtype.
     * Returns the new parameter, first moment and second moment, in that order. A backend
     * may update the three storages in place and return them themselves, so that a step
     * allocates nothing; the caller frees each old storage that is not returned. The
     * default composes primitives and allocates.
     */
    default Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        DType dt = param.dtype();
        Shape one = Shape.scalar();
        java.util.ArrayList<Storage> temps = new java.util.ArrayList<>();
        try {
            Storage g = grad;
            if (step.weightDecay() != 0) {
                Storage decay = keep(temps, binary(BinaryOp.MUL, param, keep(temps, full(one, dt, step.weightDecay()))));
                g = keep(temps, binary(BinaryOp.ADD, grad, decay));
            }
            Storage m1 = binary(BinaryOp.ADD,
                    keep(temps, binary(BinaryOp.MUL, m, keep(temps, full(one, dt, step.beta1())))),
                    keep(temps, binary(BinaryOp.MUL, g, keep(temps, full(one, dt, 1 - step.beta1())))));
            Storage v1 = binary(BinaryOp.ADD,
                    keep(temps, binary(BinaryOp.MUL, v, keep(temps, full(one, dt, step.beta2())))),
                    keep(temps, binary(BinaryOp.MUL, keep(temps, unary(UnaryOp.SQUARE, g)),
                            keep(temps, full(one, dt, 1 - step.beta2())))));
            Storage mHat = keep(temps, binary(BinaryOp.DIV, m1, keep(temps, full(one, dt, step.firstBiasCorrection()))));
            Storage vHat = keep(temps, binary(BinaryOp.DIV, v1, keep(temps, full(one, dt, step.secondBiasCorrection()))));
            Storage denom = keep(temps, binary(BinaryOp.ADD, keep(temps, unary(UnaryOp.SQRT, vHat)),
                    keep(temps, full(one, dt, step.epsilon()))));
            Storage delta = keep(temps, binary(BinaryOp.MUL, keep(temps, binary(BinaryOp.DIV, mHat, denom)),
                    keep(temps, full(one, dt, step.learningRate()))));
            Storage p1 = binary(BinaryOp.SUB, param, delta);
            return new Storage[] {p1, m1, v1};
        } finally {
            for (Storage t : temps) {
                free(t);
            }
        }
    }

    private static Storage keep(List<Storage> temps, Storage s) {
        temps.add(s);
        return s;
    }
}
