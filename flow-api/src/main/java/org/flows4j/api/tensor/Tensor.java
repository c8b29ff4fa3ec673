package org.flows4j.api.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;

/**
 * An immutable, differentiable n-dimensional array on a {@link Backend}.
 *
 * <p>Operations return new tensors and follow NumPy broadcasting. Both operands of a binary
 * operation must share a dtype and a backend; a mismatch throws
 * {@link IllegalArgumentException} naming the operation and both shapes. NaN and infinities
 * propagate and never throw.
 *
 * <p><b>Autodiff.</b> A tensor {@linkplain #requiresGrad() requires a gradient} when it is a
 * leaf made by {@link #requiringGrad()} or was computed from one while recording is on (see
 * {@link Autodiff#noGrad()}); such a tensor remembers how it was made, and
 * {@link Autodiff#grad} walks that record backwards. Comparisons, {@link #sign()} and
 * {@link #detach()} cut the record.
 *
 * <p><b>Memory.</b> A tensor made inside a {@link MemoryScope} is freed when the scope closes
 * unless kept; {@link #free()} frees one explicitly. Using a freed tensor throws
 * {@link IllegalStateException}.
 *
 * <p>Tensors are safe to share between threads. This class is only called, never extended.
 */
public final class Tensor {

    private final Backend backend;
    private final Ref ref;
    private final Shape shape;
    private final DType dtype;
    private final boolean requiresGrad;
    private final Node node;

    private Tensor(Backend backend, Handle handle, boolean requiresGrad, Node node) {
        this.backend = backend;
        this.ref = new Ref(handle);
        Storage s = handle.storage();
        this.shape = s.shape();
        this.dtype = s.dtype();
        this.requiresGrad = requiresGrad;
        this.node = node;
        MemoryScope.adopt(this, ref, backend.holdsNativeMemory());
    }

    // =====================================================================================
    // Creation
    // =====================================================================================

    /**
     * A float64 tensor holding {@code data} in row-major order with the given dimensions.
     *
     * @param backend the backend to hold the tensor
     * @param data the elements in row-major order, as many as the product of {@code dims}; copied
     * @param dims the dimensions, outermost first; none for a scalar
     * @return a new float64 tensor that requires no gradient
     * @throws IllegalArgumentException if {@code data} does not have exactly that many elements
     */
    public static Tensor of(Backend backend, double[] data, int... dims) {
        return of(backend, DType.FLOAT64, data, Shape.of(dims));
    }

    /**
     * A float32 tensor holding {@code data} in row-major order with the given dimensions.
     *
     * @param backend the backend to hold the tensor
     * @param data the elements in row-major order, as many as the product of {@code dims}; copied
     * @param dims the dimensions, outermost first; none for a scalar
     * @return a new float32 tensor that requires no gradient
     * @throws IllegalArgumentException if {@code data} does not have exactly that many elements
     */
    public static Tensor of(Backend backend, float[] data, int... dims) {
        Shape shape = Shape.of(dims);
        checkLength("of", data.length, shape);
        return wrap(backend, backend.fromFloats(data.clone(), shape, DType.FLOAT32));
    }

    /**
     * A tensor of {@code dtype} holding {@code data} (rounded to float for float32).
     *
     * @param backend the backend to hold the tensor
     * @param dtype the element type
     * @param data the elements in row-major order, {@code shape.size()} of them; copied
     * @param shape the dimensions
     * @return a new tensor that requires no gradient
     * @throws IllegalArgumentException if {@code data} does not have {@code shape.size()} elements
     */
    public static Tensor of(Backend backend, DType dtype, double[] data, Shape shape) {
        checkLength("of", data.length, shape);
        return wrap(backend, backend.fromDoubles(data.clone(), shape, dtype));
    }

    /**
     * A tensor of {@code shape} filled with {@code value}.
     *
     * @param backend the backend to hold the tensor
     * @param dtype the element type
     * @param shape the dimensions
     * @param value the fill value, rounded to {@code dtype}
     * @return a new tensor that requires no gradient
     */
    public static Tensor full(Backend backend, DType dtype, Shape shape, double value) {
        return wrap(backend, backend.full(shape, dtype, value));
    }

    /**
     * Zeros of the given dimensions.
     *
     * @param backend the backend to hold the tensor
     * @param dtype the element type
     * @param dims the dimensions, outermost first; none for a scalar
     * @return a new tensor that requires no gradient
     */
    public static Tensor zeros(Backend backend, DType dtype, int... dims) {
        return full(backend, dtype, Shape.of(dims), 0);
    }

    /**
     * Ones of the given dimensions.
     *
     * @param backend the backend to hold the tensor
     * @param dtype the element type
     * @param dims the dimensions, outermost first; none for a scalar
     * @return a new tensor that requires no gradient
     */
    public static Tensor ones(Backend backend, DType dtype, int... dims) {
        return full(backend, dtype, Shape.of(dims), 1);
    }

    /**
     * A rank-0 tensor.
     *
     * @param backend the backend to hold the tensor
     * @param dtype the element type
     * @param value the element, rounded to {@code dtype}
     * @return a new tensor of shape {@code []} that requires no gradient
     */
    public static Tensor scalar(Backend backend, DType dtype, double value) {
        return full(backend, dtype, Shape.scalar(), value);
    }

    /**
     * Wraps a storage that {@code backend} made, taking ownership of it; the result records no
     * gradient. Not public API: flows4j's own modules reach it through
     * {@code org.flows4j.api.internal.TensorAccess}.
     */
    static Tensor wrap(Backend backend, Storage storage) {
        return new Tensor(backend, new Handle(backend, storage, null), false, null);
    }

    private static void checkLength(String op, int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(
                    op + ": " + length + " values do not fill shape " + shape + " of " + shape.size() + " elements");
        }
    }

    // =====================================================================================
    // Properties and host access
    // =====================================================================================

    /**
     * The backend that holds this tensor.
     *
     * @return the backend; both operands of a binary operation must share it
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The dimensions.
     *
     * @return the shape, fixed for the tensor's lifetime
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The element type.
     *
     * @return the dtype, fixed for the tensor's lifetime
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The number of dimensions.
     *
     * @return the rank, 0 for a scalar
     */
    public int rank() {
        return shape.rank();
    }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions: 1 for a scalar, 0 for an empty tensor
     */
    public int size() {
        return shape.size();
    }

    /**
     * Whether gradients flow to or through this tensor.
     *
     * @return true for a leaf made by {@link #requiringGrad()} and for a tensor computed from one while
     *     recording was on
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Whether this tensor's memory was freed.
     *
     * @return true once {@link #free()} ran or its memory scope closed; then reading its elements or
     *     computing with it throws {@link IllegalStateException}
     */
    public boolean isFreed() {
        return ref.isReleased() || ref.handle.storage() == null;
    }

    /**
     * The backend storage. Not public API: flows4j's own modules reach it through
     * {@code org.flows4j.api.internal.TensorAccess}.
     */
    Storage storage() {
        if (ref.isReleased()) {
            throw new IllegalStateException("tensor " + shape + " " + dtype.label()
                    + " was freed (its memory scope closed or free() was called); keep it to use it later");
        }
        Storage s = ref.handle.storage();
        if (s == null) {
            throw new IllegalStateException("tensor " + shape + " " + dtype.label() + " was freed");
        }
        return s;
    }

    /**
     * The elements in row-major order as doubles.
     *
     * @return a new array of {@link #size()} elements, widened to double; the caller's to keep or modify
     * @throws IllegalStateException if this tensor was freed
     */
    public double[] toDoubleArray() {
        return backend.toDoubles(storage());
    }

    /**
     * The elements in row-major order as floats.
     *
     * @return a new array of {@link #size()} elements, rounded to float; the caller's to keep or modify
     * @throws IllegalStateException if this tensor was freed
     */
    public float[] toFloatArray() {
        return backend.toFloats(storage());
    }

    /**
     * The single element of a one-element tensor.
     *
     * @return the element, widened to double
     * @throws IllegalArgumentException if this tensor does not have exactly one element
     * @throws IllegalStateException if this tensor was freed
     */
    public double item() {
        if (size() != 1) {
            throw new IllegalArgumentException(
                    "item: tensor of shape " + shape + " has " + size() + " elements, not 1");
        }
        return toDoubleArray()[0];
    }

    /** Frees this tensor's memory now. Harmless if already freed. */
    public void free() {
        ref.release();
    }

    /**
     * Keeps this tensor past the innermost memory scope (see {@link MemoryScope#keep}).
     *
     * @return this tensor, for chaining
     */
    public Tensor keep() {
        MemoryScope s = ref.scope;
        if (s != null) {
            s.keep(this);
        }
        return this;
    }

    /**
     * Takes this tensor out of every memory scope: it lives until {@link #free()} or, on
     * backends with native memory, until the garbage collector finds it unreachable. For
     * long-lived values such as parameters.
     *
     * @return this tensor, for chaining
     */
    public Tensor unscoped() {
        MemoryScope.release(this);
        return this;
    }

    Ref ref() {
        return ref;
    }

    Node node() {
        return node;
    }

    /**
     * A leaf that shares this tensor's storage and requires a gradient: the variables of
     * {@link Autodiff#grad}.
     *
     * @return a new leaf tensor; the shared storage lives until both tensors are freed
     * @throws IllegalStateException if this tensor was freed
     */
    public Tensor requiringGrad() {
        Handle h = ref.handle;
        storage();
        h.retain();
        return new Tensor(backend, h, true, null);
    }

    /**
     * A tensor that shares this tensor's storage but records no gradient.
     *
     * @return a new tensor that requires no gradient; the shared storage lives until both tensors are freed
     * @throws IllegalStateException if this tensor was freed
     */
    public Tensor detach() {
        Handle h = ref.handle;
        storage();
        h.retain();
        return new Tensor(backend, h, false, null);
    }

    /** Describes the shape, dtype and up to six leading values. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Tensor").append(shape).append(' ').append(dtype.label());
        if (isFreed()) {
            return b.append(" (freed)").toString();
        }
        double[] v = toDoubleArray();
        b.append(' ').append(Arrays.toString(Arrays.copyOf(v, Math.min(v.length, 6))));
        if (v.length > 6) {
            b.setLength(b.length() - 1);
            b.append(", ...]");
        }
        return b.toString();
    }

    // =====================================================================================
    // Recording
    // =====================================================================================

    private static Tensor result(
            Backend backend, Storage storage, String op, Node.BackwardRule rule, Tensor... inputs) {
        boolean record = false;
        if (rule != null && GradMode.isEnabled()) {
            for (Tensor t : inputs) {
                if (t.requiresGrad) {
                    record = true;
                    break;
                }
            }
        }
        return new Tensor(
                backend, new Handle(backend, storage, null), record, record ? new Node(op, inputs, rule) : null);
    }

    /** Wraps a kernel output that may alias {@code base}'s storage (a reshape view). */
    private static Tensor view(Tensor base, Storage storage, String op, Node.BackwardRule rule) {
        boolean record = rule != null && GradMode.isEnabled() && base.requiresGrad;
        Handle h = storage == base.storage() ? sameHandle(base) : new Handle(base.backend, storage, base.ref.handle);
        return new Tensor(base.backend, h, record, record ? new Node(op, new Tensor[] {base}, rule) : null);
    }

    private static Handle sameHandle(Tensor base) {
        base.ref.handle.retain();
        return base.ref.handle;
    }

    /** A tensor with the same storage and a new autodiff record: the door of {@link Autodiff#apply}. */
    Tensor withRecord(String op, Tensor[] inputs, Node.BackwardRule rule) {
        Handle h = ref.handle;
        storage();
        h.retain();
        return new Tensor(backend, h, true, new Node(op, inputs, rule));
    }

    private void checkSame(String op, Tensor other) {
        if (other.backend != backend) {
            throw new IllegalArgumentException(op + ": operands live on different backends (" + backend.name() + " "
                    + shape + " and " + other.backend.name() + " " + other.shape + ")");
        }
        if (other.dtype != dtype) {
            throw new IllegalArgumentException(op + ": dtypes differ: " + shape + " " + dtype.label() + " and "
                    + other.shape + " " + other.dtype.label() + "; convert one with to(DType)");
        }
    }

    private Tensor scalarLike(double value) {
        return scalar(backend, dtype, value);
    }

    // =====================================================================================
    // Elementwise unary
    // =====================================================================================

    private Tensor unary(UnaryOp op, Node.BackwardRule rule) {
        return result(backend, backend.unary(op, storage()), op.name().toLowerCase(java.util.Locale.ROOT), rule, this);
    }

    /**
     * {@code -x}.
     *
     * @return a new tensor of this shape and dtype
     */
    public Tensor neg() {
        return unary(UnaryOp.NEG, (g, out) -> new Tensor[] {g.neg()});
    }

    /**
     * {@code e^x}.
     *
     * @return a new tensor of this shape and dtype, {@code >= 0} ({@code +inf} where it overflows)
     */
    public Tensor exp() {
        return unary(UnaryOp.EXP, (g, out) -> new Tensor[] {g.mul(out)});
    }

    /**
     * {@code ln x}.
     *
     * @return a new tensor of this shape and dtype; {@code -inf} at 0, NaN below 0
     */
    public Tensor log() {
        return unary(UnaryOp.LOG, (g, out) -> new Tensor[] {g.div(this)});
    }

    /**
     * {@code ln(1 + x)}, accurate near 0.
     *
     * @return a new tensor of this shape and dtype; {@code -inf} at -1, NaN below -1
     */
    public Tensor log1p() {
        return unary(UnaryOp.LOG1P, (g, out) -> new Tensor[] {g.div(this.add(1.0))});
    }

    /**
     * {@code e^x - 1}, accurate near 0.
     *
     * @return a new tensor of this shape and dtype, {@code >= -1}
     */
    public Tensor expm1() {
        return unary(UnaryOp.EXPM1, (g, out) -> new Tensor[] {g.mul(out.add(1.0))});
    }

    /**
     * {@code tanh x}; derivative {@code 1 - tanh^2 x}.
     *
     * @return a new tensor of this shape and dtype, in {@code [-1, 1]}
     */
    public Tensor tanh() {
        return unary(
                UnaryOp.TANH, (g, out) -> new Tensor[] {g.mul(out.square().neg().add(1.0))});
    }

    /**
     * {@code 1 / (1 + e^-x)}; derivative {@code s (1 - s)}.
     *
     * @return a new tensor of this shape and dtype, in {@code [0, 1]}
     */
    public Tensor sigmoid() {
        return unary(UnaryOp.SIGMOID, (g, out) ->
                new Tensor[] {g.mul(out.mul(out.neg().add(1.0)))});
    }

    /**
     * {@code ln(1 + e^x)}, stable for any {@code x}; derivative {@code sigmoid(x)}.
     *
     * @return a new tensor of this shape and dtype, {@code >= 0}
     */
    public Tensor softplus() {
        return unary(UnaryOp.SOFTPLUS, (g, out) -> new Tensor[] {g.mul(this.sigmoid())});
    }

    /**
     * {@code ln sigmoid(x) = -softplus(-x)}, stable for any {@code x}.
     *
     * @return a new tensor of this shape and dtype, {@code <= 0}
     */
    public Tensor logSigmoid() {
        return neg().softplus().neg();
    }

    /**
     * {@code max(x, 0)}; the derivative at 0 is taken as 0. The backward pass is
     * {@code g * sign(relu(x))}, 1 above 0 and 0 elsewhere (NaN at NaN), in one
     * {@link Backend#reluBackward} call, which gives the bits of that product.
     *
     * @return a new tensor of this shape and dtype, {@code >= 0} (NaN stays NaN)
     */
    public Tensor relu() {
        return unary(UnaryOp.RELU, (g, out) -> new Tensor[] {reluBackward(g, out)});
    }

    /**
     * {@code g * sign(out)} for {@code out = relu(x)}, in one kernel. Differentiable in {@code g}
     * alone (its gradient is itself of the same form); {@code sign} cuts the record through
     * {@code out}, as the product {@code g.mul(out.sign())} does.
     */
    private static Tensor reluBackward(Tensor g, Tensor out) {
        g.checkSame("reluBackward", out);
        if (!g.shape.equals(out.shape)) {
            throw new IllegalArgumentException(
                    "reluBackward: gradient " + g.shape + " and output " + out.shape + " differ in shape");
        }
        return result(
                g.backend,
                g.backend.reluBackward(g.storage(), out.storage()),
                "reluBackward",
                (gg, o) -> new Tensor[] {reluBackward(gg, out)},
                g);
    }

    /**
     * {@code |x|}; derivative {@code sign(x)} (0 at 0).
     *
     * @return a new tensor of this shape and dtype, {@code >= 0}
     */
    public Tensor abs() {
        return unary(UnaryOp.ABS, (g, out) -> new Tensor[] {g.mul(this.sign())});
    }

    /**
     * {@code -1, 0, +1} by sign; not differentiable (its gradient is zero), so it records nothing.
     *
     * @return a new tensor of this shape and dtype holding -1, 0 and +1 (NaN stays NaN); it records no
     *     gradient
     */
    public Tensor sign() {
        return unary(UnaryOp.SIGN, null);
    }

    /**
     * {@code sqrt x}; derivative {@code 1 / (2 sqrt x)}.
     *
     * @return a new tensor of this shape and dtype; NaN below 0
     */
    public Tensor sqrt() {
        return unary(UnaryOp.SQRT, (g, out) -> new Tensor[] {g.mul(0.5).div(out)});
    }

    /**
     * {@code x^2}.
     *
     * @return a new tensor of this shape and dtype, {@code >= 0}
     */
    public Tensor square() {
        return unary(UnaryOp.SQUARE, (g, out) -> new Tensor[] {g.mul(this).mul(2.0)});
    }

    /**
     * {@code 1 / x}; derivative {@code -1 / x^2}.
     *
     * @return a new tensor of this shape and dtype; infinite at 0
     */
    public Tensor reciprocal() {
        return unary(UnaryOp.RECIPROCAL, (g, out) ->
                new Tensor[] {g.mul(out.square()).neg()});
    }

    // =====================================================================================
    // Elementwise binary
    // =====================================================================================

    private Tensor binary(BinaryOp op, Tensor other, Node.BackwardRule rule) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        checkSame(name, other);
        Shape.broadcast(name, shape, other.shape);
        return result(backend, backend.binary(op, storage(), other.storage()), name, rule, this, other);
    }

    /**
     * {@code this + other}, broadcasting.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype
     */
    public Tensor add(Tensor other) {
        return binary(BinaryOp.ADD, other, (g, out) -> new Tensor[] {
            this.requiresGrad ? g.sumTo(shape) : null, other.requiresGrad ? g.sumTo(other.shape) : null
        });
    }

    /**
     * {@code this + value}.
     *
     * @param value the number to add, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor add(double value) {
        return add(scalarLike(value));
    }

    /**
     * {@code this - other}, broadcasting.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype
     */
    public Tensor sub(Tensor other) {
        return binary(BinaryOp.SUB, other, (g, out) -> new Tensor[] {
            this.requiresGrad ? g.sumTo(shape) : null,
            other.requiresGrad ? g.neg().sumTo(other.shape) : null
        });
    }

    /**
     * {@code this - value}.
     *
     * @param value the number to subtract, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor sub(double value) {
        return sub(scalarLike(value));
    }

    /**
     * {@code this * other}, broadcasting.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype
     */
    public Tensor mul(Tensor other) {
        return binary(BinaryOp.MUL, other, (g, out) -> new Tensor[] {
            this.requiresGrad ? g.mul(other).sumTo(shape) : null,
            other.requiresGrad ? g.mul(this).sumTo(other.shape) : null
        });
    }

    /**
     * {@code this * value}.
     *
     * @param value the factor, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor mul(double value) {
        return mul(scalarLike(value));
    }

    /**
     * {@code this / other}, broadcasting.
     *
     * @param other the divisor, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype (IEEE: a nonzero over zero is infinite, 0/0
     *     is NaN)
     */
    public Tensor div(Tensor other) {
        return binary(BinaryOp.DIV, other, (g, out) -> new Tensor[] {
            this.requiresGrad ? g.div(other).sumTo(shape) : null,
            other.requiresGrad ? g.mul(out).div(other).neg().sumTo(other.shape) : null
        });
    }

    /**
     * {@code this / value}.
     *
     * @param value the divisor, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor div(double value) {
        return div(scalarLike(value));
    }

    /**
     * {@code this^other}, broadcasting. The derivative in the exponent,
     * {@code this^other ln(this)}, is taken as 0 where {@code this <= 0}.
     *
     * @param other the exponent, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype (C99 {@code pow} semantics, see
     *     {@link BinaryOp#POW})
     */
    public Tensor pow(Tensor other) {
        return binary(BinaryOp.POW, other, (g, out) -> new Tensor[] {
            this.requiresGrad ? g.mul(other).mul(this.pow(other.sub(1.0))).sumTo(shape) : null,
            other.requiresGrad
                    ? where(this.gt(0.0), g.mul(out).mul(this.log()), g.zerosLike())
                            .sumTo(other.shape)
                    : null
        });
    }

    /**
     * {@code this^value}.
     *
     * @param value the exponent, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor pow(double value) {
        return pow(scalarLike(value));
    }

    /**
     * The elementwise maximum; at ties the gradient goes to {@code this}.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype; NaN where either is NaN
     */
    public Tensor maximum(Tensor other) {
        return binary(BinaryOp.MAXIMUM, other, (g, out) -> {
            Tensor mine = this.ge(other);
            return new Tensor[] {
                g.mul(mine).sumTo(shape), g.mul(mine.neg().add(1.0)).sumTo(other.shape)
            };
        });
    }

    /**
     * The elementwise minimum; at ties the gradient goes to {@code this}.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype; NaN where either is NaN
     */
    public Tensor minimum(Tensor other) {
        return binary(BinaryOp.MINIMUM, other, (g, out) -> {
            Tensor mine = this.le(other);
            return new Tensor[] {
                g.mul(mine).sumTo(shape), g.mul(mine.neg().add(1.0)).sumTo(other.shape)
            };
        });
    }

    /**
     * Clamps every element into {@code [lo, hi]}.
     *
     * @param lo the lower bound, rounded to this dtype
     * @param hi the upper bound, rounded to this dtype, {@code >= lo}
     * @return a new tensor of this shape and dtype; NaN stays NaN
     */
    public Tensor clamp(double lo, double hi) {
        return maximum(scalarLike(lo)).minimum(scalarLike(hi));
    }

    // =====================================================================================
    // Comparisons and selection (not differentiable)
    // =====================================================================================

    private Tensor compare(CompareOp op, Tensor other) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        checkSame(name, other);
        Shape.broadcast(name, shape, other.shape);
        return result(backend, backend.compare(op, storage(), other.storage()), name, null, this, other);
    }

    /**
     * 1 where {@code this == other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 0
     *     wherever either is NaN
     */
    public Tensor eq(Tensor other) {
        return compare(CompareOp.EQ, other);
    }

    /**
     * 1 where {@code this != other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 1
     *     wherever either is NaN
     */
    public Tensor ne(Tensor other) {
        return compare(CompareOp.NE, other);
    }

    /**
     * 1 where {@code this < other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 0
     *     wherever either is NaN
     */
    public Tensor lt(Tensor other) {
        return compare(CompareOp.LT, other);
    }

    /**
     * 1 where {@code this <= other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 0
     *     wherever either is NaN
     */
    public Tensor le(Tensor other) {
        return compare(CompareOp.LE, other);
    }

    /**
     * 1 where {@code this > other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 0
     *     wherever either is NaN
     */
    public Tensor gt(Tensor other) {
        return compare(CompareOp.GT, other);
    }

    /**
     * 1 where {@code this >= other}, else 0.
     *
     * @param other the right operand, on this backend with this dtype, broadcasting against this tensor
     * @return a new tensor of the broadcast shape and this dtype, holding 0 and 1; it records no gradient; 0
     *     wherever either is NaN
     */
    public Tensor ge(Tensor other) {
        return compare(CompareOp.GE, other);
    }

    /**
     * 1 where {@code this > value}, else 0.
     *
     * @param value the threshold, rounded to this dtype
     * @return a new tensor of this shape and dtype, holding 0 and 1; it records no gradient
     */
    public Tensor gt(double value) {
        return gt(scalarLike(value));
    }

    /**
     * 1 where {@code this < value}, else 0.
     *
     * @param value the threshold, rounded to this dtype
     * @return a new tensor of this shape and dtype, holding 0 and 1; it records no gradient
     */
    public Tensor lt(double value) {
        return lt(scalarLike(value));
    }

    /**
     * {@code condition != 0 ? ifTrue : ifFalse} elementwise, all three broadcasting together.
     * Differentiable in {@code ifTrue} and {@code ifFalse}.
     *
     * @param condition selects {@code ifTrue} where nonzero (NaN counts as nonzero); it gets no gradient
     * @param ifTrue the elements taken where {@code condition != 0}
     * @param ifFalse the elements taken where {@code condition == 0}
     * @return a new tensor of the broadcast shape of all three
     * @throws IllegalArgumentException if the three differ in backend or dtype, or their shapes do not
     *     broadcast
     */
    public static Tensor where(Tensor condition, Tensor ifTrue, Tensor ifFalse) {
        ifTrue.checkSame("where", ifFalse);
        ifTrue.checkSame("where", condition);
        Shape s = Shape.broadcast("where", Shape.broadcast("where", condition.shape, ifTrue.shape), ifFalse.shape);
        Backend b = ifTrue.backend;
        return result(
                        b,
                        b.where(condition.storage(), ifTrue.storage(), ifFalse.storage()),
                        "where",
                        (g, out) -> {
                            Tensor zero = g.zerosLike();
                            return new Tensor[] {
                                null,
                                ifTrue.requiresGrad ? where(condition, g, zero).sumTo(ifTrue.shape) : null,
                                ifFalse.requiresGrad ? where(condition, zero, g).sumTo(ifFalse.shape) : null
                            };
                        },
                        condition,
                        ifTrue,
                        ifFalse)
                .checkShape("where", s);
    }

    private Tensor checkShape(String op, Shape expected) {
        if (!shape.equals(expected)) {
            throw new IllegalStateException(op + ": backend " + backend.name() + " returned shape " + shape + " where "
                    + expected + " was expected");
        }
        return this;
    }

    /**
     * Zeros of this tensor's shape and dtype.
     *
     * @return a new tensor that requires no gradient
     */
    public Tensor zerosLike() {
        return full(backend, dtype, shape, 0);
    }

    /**
     * Ones of this tensor's shape and dtype.
     *
     * @return a new tensor that requires no gradient
     */
    public Tensor onesLike() {
        return full(backend, dtype, shape, 1);
    }

    /**
     * This tensor converted to {@code target} (a copy even if it already has that dtype).
     *
     * @param target the element type of the result
     * @return a new tensor of this shape; its gradient is converted back to this dtype
     */
    public Tensor to(DType target) {
        DType from = dtype;
        return result(backend, backend.cast(storage(), target), "cast", (g, out) -> new Tensor[] {g.to(from)}, this);
    }

    // =====================================================================================
    // Linear algebra
    // =====================================================================================

    /**
     * The matrix product {@code this · other} (see {@link #matmul(Tensor, boolean, boolean)}).
     *
     * @param other the right operand: {@code [k, n]}, or {@code [b, k, n]} when this is {@code [b, m, k]}
     * @return a new tensor, {@code [m, n]} or {@code [b, m, n]}
     * @throws IllegalArgumentException if the shapes do not multiply
     */
    public Tensor matmul(Tensor other) {
        return matmul(other, false, false);
    }

    /**
     * The matrix product {@code op(this) · op(other)}, where {@code op} transposes the last two
     * axes when its flag is set. Shapes: {@code [m, k] · [k, n]}, batched
     * {@code [b, m, k] · [b, k, n]}, or {@code [b, m, k] · [k, n]} (the matrix is shared by
     * the batch; {@code transposeA} must then be false).
     *
     * @param other the right operand, on this backend with this dtype
     * @param transposeA whether to use this tensor with its last two axes swapped
     * @param transposeB whether to use {@code other} with its last two axes swapped
     * @return a new tensor, {@code [m, n]} or {@code [b, m, n]}
     * @throws IllegalArgumentException if the shapes do not multiply
     */
    public Tensor matmul(Tensor other, boolean transposeA, boolean transposeB) {
        checkSame("matmul", other);
        if (rank() == 3 && other.rank() == 2 && !transposeA) {
            int b = shape.dim(0);
            int m = shape.dim(1);
            Tensor flat = reshape(b * m, shape.dim(2)).matmul(other, false, transposeB);
            return flat.reshape(b, m, flat.shape.dim(1));
        }
        boolean ok = (rank() == 2 && other.rank() == 2)
                || (rank() == 3 && other.rank() == 3 && shape.dim(0) == other.shape.dim(0));
        int k1 = ok ? shape.dim(transposeA ? -2 : -1) : -1;
        int k2 = ok ? other.shape.dim(transposeB ? -1 : -2) : -2;
        if (!ok || k1 != k2) {
            throw new IllegalArgumentException("matmul: shapes " + shape + (transposeA ? "^T" : "") + " and "
                    + other.shape + (transposeB ? "^T" : "") + " do not multiply");
        }
        Tensor a = this;
        Tensor bb = other;
        return result(
                backend,
                backend.matmul(storage(), other.storage(), transposeA, transposeB),
                "matmul",
                (g, out) -> new Tensor[] {
                    a.requiresGrad
                            ? (transposeA ? bb.matmul(g, transposeB, true) : g.matmul(bb, false, !transposeB))
                            : null,
                    bb.requiresGrad
                            ? (transposeB ? g.matmul(a, true, transposeA) : a.matmul(g, !transposeA, false))
                            : null
                },
                this,
                other);
    }

    /**
     * A dense layer, {@code act(this · weight + bias)}, in one {@link Backend#linear} call. It
     * has the values of {@code matmul(weight).add(bias)} followed by the activation (the SPI
     * asks a backend's fused kernel to round as that composition does) and the gradients of that
     * composition, bit for bit: the backward pass goes through the activation (one
     * {@link Backend#reluBackward} call for {@link UnaryOp#RELU}, the rules of {@link #tanh},
     * {@link #sigmoid} and {@link #exp} for those), then takes {@code g · weight^T},
     * {@code this^T · g} and the column sums of {@code g}, the kernels that the backward rules
     * of {@link #matmul} and {@link #add} use.
     *
     * <p>Shapes: this {@code [n, in]}, or {@code [b, m, in]}, which is flattened to
     * {@code [b m, in]} and the result back to {@code [b, m, out]} as {@link #matmul} does;
     * {@code weight [in, out]}; {@code bias [out]}, broadcast over the rows. The result is
     * {@code [n, out]} (or {@code [b, m, out]}).
     *
     * <p>{@code RELU}, {@code TANH}, {@code SIGMOID} and {@code EXP} have derivatives that the
     * output gives, so they are fused with or without gradients. Any other activation is fused
     * when no gradient is recorded; when one is, it is applied after the fused product and bias
     * as its own operation, since its derivative needs its input, which the fused call does not
     * keep.
     *
     * @param weight the weight {@code W [in, out]}
     * @param bias the bias {@code b [out]}, or null for none
     * @param activation the elementwise activation applied last, or null for none
     * @return {@code act(this · W + b)}, of shape {@code [n, out]} or {@code [b, m, out]}
     * @throws NullPointerException if {@code weight} is null
     * @throws IllegalArgumentException if this tensor is not of rank 2 or 3, the weight is not
     *     {@code [in, out]} for this tensor's last dimension {@code in}, the bias is not
     *     {@code [out]}, or the operands differ in backend or dtype
     */
    public Tensor linear(Tensor weight, Tensor bias, UnaryOp activation) {
        Objects.requireNonNull(weight, "weight");
        checkSame("linear", weight);
        if (bias != null) {
            checkSame("linear", bias);
        }
        boolean ok = (rank() == 2 || rank() == 3)
                && weight.rank() == 2
                && shape.dim(-1) == weight.shape.dim(0)
                && (bias == null || (bias.rank() == 1 && bias.shape.dim(0) == weight.shape.dim(1)));
        if (!ok) {
            throw new IllegalArgumentException("linear: input " + shape + ", weight " + weight.shape + " and bias "
                    + (bias == null ? "(none)" : bias.shape.toString())
                    + " do not fit [n, in] (or [b, m, in]) times [in, out] plus [out]");
        }
        if (rank() == 3) {
            int b = shape.dim(0);
            int m = shape.dim(1);
            Tensor flat = reshape(b * m, shape.dim(2)).linear(weight, bias, activation);
            return flat.reshape(b, m, flat.shape.dim(1));
        }
        boolean records =
                GradMode.isEnabled() && (requiresGrad || weight.requiresGrad || (bias != null && bias.requiresGrad));
        if (activation != null && records && !derivativeFromOutput(activation)) {
            return linear(weight, bias, null).apply(activation);
        }
        Tensor x = this;
        Tensor[] inputs = bias == null ? new Tensor[] {this, weight} : new Tensor[] {this, weight, bias};
        Storage y = backend.linear(storage(), weight.storage(), bias == null ? null : bias.storage(), activation);
        return result(
                        backend,
                        y,
                        "linear",
                        (g, out) -> {
                            Tensor ga = activationBackward(activation, g, out);
                            Tensor[] grads = new Tensor[inputs.length];
                            grads[0] = x.requiresGrad ? ga.matmul(weight, false, true) : null;
                            grads[1] = weight.requiresGrad ? x.matmul(ga, true, false) : null;
                            if (bias != null) {
                                grads[2] = bias.requiresGrad ? ga.sumTo(bias.shape) : null;
                            }
                            return grads;
                        },
                        inputs)
                .checkShape("linear", Shape.of(shape.dim(0), weight.shape.dim(1)));
    }

    private static boolean derivativeFromOutput(UnaryOp op) {
        return op == UnaryOp.RELU || op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.EXP;
    }

    /** The gradient before {@code activation} from the one after it and the output: the rules of relu, tanh, sigmoid, exp. */
    private static Tensor activationBackward(UnaryOp activation, Tensor g, Tensor out) {
        if (activation == null) {
            return g;
        }
        return switch (activation) {
            case RELU -> reluBackward(g, out);
            case TANH -> g.mul(out.square().neg().add(1.0));
            case SIGMOID -> g.mul(out.mul(out.neg().add(1.0)));
            case EXP -> g.mul(out);
            default -> throw new IllegalStateException("linear: no backward rule from the output for " + activation);
        };
    }

    /** The differentiable tensor operation of {@code op}. */
    private Tensor apply(UnaryOp op) {
        return switch (op) {
            case NEG -> neg();
            case EXP -> exp();
            case LOG -> log();
            case LOG1P -> log1p();
            case EXPM1 -> expm1();
            case TANH -> tanh();
            case SIGMOID -> sigmoid();
            case SOFTPLUS -> softplus();
            case RELU -> relu();
            case ABS -> abs();
            case SIGN -> sign();
            case SQRT -> sqrt();
            case SQUARE -> square();
            case RECIPROCAL -> reciprocal();
        };
    }

    // =====================================================================================
    // Coupling transforms
    // =====================================================================================

    /**
     * The affine coupling transform in one {@link Backend#affineCoupling} call: forward
     * ({@code inverse} false) {@code this * exp(logScale) + shift}, inverse
     * {@code (this - shift) * exp(-logScale)}, with the values of those compositions of
     * {@link #exp}, {@link #mul}, {@link #add}, {@link #neg} and {@link #sub} (the SPI asks a
     * backend's fused kernel to round as they do). The log-determinant, {@code logScale} or its
     * negation, is the caller's.
     *
     * <p>The backward pass recomputes {@code e = exp(±logScale)} and gives the gradients of
     * the composition with its kernels, bit for bit. Forward {@code y = x e^s + t}:
     * {@code dx = g e^s}, {@code ds = (g x) e^s}, {@code dt = g}. Inverse
     * {@code x = (y - t) e^-s}: {@code dy = g e^-s}, {@code ds = -(g (y - t)) e^-s},
     * {@code dt = -g e^-s}.
     *
     * @param logScale the log-scale {@code s}, of this tensor's shape
     * @param shift the shift {@code t}, of this tensor's shape
     * @param inverse false for {@code x e^s + t}, true for {@code (y - t) e^-s}
     * @return the transformed tensor, of this tensor's shape
     * @throws NullPointerException if {@code logScale} or {@code shift} is null
     * @throws IllegalArgumentException if {@code logScale} or {@code shift} differs from this
     *     tensor in shape (there is no broadcasting), backend or dtype
     */
    public Tensor affineCoupling(Tensor logScale, Tensor shift, boolean inverse) {
        Objects.requireNonNull(logScale, "logScale");
        Objects.requireNonNull(shift, "shift");
        checkSame("affineCoupling", logScale);
        checkSame("affineCoupling", shift);
        if (!logScale.shape.equals(shape) || !shift.shape.equals(shape)) {
            throw new IllegalArgumentException("affineCoupling: input " + shape + ", log-scale " + logScale.shape
                    + " and shift " + shift.shape + " must have one shape (it does not broadcast)");
        }
        Tensor x = this;
        Tensor s = logScale;
        Tensor t = shift;
        Storage y = backend.affineCoupling(storage(), s.storage(), t.storage(), inverse);
        Node.BackwardRule rule;
        if (!inverse) {
            rule = (g, out) -> {
                Tensor e = x.requiresGrad || s.requiresGrad ? s.exp() : null;
                return new Tensor[] {
                    x.requiresGrad ? g.mul(e) : null, s.requiresGrad ? g.mul(x).mul(e) : null, t.requiresGrad ? g : null
                };
            };
        } else {
            rule = (g, out) -> {
                Tensor e = s.neg().exp();
                Tensor dx = x.requiresGrad || t.requiresGrad ? g.mul(e) : null;
                return new Tensor[] {
                    x.requiresGrad ? dx : null,
                    s.requiresGrad ? g.mul(x.sub(t)).mul(e).neg() : null,
                    t.requiresGrad ? dx.neg() : null
                };
            };
        }
        return result(backend, y, "affineCoupling", rule, x, s, t).checkShape("affineCoupling", shape);
    }

    // =====================================================================================
    // Reductions
    // =====================================================================================

    private int[] normalizeAxes(String op, int... axes) {
        if (axes.length == 0) {
            int[] all = new int[rank()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] n = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            try {
                n[i] = shape.normalizeAxis(axes[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(op + ": " + e.getMessage(), e);
            }
        }
        Arrays.sort(n);
        for (int i = 1; i < n.length; i++) {
            if (n[i] == n[i - 1]) {
                throw new IllegalArgumentException(op + ": axis " + n[i] + " is repeated in " + Arrays.toString(axes));
            }
        }
        return n;
    }

    private Shape keptShape(int[] axes) {
        int[] d = shape.dims();
        for (int a : axes) {
            d[a] = 1;
        }
        return Shape.of(d);
    }

    /**
     * The sum of every element (a scalar).
     *
     * @return a new tensor of shape {@code []}; 0 for an empty tensor
     */
    public Tensor sum() {
        return sum(false);
    }

    /**
     * The sum over {@code axes} (all axes when none are given), removing them.
     *
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor without the reduced axes
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor sum(int... axes) {
        return sum(false, axes);
    }

    /**
     * The sum over {@code axes} (all when none are given), keeping them with size 1 if {@code keepDims}.
     *
     * @param keepDims whether the reduced axes stay with size 1 (same rank) or are removed
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor; a reduced axis of size 0 sums to 0
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor sum(boolean keepDims, int... axes) {
        int[] ax = normalizeAxes("sum", axes);
        Shape kept = keptShape(ax);
        return result(
                backend,
                backend.reduce(ReduceOp.SUM, storage(), ax, keepDims),
                "sum",
                (g, out) -> new Tensor[] {g.reshape(kept).broadcastTo(shape)},
                this);
    }

    /**
     * The mean of every element (a scalar).
     *
     * @return a new tensor of shape {@code []}; NaN for an empty tensor
     */
    public Tensor mean() {
        return mean(false);
    }

    /**
     * The mean over {@code axes} (all when none are given), removing them.
     *
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor without the reduced axes
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor mean(int... axes) {
        return mean(false, axes);
    }

    /**
     * The mean over {@code axes}, keeping them with size 1 if {@code keepDims}.
     *
     * @param keepDims whether the reduced axes stay with size 1 (same rank) or are removed
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor; a reduced axis of size 0 gives NaN
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor mean(boolean keepDims, int... axes) {
        int[] ax = normalizeAxes("mean", axes);
        Shape kept = keptShape(ax);
        int count = reducedCount(ax);
        return result(
                backend,
                backend.reduce(ReduceOp.MEAN, storage(), ax, keepDims),
                "mean",
                (g, out) -> new Tensor[] {g.reshape(kept).div(count).broadcastTo(shape)},
                this);
    }

    private int reducedCount(int[] axes) {
        int n = 1;
        for (int a : axes) {
            n *= shape.dim(a);
        }
        return n;
    }

    /**
     * The maximum of every element (a scalar).
     *
     * @return a new tensor of shape {@code []}; {@code -inf} for an empty tensor, NaN if any element is NaN
     */
    public Tensor max() {
        return max(false);
    }

    /**
     * The maximum over {@code axes}, removing them.
     *
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor without the reduced axes
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor max(int... axes) {
        return max(false, axes);
    }

    /**
     * The maximum over {@code axes}, keeping them if {@code keepDims}; ties share the gradient equally.
     *
     * @param keepDims whether the reduced axes stay with size 1 (same rank) or are removed
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor; a reduced axis of size 0 gives {@code -inf}
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor max(boolean keepDims, int... axes) {
        int[] ax = normalizeAxes("max", axes);
        Shape kept = keptShape(ax);
        return result(
                backend,
                backend.reduce(ReduceOp.MAX, storage(), ax, keepDims),
                "max",
                (g, out) -> {
                    Tensor mask = this.eq(out.reshape(kept));
                    Tensor count = mask.sum(true, ax);
                    return new Tensor[] {g.reshape(kept).div(count).mul(mask)};
                },
                this);
    }

    /**
     * {@code ln sum exp(x)} over {@code axes}, computed around the maximum so it cannot overflow.
     *
     * @param keepDims whether the reduced axes stay with size 1 (same rank) or are removed
     * @param axes the axes to reduce, negative ones counting from the end, without repeats; none for all
     * @return a new tensor; {@code -inf} where a slice is all {@code -inf}, {@code +inf} where it holds
     *     {@code +inf}
     * @throws IllegalArgumentException if an axis is out of range or repeated
     */
    public Tensor logSumExp(boolean keepDims, int... axes) {
        int[] ax = normalizeAxes("logSumExp", axes);
        Tensor m = Autodiff.noGrad(() -> {
            Tensor mx = max(true, ax);
            // an infinite maximum (an all -inf slice, or a +inf element) would make x - max NaN;
            // shifting by 0 there gives -inf and +inf, as NumPy and PyTorch do
            return where(mx.abs().eq(scalarLike(Double.POSITIVE_INFINITY)), mx.zerosLike(), mx);
        });
        Tensor r = sub(m).exp().sum(true, ax).log().add(m);
        return keepDims ? r : r.reshape(Shape.of(removeAxes(shape.dims(), ax)));
    }

    private static int[] removeAxes(int[] dims, int[] axes) {
        int[] out = new int[dims.length - axes.length];
        int j = 0;
        for (int i = 0; i < dims.length; i++) {
            if (Arrays.binarySearch(axes, i) < 0) {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    /**
     * Sums this tensor down to {@code target}, a shape it was broadcast from: the adjoint of
     * broadcasting, used by every backward rule of a broadcasting operation.
     *
     * @param target a shape that broadcasts to this tensor's shape
     * @return a tensor of {@code target}: this tensor itself when the shapes are equal
     * @throws IllegalArgumentException if this shape is not a broadcast of {@code target}
     */
    public Tensor sumTo(Shape target) {
        if (shape.equals(target)) {
            return this;
        }
        int extra = rank() - target.rank();
        if (extra < 0) {
            throw new IllegalArgumentException("sumTo: " + shape + " cannot be summed to " + target);
        }
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < rank(); i++) {
            if (i < extra) {
                axes.add(i);
            } else if (target.dim(i - extra) == 1 && shape.dim(i) != 1) {
                axes.add(i);
            } else if (target.dim(i - extra) != shape.dim(i)) {
                throw new IllegalArgumentException("sumTo: " + shape + " cannot be summed to " + target);
            }
        }
        Tensor s = axes.isEmpty()
                ? this
                : sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
        return s.reshape(target);
    }

    // =====================================================================================
    // Layout
    // =====================================================================================

    /**
     * The same elements with new dimensions; one dimension may be -1 and is inferred.
     *
     * @param dims the new dimensions, outermost first; at most one is -1 and is inferred
     * @return a tensor of the new shape that may share this tensor's storage; this tensor itself when the
     *     shape is unchanged
     * @throws IllegalArgumentException if the sizes differ or a dimension is negative other than one -1
     */
    public Tensor reshape(int... dims) {
        int infer = -1;
        int known = 1;
        int[] d = dims.clone();
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1 && infer < 0) {
                infer = i;
            } else if (d[i] < 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + shape + " to " + Arrays.toString(dims));
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + shape + " to " + Arrays.toString(dims));
            }
            d[infer] = size() / known;
        }
        return reshape(Shape.of(d));
    }

    /**
     * The same elements with another shape of the same size.
     *
     * @param target the new shape, of this tensor's size
     * @return a tensor of {@code target} that may share this tensor's storage; this tensor itself when the
     *     shape is unchanged
     * @throws IllegalArgumentException if the sizes differ
     */
    public Tensor reshape(Shape target) {
        if (target.size() != size()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + shape + " (" + size() + " elements) to "
                    + target + " (" + target.size() + " elements)");
        }
        if (target.equals(shape)) {
            return this;
        }
        Shape from = shape;
        return view(this, backend.reshape(storage(), target), "reshape", (g, out) -> new Tensor[] {g.reshape(from)});
    }

    /**
     * Broadcasts to {@code target} (NumPy rules); the gradient sums back.
     *
     * @param target a shape this tensor's shape broadcasts to
     * @return a tensor of {@code target}: this tensor itself when the shapes are equal
     * @throws IllegalArgumentException if this shape does not broadcast to {@code target}
     */
    public Tensor broadcastTo(Shape target) {
        if (!Shape.broadcast("broadcastTo", shape, target).equals(target)) {
            throw new IllegalArgumentException("broadcastTo: shape " + shape + " does not broadcast to " + target);
        }
        if (target.equals(shape)) {
            return this;
        }
        Shape from = shape;
        return result(
                backend,
                backend.broadcastTo(storage(), target),
                "broadcastTo",
                (g, out) -> new Tensor[] {g.sumTo(from)},
                this);
    }

    /**
     * Reorders the axes: result axis {@code i} is this tensor's axis {@code axes[i]}.
     *
     * @param axes a permutation of this tensor's axes; negative ones count from the end
     * @return a new tensor whose dimension {@code i} is this tensor's dimension {@code axes[i]}
     * @throws IllegalArgumentException if {@code axes} is not a permutation of the axes
     */
    public Tensor permute(int... axes) {
        if (axes.length != rank()) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(axes) + " is not a permutation of the "
                    + rank() + " axes of " + shape);
        }
        int[] ax = new int[axes.length];
        boolean[] seen = new boolean[axes.length];
        for (int i = 0; i < axes.length; i++) {
            int a = axes[i] < 0 ? axes[i] + rank() : axes[i];
            if (a < 0 || a >= rank() || seen[a]) {
                throw new IllegalArgumentException(
                        "permute: " + Arrays.toString(axes) + " is not a permutation of the axes of " + shape);
            }
            seen[a] = true;
            ax[i] = a;
        }
        int[] inverse = new int[ax.length];
        for (int i = 0; i < ax.length; i++) {
            inverse[ax[i]] = i;
        }
        return result(
                backend,
                backend.permute(storage(), ax),
                "permute",
                (g, out) -> new Tensor[] {g.permute(inverse)},
                this);
    }

    /**
     * Swaps the last two axes.
     *
     * @return a new tensor, {@code [..., n, m]} for this {@code [..., m, n]}
     * @throws IllegalArgumentException if this tensor has fewer than 2 axes
     */
    public Tensor transpose() {
        if (rank() < 2) {
            throw new IllegalArgumentException("transpose: shape " + shape + " has fewer than 2 axes");
        }
        return transpose(-2, -1);
    }

    /**
     * Swaps two axes.
     *
     * @param axis1 one axis, negative counting from the end
     * @param axis2 the other axis, negative counting from the end; equal axes give a copy
     * @return a new tensor
     * @throws IllegalArgumentException if an axis is out of range
     */
    public Tensor transpose(int axis1, int axis2) {
        int a = shape.normalizeAxis(axis1);
        int b = shape.normalizeAxis(axis2);
        int[] perm = new int[rank()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /**
     * Indices {@code [start, end)} along {@code axis}.
     *
     * @param axis the axis, negative counting from the end
     * @param start the first index kept, inclusive, {@code >= 0}
     * @param end the index after the last kept, exclusive, {@code <= shape().dim(axis)}; {@code start == end}
     *     gives an empty tensor
     * @return a new tensor of this shape with {@code axis} of size {@code end - start}
     * @throws IllegalArgumentException if the axis or the range is out of range
     */
    public Tensor slice(int axis, int start, int end) {
        int a;
        try {
            a = shape.normalizeAxis(axis);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("slice: " + e.getMessage(), e);
        }
        if (start < 0 || end < start || end > shape.dim(a)) {
            throw new IllegalArgumentException(
                    "slice: [" + start + ", " + end + ") is out of range for axis " + a + " of shape " + shape);
        }
        Shape from = shape;
        return result(
                backend,
                backend.slice(storage(), a, start, end),
                "slice",
                (g, out) -> {
                    int[] idx = new int[end - start];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = start + i;
                    }
                    return new Tensor[] {g.scatterAdd(from, a, idx)};
                },
                this);
    }

    /**
     * The tensors joined along {@code axis}; they must agree on every other dimension.
     *
     * @param axis the axis, negative counting from the end
     * @param parts the tensors, at least one, on one backend with one dtype and rank
     * @return a new tensor whose {@code axis} is the sum of the parts' sizes there
     * @throws IllegalArgumentException if there are no parts, the axis is out of range, or the parts differ
     *     outside {@code axis}, in backend or in dtype
     */
    public static Tensor concat(int axis, Tensor... parts) {
        return concat(axis, Arrays.asList(parts));
    }

    /**
     * The tensors joined along {@code axis}; they must agree on every other dimension.
     *
     * @param axis the axis, negative counting from the end
     * @param parts the tensors, at least one, on one backend with one dtype and rank
     * @return a new tensor whose {@code axis} is the sum of the parts' sizes there
     * @throws IllegalArgumentException if there are no parts, the axis is out of range, or the parts differ
     *     outside {@code axis}, in backend or in dtype
     */
    public static Tensor concat(int axis, List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no tensors to join");
        }
        Tensor first = parts.get(0);
        int a;
        try {
            a = first.shape.normalizeAxis(axis);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("concat: " + e.getMessage(), e);
        }
        List<Storage> storages = new ArrayList<>(parts.size());
        int[] offsets = new int[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            Tensor t = parts.get(i);
            first.checkSame("concat", t);
            if (t.rank() != first.rank() || !t.shape.withDim(a, 0).equals(first.shape.withDim(a, 0))) {
                throw new IllegalArgumentException(
                        "concat: shapes " + first.shape + " and " + t.shape + " differ outside axis " + a);
            }
            storages.add(t.storage());
            offsets[i + 1] = offsets[i] + t.shape.dim(a);
        }
        Tensor[] inputs = parts.toArray(new Tensor[0]);
        return result(
                first.backend,
                first.backend.concat(storages, a),
                "concat",
                (g, out) -> {
                    Tensor[] grads = new Tensor[inputs.length];
                    for (int i = 0; i < inputs.length; i++) {
                        grads[i] = inputs[i].requiresGrad ? g.slice(a, offsets[i], offsets[i + 1]) : null;
                    }
                    return grads;
                },
                inputs);
    }

    /**
     * Splits along {@code axis} into pieces of the given sizes (the adjoint of {@link #concat}).
     *
     * @param axis the axis, negative counting from the end
     * @param sizes the size of each piece along {@code axis}, each {@code >= 0}, adding up to its dimension
     * @return a new list of {@code sizes.length} tensors, in order along the axis
     * @throws IllegalArgumentException if the sizes do not add up or the axis is out of range
     */
    public List<Tensor> split(int axis, int... sizes) {
        int a = shape.normalizeAxis(axis);
        int total = Arrays.stream(sizes).sum();
        if (total != shape.dim(a)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " do not add up to "
                    + shape.dim(a) + " along axis " + a + " of " + shape);
        }
        List<Tensor> out = new ArrayList<>(sizes.length);
        int start = 0;
        for (int s : sizes) {
            out.add(slice(a, start, start + s));
            start += s;
        }
        return out;
    }

    /**
     * Result index {@code i} along {@code axis} is this tensor's index {@code indices[i]}; indices may
     * repeat.
     *
     * @param axis the axis, negative counting from the end
     * @param indices the indices to take along {@code axis}, each in {@code [0, shape().dim(axis))}; they may
     *     repeat and may be none
     * @return a new tensor of this shape with {@code axis} of size {@code indices.length}
     * @throws IllegalArgumentException if the axis or an index is out of range
     */
    public Tensor gather(int axis, int... indices) {
        int a = shape.normalizeAxis(axis);
        checkIndices("gather", a, indices, shape);
        int[] idx = indices.clone();
        Shape from = shape;
        return result(
                backend,
                backend.gather(storage(), a, idx),
                "gather",
                (g, out) -> new Tensor[] {g.scatterAdd(from, a, idx)},
                this);
    }

    /**
     * Zeros of {@code target} with slice {@code i} of this tensor along {@code axis} added into
     * slice {@code indices[i]}: the adjoint of {@link #gather}.
     *
     * @param target the shape of the result
     * @param axis the axis of {@code target}, negative counting from the end
     * @param indices the index in {@code target} along {@code axis} of each slice of this tensor, each in
     *     {@code [0, target.dim(axis))}; one per slice
     * @return a new tensor of {@code target}
     * @throws IllegalArgumentException if an index is out of range or this tensor does not fit {@code target}
     */
    public Tensor scatterAdd(Shape target, int axis, int... indices) {
        int a = target.normalizeAxis(axis);
        checkIndices("scatterAdd", a, indices, target);
        if (rank() != target.rank()
                || shape.dim(a) != indices.length
                || !shape.withDim(a, 0).equals(target.withDim(a, 0))) {
            throw new IllegalArgumentException("scatterAdd: source " + shape + " with " + indices.length
                    + " indices does not fit target " + target + " along axis " + a);
        }
        int[] idx = indices.clone();
        return result(
                backend,
                backend.scatterAdd(target, a, idx, storage()),
                "scatterAdd",
                (g, out) -> new Tensor[] {g.gather(a, idx)},
                this);
    }

    private static void checkIndices(String op, int axis, int[] indices, Shape shape) {
        int n = shape.dim(axis);
        for (int i : indices) {
            if (i < 0 || i >= n) {
                throw new IllegalArgumentException(
                        op + ": index " + i + " is out of range for axis " + axis + " of shape " + shape);
            }
        }
    }

    // =====================================================================================
    // Convolution
    // =====================================================================================

    /**
     * Cross-correlation of this {@code [n, cIn, h, w]} tensor with {@code weight
     * [cOut, cIn, kh, kw]} (odd kernel sizes), stride 1 and "same" zero padding: the output is
     * {@code [n, cOut, h, w]}.
     *
     * @param weight the filters, {@code [cOut, cIn, kh, kw]} with {@code kh} and {@code kw} odd, on this
     *     backend with this dtype
     * @return a new tensor, {@code [n, cOut, h, w]}
     * @throws IllegalArgumentException if a kernel size is even or the shapes do not fit
     */
    public Tensor conv2d(Tensor weight) {
        if (weight.rank() == 4 && (weight.shape.dim(2) % 2 == 0 || weight.shape.dim(3) % 2 == 0)) {
            throw new IllegalArgumentException(
                    "conv2d: same padding needs odd kernel sizes, weight is " + weight.shape);
        }
        return conv2d(
                weight,
                weight.rank() == 4 ? weight.shape.dim(2) / 2 : 0,
                weight.rank() == 4 ? weight.shape.dim(3) / 2 : 0);
    }

    /**
     * Cross-correlation with explicit zero padding (see {@link Backend#conv2d}).
     *
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}, on this backend with this dtype
     * @param padH zero rows added above and below, {@code >= 0}
     * @param padW zero columns added left and right, {@code >= 0}
     * @return a new tensor, {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}
     * @throws IllegalArgumentException if a padding is negative or the shapes do not fit
     */
    public Tensor conv2d(Tensor weight, int padH, int padW) {
        return conv2d(weight, null, padH, padW);
    }

    /**
     * {@code relu(this).conv2d(weight, bias, padH, padW)}, the pre-activation convolution of
     * residual networks, with the gradient of {@code this} in one
     * {@link Backend#conv2dReluBackwardInput} call instead of a convolution's input gradient and a
     * {@link Backend#reluBackward} pass. Values and gradients are those of the composition, bit
     * for bit; {@code relu(this)} is kept for the weight's gradient, as the composition keeps it.
     *
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}, on this backend with this dtype
     * @param bias the bias, {@code [cOut]}, or null for none
     * @param padH zero rows added above and below, {@code >= 0}
     * @param padW zero columns added left and right, {@code >= 0}
     * @return a new tensor, {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}
     * @throws IllegalArgumentException as {@link #conv2d(Tensor, Tensor, int, int)}
     */
    public Tensor reluConv2d(Tensor weight, Tensor bias, int padH, int padW) {
        checkConv(weight, bias, padH, padW);
        // relu(x) as a plain tensor: this operation's own record replaces relu's and conv2d's
        boolean was = GradMode.set(false);
        Tensor y;
        try {
            y = relu();
        } finally {
            GradMode.set(was);
        }
        return convolved(
                "reluConv2d", y.convStorage(weight, bias, padH, padW), y, weight, bias, padH, padW, true, false);
    }

    /**
     * {@code relu(conv2d(weight, bias, padH, padW))} in one {@link Backend#conv2dRelu} call: the
     * values of that composition (the backend stores each output through the ReLU) and its
     * gradients, bit for bit: the gradient through the ReLU is {@link #relu}'s rule on the output,
     * then {@link #conv2d(Tensor, Tensor, int, int)}'s. For post-activation networks, where it
     * saves a pass over each layer's output.
     *
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}, on this backend with this dtype
     * @param bias the bias, {@code [cOut]}, or null for none
     * @param padH zero rows added above and below, {@code >= 0}
     * @param padW zero columns added left and right, {@code >= 0}
     * @return a new tensor, {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}, at least 0
     * @throws IllegalArgumentException as {@link #conv2d(Tensor, Tensor, int, int)}
     */
    public Tensor conv2dRelu(Tensor weight, Tensor bias, int padH, int padW) {
        checkConv(weight, bias, padH, padW);
        Storage y = backend.conv2dRelu(storage(), weight.storage(), bias == null ? null : bias.storage(), padH, padW);
        return convolved("conv2dRelu", y, this, weight, bias, padH, padW, false, true);
    }

    /**
     * A convolution and its bias in one {@link Backend#conv2d(Storage, Storage, Storage, int, int)}
     * call: the values of {@code conv2d(weight, padH, padW).add(bias.reshape(1, cOut, 1, 1))} (the
     * SPI asks a backend's fused kernel to round as that composition does) and the gradients of
     * that composition, bit for bit: the backward pass uses the kernels of {@link #conv2d}'s rule
     * and, for the bias, the sums over images and pixels that {@link #add}'s rule takes.
     *
     * @param weight the filters, {@code [cOut, cIn, kh, kw]}, on this backend with this dtype
     * @param bias the bias, {@code [cOut]}, or null for none
     * @param padH zero rows added above and below, {@code >= 0}
     * @param padW zero columns added left and right, {@code >= 0}
     * @return a new tensor, {@code [n, cOut, h + 2 padH - kh + 1, w + 2 padW - kw + 1]}
     * @throws IllegalArgumentException if a padding is negative, the shapes do not fit or the
     *     bias is not {@code [cOut]}
     */
    public Tensor conv2d(Tensor weight, Tensor bias, int padH, int padW) {
        checkConv(weight, bias, padH, padW);
        return convolved("conv2d", convStorage(weight, bias, padH, padW), this, weight, bias, padH, padW, false, false);
    }

    /**
     * The convolution {@code y} of {@code convInput} (this tensor, or its ReLU when
     * {@code reluIn}), followed by a ReLU when {@code reluOut}, as an operation on this tensor, the
     * weight and the bias. The output gradient passes back through the output ReLU first
     * ({@link #relu}'s rule on {@code y}); then this tensor's gradient is the convolution's input
     * gradient, through the input ReLU in the same backend call when {@code reluIn}; the
     * weight's is taken against {@code convInput}; the bias's is {@link #biasGradient}.
     */
    private Tensor convolved(
            String op,
            Storage y,
            Tensor convInput,
            Tensor weight,
            Tensor bias,
            int padH,
            int padW,
            boolean reluIn,
            boolean reluOut) {
        Tensor x = this;
        Tensor[] inputs = bias == null ? new Tensor[] {this, weight} : new Tensor[] {this, weight, bias};
        return result(
                backend,
                y,
                op,
                (gradOut, out) -> {
                    Tensor g = reluOut ? reluBackward(gradOut, out) : gradOut;
                    Backend b = x.backend;
                    Tensor[] grads = new Tensor[inputs.length];
                    if (x.requiresGrad) {
                        grads[0] = wrap(
                                b,
                                reluIn
                                        ? b.conv2dReluBackwardInput(
                                                g.storage(), weight.storage(), x.shape, padH, padW, convInput.storage())
                                        : b.conv2dBackwardInput(g.storage(), weight.storage(), x.shape, padH, padW));
                    }
                    if (weight.requiresGrad) {
                        grads[1] = wrap(
                                b, b.conv2dBackwardWeight(convInput.storage(), g.storage(), weight.shape, padH, padW));
                    }
                    if (bias != null && bias.requiresGrad) {
                        grads[2] = biasGradient(g, bias);
                    }
                    return grads;
                },
                inputs);
    }

    /** The convolution's storage, with the bias in the same call when there is one. */
    private Storage convStorage(Tensor weight, Tensor bias, int padH, int padW) {
        return bias == null
                ? backend.conv2d(storage(), weight.storage(), padH, padW)
                : backend.conv2d(storage(), weight.storage(), bias.storage(), padH, padW);
    }

    /** A convolution bias's gradient: {@link #add}'s rule on the {@code [1, cOut, 1, 1]} view, then the reshape's. */
    private static Tensor biasGradient(Tensor g, Tensor bias) {
        return g.sumTo(Shape.of(1, bias.shape.dim(0), 1, 1)).reshape(bias.shape.dim(0));
    }

    /** The checks of {@link #conv2d(Tensor, Tensor, int, int)}. */
    private void checkConv(Tensor weight, Tensor bias, int padH, int padW) {
        checkSame("conv2d", weight);
        if (bias != null) {
            checkSame("conv2d", bias);
            if (bias.rank() != 1 || weight.rank() != 4 || bias.shape.dim(0) != weight.shape.dim(0)) {
                throw new IllegalArgumentException(
                        "conv2d: bias " + bias.shape + " is not [cOut] for weight " + weight.shape);
            }
        }
        if (rank() != 4
                || weight.rank() != 4
                || shape.dim(1) != weight.shape.dim(1)
                || padH < 0
                || padW < 0
                || shape.dim(2) + 2 * padH < weight.shape.dim(2)
                || shape.dim(3) + 2 * padW < weight.shape.dim(3)) {
            throw new IllegalArgumentException("conv2d: input " + shape + " (NCHW) and weight " + weight.shape
                    + " (out, in, kh, kw) with padding (" + padH + ", " + padW + ") do not fit");
        }
    }
}
