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

    /**
     * The provider's name, for example {@code cpu}.
     *
     * @return the name, as {@link BackendProvider#name()} gives it
     */
    String name();

    /**
     * The options this instance was created with.
     *
     * @return the options
     */
    BackendOptions options();

    /**
     * Whether storages hold memory that only {@link #free} returns (native or device memory).
     * When false, tensors that escape every memory scope are left to the garbage collector
     * without registering a cleaner.
     *
     * @return true (the default) if unreferenced storages must still be passed to {@link #free}
     */
    default boolean holdsNativeMemory() {
        return true;
    }

    // ---- creation and transfer -------------------------------------------------------

    /**
     * A storage holding {@code data} (row-major, {@code data.length == shape.size()}), rounded to
     * {@code dtype}. The backend takes ownership of the array: it may keep it as its storage
     * without copying, and the caller never touches it again ({@code Tensor.of} passes a copy).
     *
     * @param data the elements in row-major order, {@code shape.size()} of them; ownership passes to the
     *     backend
     * @param shape the dimensions of the result
     * @param dtype the element type of the result
     * @return a new storage, owned by the caller
     */
    Storage fromDoubles(double[] data, Shape shape, DType dtype);

    /**
     * As {@link #fromDoubles}, for float data: widened or kept as {@code dtype}; the backend takes ownership
     * of the array.
     *
     * @param data the elements in row-major order, {@code shape.size()} of them; ownership passes to the
     *     backend
     * @param shape the dimensions of the result
     * @param dtype the element type of the result
     * @return a new storage, owned by the caller
     */
    Storage fromFloats(float[] data, Shape shape, DType dtype);

    /**
     * A storage of {@code shape} with every element equal to {@code value} (rounded to {@code dtype}).
     *
     * @param shape the dimensions of the result
     * @param dtype the element type of the result
     * @param value the fill value; NaN and infinities are allowed
     * @return a new storage, owned by the caller
     */
    Storage full(Shape shape, DType dtype, double value);

    /**
     * The elements in row-major order, widened to double.
     *
     * @param storage a storage this backend made; it is not freed
     * @return a new array of {@code storage.shape().size()} elements, the caller's to keep or modify
     */
    double[] toDoubles(Storage storage);

    /**
     * The elements in row-major order, rounded to float.
     *
     * @param storage a storage this backend made; it is not freed
     * @return a new array of {@code storage.shape().size()} elements, the caller's to keep or modify
     */
    float[] toFloats(Storage storage);

    /**
     * The same elements converted to {@code dtype} (a copy even when the dtype is unchanged).
     *
     * @param storage the source, which stays valid
     * @param dtype the element type of the result
     * @return a new storage, owned by the caller, of the source's shape
     */
    Storage cast(Storage storage, DType dtype);

    // ---- elementwise ---------------------------------------------------------------------

    /**
     * {@code op} applied to each element.
     *
     * @param op the function
     * @param x the input
     * @return a new storage, owned by the caller, of {@code x}'s shape and dtype
     */
    Storage unary(UnaryOp op, Storage x);

    /**
     * {@code op(a, b)} elementwise, both sides broadcasting to the broadcast of their shapes (see
     * {@link Shape#broadcast}).
     *
     * @param op the function
     * @param a the left operand
     * @param b the right operand, of {@code a}'s dtype
     * @return a new storage, owned by the caller, of the broadcast shape and the operands' dtype
     */
    Storage binary(BinaryOp op, Storage a, Storage b);

    /**
     * 1 where {@code op(a, b)} holds, else 0, in the operands' dtype, both sides broadcasting.
     *
     * @param op the relation
     * @param a the left operand
     * @param b the right operand, of {@code a}'s dtype
     * @return a new storage, owned by the caller, of the broadcast shape, holding only 0 and 1
     */
    Storage compare(CompareOp op, Storage a, Storage b);

    /**
     * {@code condition != 0 ? ifTrue : ifFalse} elementwise, all three broadcasting together
     * (a NaN condition counts as true: it is not equal to 0). All three share a dtype.
     *
     * @param condition selects {@code ifTrue} where nonzero
     * @param ifTrue the elements taken where {@code condition != 0}
     * @param ifFalse the elements taken where {@code condition == 0}
     * @return a new storage, owned by the caller, of the broadcast shape of all three
     */
    Storage where(Storage condition, Storage ifTrue, Storage ifFalse);

    // ---- linear algebra and reductions ---------------------------------------------------

    /**
     * The matrix product {@code op(a) · op(b)}, where {@code op} transposes the last two
     * dimensions when its flag is set. Either both operands have rank 2 ({@code [m, k]} by
     * {@code [k, n]} after the transposes) or both have rank 3 with the same leading batch
     * size ({@code [b, m, k]} by {@code [b, k, n]}). A zero {@code k} gives zeros.
     *
     * @param a the left matrix or batch of matrices, {@code [m, k]} or {@code [b, m, k]} after its transpose
     * @param b the right matrix or batch of matrices, {@code [k, n]} or {@code [b, k, n]} after its transpose
     * @param transposeA whether to use {@code a} with its last two dimensions swapped
     * @param transposeB whether to use {@code b} with its last two dimensions swapped
     * @return a new storage, owned by the caller, {@code [m, n]} or {@code [b, m, n]}
     */
    Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB);

    /**
     * {@code op} over the given axes (distinct, ascending, in range; an empty array reduces
     * nothing and returns a copy). With {@code keepDims} the reduced axes stay with size 1,
     * otherwise they are removed.
     *
     * @param op the reduction
     * @param x the input
     * @param axes the axes to reduce, distinct, ascending and in {@code [0, rank)}; may be empty
     * @param keepDims whether reduced axes stay as size 1 (same rank) or are dropped
     * @return a new storage, owned by the caller; a scalar when every axis is reduced without
     *     {@code keepDims}
     */
    Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims);

    // ---- layout --------------------------------------------------------------------------

    /**
     * The same elements with another shape of the same size. The result may be a view of {@code x}.
     *
     * @param x the input
     * @param shape the new dimensions, with {@code shape.size() == x.shape().size()}
     * @return a new storage, owned by the caller, possibly sharing {@code x}'s elements (see {@link Storage})
     */
    Storage reshape(Storage x, Shape shape);

    /**
     * {@code x} broadcast to {@code shape} (NumPy rules, {@code x} aligned from the right).
     *
     * @param x the input; each of its dimensions is 1 or equal to the aligned one of {@code shape}
     * @param shape the dimensions of the result, of rank at least {@code x}'s
     * @return a new storage, owned by the caller, of {@code shape}
     */
    Storage broadcastTo(Storage x, Shape shape);

    /**
     * The axes reordered: result dimension {@code i} is input dimension {@code axes[i]} (a permutation).
     *
     * @param x the input
     * @param axes a permutation of {@code 0 .. rank-1}
     * @return a new storage, owned by the caller, with the elements laid out row-major in the new order
     */
    Storage permute(Storage x, int[] axes);

    /**
     * Indices {@code [start, end)} of {@code axis}, {@code 0 <= start <= end <= dim}.
     *
     * @param x the input
     * @param axis the axis to slice, in {@code [0, rank)}
     * @param start the first index kept, inclusive
     * @param end the index after the last kept, exclusive; {@code start == end} gives an empty result
     * @return a new storage, owned by the caller, of {@code x}'s shape with {@code axis} of size
     *     {@code end - start}
     */
    Storage slice(Storage x, int axis, int start, int end);

    /**
     * The parts joined along {@code axis}; they agree on every other dimension; parts may be empty along
     * {@code axis}.
     *
     * @param parts the storages to join, in order, at least one, of one rank and dtype; not freed
     * @param axis the axis to join along, in {@code [0, rank)}
     * @return a new storage, owned by the caller, whose {@code axis} is the sum of the parts' sizes there
     */
    Storage concat(List<Storage> parts, int axis);

    /**
     * Result index {@code i} along {@code axis} is input index {@code indices[i]}; indices may repeat.
     *
     * @param x the input
     * @param axis the axis to index, in {@code [0, rank)}
     * @param indices the input indices along {@code axis}, each in {@code [0, dim)}; may be empty
     * @return a new storage, owned by the caller, of {@code x}'s shape with {@code axis} of size
     *     {@code indices.length}
     */
    Storage gather(Storage x, int axis, int[] indices);

    /**
     * The adjoint of {@link #gather}: zeros of {@code shape}, then source slice {@code i} along
     * {@code axis} added into slice {@code indices[i]}; repeated indices accumulate.
     *
     * @param shape the dimensions of the result (the shape of the {@link #gather} input)
     * @param axis the axis indexed, in {@code [0, rank)}
     * @param indices the target index along {@code axis} of each source slice, each in
     *     {@code [0, shape.dim(axis))}
     * @param source the slices to add, of {@code shape} with {@code axis} of size {@code indices.length}
     * @return a new storage, owned by the caller, of {@code shape}
     */
    Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source);

    // ---- convolution (NCHW, stride 1) ----------------------------------------------------

    /**
     * Cross-correlation of {@code input [n, cIn, h, w]} with {@code weight [cOut, cIn, kh, kw]},
     * stride 1, zero padding {@code padH} rows and {@code padW} columns on each side: the output
     * is {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}. "Same" padding for odd
     * kernels is {@code padH = kh / 2, padW = kw / 2}.
     *
     * @param input the images, {@code [n, cIn, h, w]}
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}, of {@code input}'s dtype
     * @param padH zero rows added above and below, {@code >= 0}
     * @param padW zero columns added left and right, {@code >= 0}
     * @return a new storage, owned by the caller, {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}
     */
    Storage conv2d(Storage input, Storage weight, int padH, int padW);

    /**
     * The gradient of {@link #conv2d} with respect to its input, of {@code inputShape}.
     *
     * @param gradOutput the gradient of the convolution's output, {@code [n, cOut, outH, outW]}
     * @param weight the filters of the forward pass, {@code [cOut, cIn, kh, kw]}
     * @param inputShape the forward input's shape, {@code [n, cIn, h, w]}
     * @param padH the forward pass's row padding
     * @param padW the forward pass's column padding
     * @return a new storage, owned by the caller, of {@code inputShape}
     */
    Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW);

    /**
     * The gradient of {@link #conv2d} with respect to its weight, of {@code weightShape}.
     *
     * @param input the forward pass's input, {@code [n, cIn, h, w]}
     * @param gradOutput the gradient of the convolution's output, {@code [n, cOut, outH, outW]}
     * @param weightShape the filters' shape, {@code [cOut, cIn, kh, kw]}
     * @param padH the forward pass's row padding
     * @param padW the forward pass's column padding
     * @return a new storage, owned by the caller, of {@code weightShape}, summed over the batch
     */
    Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW);

    // ---- memory --------------------------------------------------------------------------

    /**
     * Releases a storage this backend made. Called exactly once per storage by the API; a view
     * (see {@link Storage}) is freed before the storage it views, and freeing it must not free
     * the shared elements.
     *
     * @param storage a storage this backend made; invalid afterwards
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
     *
     * @param param the parameter
     * @param grad its gradient, not changed
     * @param m the first moment, zeros before the first step
     * @param v the second moment, zeros before the first step
     * @param step the hyper-parameters and the 1-based step number
     * @return three storages: the new parameter, first moment and second moment, each owned by the
     *     caller; any may be the same object as the corresponding input
     */
    default Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        DType dt = param.dtype();
        Shape one = Shape.scalar();
        java.util.ArrayList<Storage> temps = new java.util.ArrayList<>();
        try {
            Storage g = grad;
            if (step.gradScale() != 1) {
                g = keep(temps, binary(BinaryOp.MUL, grad, keep(temps, full(one, dt, step.gradScale()))));
            }
            if (step.weightDecay() != 0) {
                Storage decay =
                        keep(temps, binary(BinaryOp.MUL, param, keep(temps, full(one, dt, step.weightDecay()))));
                g = keep(temps, binary(BinaryOp.ADD, g, decay));
            }
            Storage m1 = binary(
                    BinaryOp.ADD,
                    keep(temps, binary(BinaryOp.MUL, m, keep(temps, full(one, dt, step.beta1())))),
                    keep(temps, binary(BinaryOp.MUL, g, keep(temps, full(one, dt, 1 - step.beta1())))));
            Storage v1 = binary(
                    BinaryOp.ADD,
                    keep(temps, binary(BinaryOp.MUL, v, keep(temps, full(one, dt, step.beta2())))),
                    keep(
                            temps,
                            binary(
                                    BinaryOp.MUL,
                                    keep(temps, unary(UnaryOp.SQUARE, g)),
                                    keep(temps, full(one, dt, 1 - step.beta2())))));
            Storage mHat =
                    keep(temps, binary(BinaryOp.DIV, m1, keep(temps, full(one, dt, step.firstBiasCorrection()))));
            Storage vHat =
                    keep(temps, binary(BinaryOp.DIV, v1, keep(temps, full(one, dt, step.secondBiasCorrection()))));
            Storage denom = keep(
                    temps,
                    binary(
                            BinaryOp.ADD,
                            keep(temps, unary(UnaryOp.SQRT, vHat)),
                            keep(temps, full(one, dt, step.epsilon()))));
            Storage delta = keep(
                    temps,
                    binary(
                            BinaryOp.MUL,
                            keep(temps, binary(BinaryOp.DIV, mHat, denom)),
                            keep(temps, full(one, dt, step.learningRate()))));
            Storage p1 = binary(BinaryOp.SUB, param, delta);
            return new Storage[] {p1, m1, v1};
        } finally {
            for (Storage t : temps) {
                free(t);
            }
        }
    }

    /**
     * The sum of the squares of every element of {@code x}, as a {@code double}: what a global
     * gradient norm (clipping) needs of each gradient, read in one pass instead of squared into a
     * new array that is then summed. Each square is taken in {@code x}'s dtype (so a float32
     * element above about {@code 1.8e19} gives infinity, and the caller may sum again in float64);
     * the sum may be accumulated in any order and in any precision at least the dtype's. NaN
     * propagates. The default is {@code unary(SQUARE)}, {@code reduce(SUM)} over every axis and the
     * scalar read back, freeing both.
     *
     * @param x the input, any shape (0 elements give 0)
     * @return the sum of squares, {@code >= 0}, or infinite or NaN as the elements make it
     */
    default double sumOfSquares(Storage x) {
        int rank = x.shape().rank();
        if (x.shape().size() == 0) {
            return 0;
        }
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) {
            axes[i] = i;
        }
        Storage squares = unary(UnaryOp.SQUARE, x);
        try {
            Storage sum = reduce(ReduceOp.SUM, squares, axes, false);
            try {
                return toDoubles(sum)[0];
            } finally {
                free(sum);
            }
        } finally {
            free(squares);
        }
    }

    /**
     * A dense layer in one call: {@code y = act(x W + b)}, with {@code x [n, in]},
     * {@code weight W [in, out]}, {@code bias b [out]} (broadcast over the rows) or {@code null}
     * for none, and {@code activation} one of {@link UnaryOp} applied elementwise, or
     * {@code null} for none. Returns {@code [n, out]}.
     *
     * <p>The default is {@link #matmul}, then {@code binary(ADD)} and {@link #unary}, freeing the
     * intermediates; a backend that overrides it must give the same values as that composition
     * up to the rounding of its own {@code matmul} (the product is rounded, then the bias added,
     * then the activation applied), so that a model gives the same result either way. Native
     * backends save a call and an array per layer; the pure-Java one a pass over the output.
     *
     * @param x the input rows, {@code [n, in]}
     * @param weight the weight matrix, {@code [in, out]}
     * @param bias the bias, {@code [out]}, or {@code null} for none
     * @param activation the activation applied last, or {@code null} for none
     * @return a new storage, owned by the caller, {@code [n, out]}
     */
    default Storage linear(Storage x, Storage weight, Storage bias, UnaryOp activation) {
        Storage y = matmul(x, weight, false, false);
        if (bias != null) {
            Storage t = binary(BinaryOp.ADD, y, bias);
            free(y);
            y = t;
        }
        if (activation != null) {
            Storage t = unary(activation, y);
            free(y);
            y = t;
        }
        return y;
    }

    /**
     * A convolution and its bias: {@link #conv2d}, then {@code bias [cOut]} added to every
     * element of output channel {@code c}. The default is {@link #conv2d}, {@link #reshape} of the
     * bias to {@code [1, cOut, 1, 1]} and {@code binary(ADD)}, freeing the intermediates; a
     * backend that overrides it must give the same values as that composition up to the rounding
     * of its own {@link #conv2d} (the sum is rounded, then the bias added), so that a model gives
     * the same result either way. It saves a pass over the output and an array per layer.
     *
     * @param input the images, {@code [n, cIn, h, w]}
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}
     * @param bias the bias, {@code [cOut]}, or {@code null} for none
     * @param padH zero rows added above and below
     * @param padW zero columns added left and right
     * @return a new storage, owned by the caller, {@code [n, cOut, oh, ow]}
     */
    default Storage conv2d(Storage input, Storage weight, Storage bias, int padH, int padW) {
        Storage y = conv2d(input, weight, padH, padW);
        if (bias == null) {
            return y;
        }
        Storage b = reshape(bias, Shape.of(1, bias.shape().size(), 1, 1));
        try {
            return binary(BinaryOp.ADD, y, b);
        } finally {
            free(b);
            free(y);
        }
    }

    /**
     * A convolution, its bias and a ReLU: {@code relu(conv2d(input, weight, bias, padH, padW))},
     * the post-activation layer of a convolutional network (Glow's coupling networks). The
     * default is {@link #conv2d(Storage, Storage, Storage, int, int)} then {@code unary(RELU)},
     * freeing the intermediate; a backend that overrides it must give that composition's values
     * (the ReLU is exact), which it can do as it stores each output, saving a pass over it.
     *
     * @param input the images, {@code [n, cIn, h, w]}
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}
     * @param bias the bias, {@code [cOut]}, or {@code null} for none
     * @param padH zero rows added above and below
     * @param padW zero columns added left and right
     * @return a new storage, owned by the caller, {@code [n, cOut, oh, ow]}
     */
    default Storage conv2dRelu(Storage input, Storage weight, Storage bias, int padH, int padW) {
        Storage y = conv2d(input, weight, bias, padH, padW);
        try {
            return unary(UnaryOp.RELU, y);
        } finally {
            free(y);
        }
    }

    /**
     * The gradient of {@code conv2d(relu(x), weight)} with respect to {@code x}, given
     * {@code reluOutput = relu(x)}: {@link #conv2dBackwardInput} followed by
     * {@link #reluBackward} with {@code reluOutput}, which is the default (freeing the
     * intermediate). A backend that overrides it must give the bits of that composition (the
     * ReLU's part is a selection, so it can); it saves a pass over an activation-sized array and
     * the array itself.
     *
     * @param gradOutput the gradient of the convolution's output, {@code [n, cOut, oh, ow]}
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}
     * @param inputShape the shape of {@code x}, {@code [n, cIn, h, w]}
     * @param padH zero rows added above and below
     * @param padW zero columns added left and right
     * @param reluOutput {@code relu(x)}, of {@code inputShape}
     * @return a new storage, owned by the caller, of {@code inputShape}
     */
    default Storage conv2dReluBackwardInput(
            Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW, Storage reluOutput) {
        Storage d = conv2dBackwardInput(gradOutput, weight, inputShape, padH, padW);
        try {
            return reluBackward(d, reluOutput);
        } finally {
            free(d);
        }
    }

    /**
     * The gradient through ReLU written with its output: {@code g * sign(y)} for
     * {@code y = relu(x)}, that is {@code g} where {@code y > 0}, 0 where {@code y = 0}, and NaN
     * where {@code y} is NaN (so a NaN in the forward pass stays visible in the gradients);
     * {@code gradOutput} and {@code output} have one shape. The default is {@code unary(SIGN)}
     * then {@code binary(MUL)}, as {@code Tensor.relu}'s backward rule computes it today; a
     * backend's own version must give the same bits (it is a selection, so it can).
     *
     * @param gradOutput the gradient of the ReLU's output
     * @param output the ReLU's output {@code y}, of {@code gradOutput}'s shape
     * @return a new storage, owned by the caller: the gradient of the ReLU's input, of the same shape
     */
    default Storage reluBackward(Storage gradOutput, Storage output) {
        Storage sign = unary(UnaryOp.SIGN, output);
        try {
            return binary(BinaryOp.MUL, gradOutput, sign);
        } finally {
            free(sign);
        }
    }

    /**
     * One affine coupling transform on its parameters, forward or inverse: forward
     * {@code y = x * exp(s) + t}, inverse {@code x = (y - t) * exp(-s)}, all four of one shape,
     * where {@code s} is the log-scale already bounded by the coupling's scale function. The
     * log-determinant ({@code s} or {@code -s}) is the caller's. The default composes
     * {@code unary(NEG)}, {@code unary(EXP)}, {@code binary(MUL)} and {@code binary(ADD/SUB)}
     * in that order of rounding, and an override must round the same way ({@code exp} once,
     * then the product, then the sum; inverse: the difference, then the product): one pass over
     * four arrays where the composition makes three to four and as many temporaries.
     *
     * @param x the input: {@code x} forward, {@code y} inverse
     * @param logScale the bounded log-scale {@code s}
     * @param shift the shift {@code t}
     * @param inverse false for {@code y = x * exp(s) + t}, true for {@code x = (y - t) * exp(-s)}
     * @return a new storage, owned by the caller, of {@code x}'s shape
     */
    default Storage affineCoupling(Storage x, Storage logScale, Storage shift, boolean inverse) {
        List<Storage> temps = new java.util.ArrayList<>();
        try {
            if (!inverse) {
                Storage e = keep(temps, unary(UnaryOp.EXP, logScale));
                Storage scaled = keep(temps, binary(BinaryOp.MUL, x, e));
                return binary(BinaryOp.ADD, scaled, shift);
            }
            Storage e = keep(temps, unary(UnaryOp.EXP, keep(temps, unary(UnaryOp.NEG, logScale))));
            Storage d = keep(temps, binary(BinaryOp.SUB, x, shift));
            return binary(BinaryOp.MUL, d, e);
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
