package org.flows4j.backend.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.backend.support.DirectAdam;
import org.flows4j.backend.support.DirectElementwise;
import org.flows4j.backend.support.DirectSquares;

/**
 * Every SPI kernel on PyTorch tensors through DJL's {@link NDArray}, in float32 and float64.
 *
 * <p><b>Memory.</b> Each storage is one libtorch tensor handle attached to this backend's root
 * {@link NDManager}; {@link #free} releases it at once, and {@link #close} releases whatever is
 * left. Host data is written straight into a tensor that libtorch allocated (never into a
 * Java direct buffer, whose memory only the garbage collector would return), and read back
 * through a heap copy. Kernels composed of several DJL operations release their intermediates
 * before returning (see {@link Temps}). Views: {@link #reshape} returns a PyTorch view sharing
 * the elements of its input, which libtorch reference-counts; every other layout kernel
 * returns a contiguous copy, so a small slice never pins a large base.
 *
 * <p><b>Semantics PyTorch does not give directly</b> are composed here: log1p, expm1 and
 * softplus in stable forms ({@link Stable}); sign of NaN; max over an empty axis (PyTorch
 * throws); reductions over several axes for max; scatter-add (no index_add in DJL), as a sum
 * of gathers; the two convolution gradients, as convolutions ({@link Convolutions}).
 *
 * <p>PyTorch's CPU kernels are safe to call from several threads at once, and DJL's managers
 * keep their tensors in concurrent maps, so one instance serves several threads.
 */
final class DjlBackend implements Backend {

    private final BackendOptions options;
    private final NDManager root;

    private DjlBackend(BackendOptions options, NDManager root) {
        this.options = options;
        this.root = root;
    }

    /** Starts the engine (see {@link NativeStart}) and makes a backend with its own root manager. */
    static DjlBackend start(BackendOptions options) {
        Engine engine;
        try {
            engine = NativeStart.engine(options);
        } catch (RuntimeException | LinkageError e) {
            throw NativeStart.failure(e);
        }
        return new DjlBackend(options, engine.newBaseManager());
    }

    @Override
    public String name() {
        return DjlBackendProvider.NAME;
    }

    @Override
    public BackendOptions options() {
        return options;
    }

    /** The root manager: tests count the tensors attached to it. */
    NDManager root() {
        return root;
    }

    private static NDArray arr(Storage s) {
        return DjlStorage.of(s).array();
    }

    private static Storage wrap(NDArray a) {
        return DjlStorage.wrap(a);
    }

    // ---- creation and transfer -------------------------------------------------------

    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        return wrap(upload(data, shape, dtype));
    }

    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        NDArray a = root.create(Types.shape(shape), Types.dataType(dtype));
        try {
            if (data.length > 0) {
                ByteBuffer buf = a.toByteBuffer(true);
                if (dtype == DType.FLOAT32) {
                    buf.asFloatBuffer().put(data);
                } else {
                    DoubleBuffer db = buf.asDoubleBuffer();
                    for (int i = 0; i < data.length; i++) {
                        db.put(i, data[i]);
                    }
                }
            }
            return wrap(a);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    private static void checkLength(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
    }

    /**
     * A new tensor holding {@code data}: libtorch allocates it uninitialized, and the values are
     * written through a direct buffer over its own memory (a fresh tensor is contiguous).
     */
    NDArray upload(double[] data, Shape shape, DType dtype) {
        NDArray a = root.create(Types.shape(shape), Types.dataType(dtype));
        try {
            if (data.length > 0) {
                ByteBuffer buf = a.toByteBuffer(true);
                if (dtype == DType.FLOAT64) {
                    buf.asDoubleBuffer().put(data);
                } else {
                    FloatBuffer fb = buf.asFloatBuffer();
                    for (int i = 0; i < data.length; i++) {
                        fb.put(i, (float) data[i]);
                    }
                }
            }
            return a;
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /** A rank-0 tensor of {@code value} in {@code type}. */
    NDArray scalar(double value, DataType type) {
        return upload(new double[] {value}, Shape.scalar(), Types.dtype(type));
    }

    /** A tensor of int64 indices, as PyTorch's indexing wants them. */
    NDArray indices(int[] idx) {
        NDArray a = root.create(new ai.djl.ndarray.types.Shape(idx.length), DataType.INT64);
        try {
            if (idx.length > 0) {
                LongBuffer lb = a.toByteBuffer(true).asLongBuffer();
                for (int i = 0; i < idx.length; i++) {
                    lb.put(i, idx[i]);
                }
            }
            return a;
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        ai.djl.ndarray.types.Shape s = Types.shape(shape);
        DataType type = Types.dataType(dtype);
        if (shape.size() == 0) {
            return wrap(root.zeros(s, type));
        }
        // DJL's full takes a float; that is exact for float32 and for doubles that are floats
        if (dtype == DType.FLOAT32 || (double) (float) value == value || Double.isNaN(value)) {
            return wrap(root.full(s, (float) value, type));
        }
        try (Temps t = new Temps()) {
            NDArray one = t.add(scalar(value, type));
            return wrap(contiguous(t.add(one.broadcast(s)), shape, t));
        }
    }

    @Override
    public double[] toDoubles(Storage storage) {
        DjlStorage s = DjlStorage.of(storage);
        double[] out = new double[s.shape().size()];
        if (out.length == 0) {
            return out;
        }
        // the heap copy libtorch makes handles any layout and holds no native memory
        ByteBuffer buf = s.array().toByteBuffer(false);
        if (s.dtype() == DType.FLOAT64) {
            buf.asDoubleBuffer().get(out);
        } else {
            FloatBuffer fb = buf.asFloatBuffer();
            for (int i = 0; i < out.length; i++) {
                out[i] = fb.get(i);
            }
        }
        return out;
    }

    @Override
    public float[] toFloats(Storage storage) {
        DjlStorage s = DjlStorage.of(storage);
        float[] out = new float[s.shape().size()];
        if (out.length == 0) {
            return out;
        }
        ByteBuffer buf = s.array().toByteBuffer(false);
        if (s.dtype() == DType.FLOAT32) {
            buf.asFloatBuffer().get(out);
        } else {
            DoubleBuffer db = buf.asDoubleBuffer();
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) db.get(i);
            }
        }
        return out;
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        return wrap(arr(storage).toType(Types.dataType(dtype), true));
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        NDArray a = arr(x);
        return wrap(
                switch (op) {
                    case NEG -> a.neg();
                    case EXP -> a.exp();
                    case LOG -> a.log();
                    case LOG1P -> Stable.log1p(a, this);
                    case EXPM1 -> Stable.expm1(a, this);
                    case TANH -> a.tanh();
                    case SIGMOID -> a.getNDArrayInternal().sigmoid();
                    case SOFTPLUS -> Stable.softplus(a, this);
                    case RELU -> a.getNDArrayInternal().relu();
                    case ABS -> a.abs();
                    case SIGN -> sign(a, DjlStorage.of(x));
                    case SQRT -> a.sqrt();
                    case SQUARE -> a.square();
                    case RECIPROCAL -> reciprocal(a);
                });
    }

    /**
     * {@code sign}, NaN kept: one Vector API pass from Java over the tensors' memory
     * ({@link DirectElementwise}) where the Vector API is present, else {@link Stable#sign}
     * (PyTorch's sign, isnan and where: three calls and two temporaries, 0.7 ms for 256,000 floats,
     * twenty times a nice:paper step in ReLU's backward pass).
     */
    private NDArray sign(NDArray a, DjlStorage s) {
        int n = s.shape().size();
        long bytes = (long) n * s.dtype().byteSize();
        if (n == 0 || !DirectElementwise.available() || bytes > Integer.MAX_VALUE) {
            return Stable.sign(a);
        }
        NDArray out = root.create(a.getShape(), a.getDataType());
        try {
            ByteBuffer in = direct(a, bytes);
            DirectElementwise.sign(in, direct(out, bytes), n, s.dtype() == DType.FLOAT32);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** The tensor's memory as a direct buffer (every storage here is contiguous, so it is the memory itself). */
    private static ByteBuffer direct(NDArray a, long bytes) {
        ByteBuffer b = a.toByteBuffer(true);
        if (!b.isDirect() || b.capacity() < bytes) {
            throw new IllegalStateException(
                    "djl: a tensor of " + bytes + " bytes gave no direct buffer of its" + " memory (" + b + ")");
        }
        return b;
    }

    private NDArray reciprocal(NDArray a) {
        try (Temps t = new Temps()) {
            return t.add(scalar(1, a.getDataType())).div(a);
        }
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        NDArray x = arr(a);
        NDArray y = arr(b);
        return wrap(
                switch (op) {
                    case ADD -> x.add(y);
                    case SUB -> x.sub(y);
                    case MUL -> x.mul(y);
                    case DIV -> x.div(y);
                    // libtorch's pow is C99's: pow(1, NaN) = 1 and pow(-1, ±inf) = 1, as the SPI asks
                    case POW -> x.pow(y);
                    case MAXIMUM -> x.maximum(y);
                    case MINIMUM -> x.minimum(y);
                });
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        NDArray x = arr(a);
        NDArray y = arr(b);
        try (Temps t = new Temps()) {
            // IEEE comparisons: false with NaN except ne, as PyTorch computes them
            NDArray mask = t.add(
                    switch (op) {
                        case EQ -> x.eq(y);
                        case NE -> x.neq(y);
                        case LT -> x.lt(y);
                        case LE -> x.lte(y);
                        case GT -> x.gt(y);
                        case GE -> x.gte(y);
                    });
            return wrap(mask.toType(x.getDataType(), false));
        }
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        DjlStorage c = DjlStorage.of(condition);
        DjlStorage x = DjlStorage.of(ifTrue);
        DjlStorage y = DjlStorage.of(ifFalse);
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", c.shape(), x.shape()), y.shape());
        ai.djl.ndarray.types.Shape s = Types.shape(shape);
        try (Temps t = new Temps()) {
            // NaN != 0 holds, so a NaN condition selects ifTrue
            NDArray mask = t.add(c.array().neq(t.add(scalar(0, c.array().getDataType()))));
            // DJL's where wants equal shapes; expanded views cost nothing
            return wrap(NDArrays.where(
                    t.add(mask.broadcast(s)),
                    t.add(x.array().broadcast(s)),
                    t.add(y.array().broadcast(s))));
        }
    }

    // ---- linear algebra and reductions ---------------------------------------------------

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        NDArray x = arr(a);
        NDArray y = arr(b);
        try (Temps t = new Temps()) {
            // transposes are views; libtorch's matmul reads the strides (BLAS transpose flags)
            NDArray l = transposeA ? t.add(swapLastTwo(x)) : x;
            NDArray r = transposeB ? t.add(swapLastTwo(y)) : y;
            return wrap(l.matMul(r));
        }
    }

    private static NDArray swapLastTwo(NDArray x) {
        return x.getShape().dimension() == 2 ? x.transpose(1, 0) : x.transpose(0, 2, 1);
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        DjlStorage s = DjlStorage.of(x);
        NDArray a = s.array();
        if (axes.length == 0) {
            // DJL reads no axes as "all axes"; the SPI means "none"
            return wrap(a.duplicate());
        }
        Shape in = s.shape();
        Shape out = reducedShape(in, axes, keepDims);
        boolean emptyAxis = false;
        for (int axis : axes) {
            emptyAxis |= in.dim(axis) == 0;
        }
        if (out.size() == 0 || emptyAxis) {
            // an empty result, or the identity of the reduction (PyTorch's max throws on an empty axis)
            double identity = switch (op) {
                case SUM -> 0;
                case MEAN -> Double.NaN;
                case MAX -> Double.NEGATIVE_INFINITY;
            };
            return full(out, s.dtype(), identity);
        }
        return wrap(
                switch (op) {
                    case SUM -> a.sum(axes, keepDims);
                    case MEAN -> mean(a, in, axes, keepDims);
                    case MAX -> max(a, axes, keepDims, out);
                });
    }

    /** DJL's mean takes one axis; over several, the sum divided by the count, as PyTorch's mean computes it. */
    private NDArray mean(NDArray a, Shape in, int[] axes, boolean keepDims) {
        if (axes.length == 1) {
            return a.mean(axes, keepDims);
        }
        long count = 1;
        for (int axis : axes) {
            count *= in.dim(axis);
        }
        try (Temps t = new Temps()) {
            return t.add(a.sum(axes, keepDims)).div(t.add(scalar((double) count, a.getDataType())));
        }
    }

    /** DJL's max takes one axis; over several, the axes one by one (exact in any order). */
    private static NDArray max(NDArray a, int[] axes, boolean keepDims, Shape out) {
        if (axes.length == 1) {
            return a.max(axes, keepDims);
        }
        try (Temps t = new Temps()) {
            NDArray m = a;
            for (int i = axes.length - 1; i >= 0; i--) {
                if (m != a) {
                    t.add(m);
                }
                m = m.max(new int[] {axes[i]}, true);
            }
            if (keepDims) {
                return m;
            }
            t.add(m);
            return m.reshape(Types.shape(out));
        }
    }

    private static Shape reducedShape(Shape in, int[] axes, boolean keepDims) {
        boolean[] reduced = new boolean[in.rank()];
        for (int axis : axes) {
            reduced[axis] = true;
        }
        int[] d = new int[in.rank()];
        int n = 0;
        for (int i = 0; i < in.rank(); i++) {
            if (!reduced[i]) {
                d[n++] = in.dim(i);
            } else if (keepDims) {
                d[n++] = 1;
            }
        }
        return Shape.of(Arrays.copyOf(d, n));
    }

    // ---- layout --------------------------------------------------------------------------

    /** A PyTorch view when the input is contiguous (always, for this backend's storages). */
    @Override
    public Storage reshape(Storage x, Shape shape) {
        return wrap(arr(x).reshape(Types.shape(shape)));
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        try (Temps t = new Temps()) {
            return wrap(contiguous(t.add(arr(x).broadcast(Types.shape(shape))), shape, t));
        }
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        NDArray a = arr(x);
        int[] d = DjlStorage.of(x).shape().dims();
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = d[axes[i]];
        }
        try (Temps t = new Temps()) {
            return wrap(contiguous(t.add(a.transpose(axes)), Shape.of(out), t));
        }
    }

    /**
     * {@code view} laid out contiguously with {@code shape}: flattening a view that is not
     * contiguous makes libtorch copy it in row-major order; the reshape is then a view of that copy.
     */
    static NDArray contiguous(NDArray view, Shape shape, Temps t) {
        return t.add(view.flatten()).reshape(Types.shape(shape));
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        try (Temps t = new Temps()) {
            NDArray view = t.add(arr(x).get(NDIndex.sliceAxis(axis, start, end)));
            // a copy, so that the slice does not keep the whole input's elements alive
            return wrap(view.duplicate());
        }
    }

    @Override
    public Storage concat(List<Storage> parts, int axis) {
        if (parts.size() == 1) {
            return wrap(arr(parts.get(0)).duplicate());
        }
        NDList list = new NDList(parts.size());
        for (Storage p : parts) {
            list.add(arr(p));
        }
        return wrap(NDArrays.concat(list, axis));
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        try (Temps t = new Temps()) {
            return wrap(take(arr(x), axis, t.add(indices(indices))));
        }
    }

    /** PyTorch's index_select along {@code axis} (advanced indexing with one index tensor). */
    static NDArray take(NDArray x, int axis, NDArray indices) {
        return x.get(new NDIndex(":,".repeat(axis) + "{}", indices));
    }

    /**
     * DJL has no index_add, and a one-hot matrix product would spread a NaN or an infinity of
     * one source slice over every target (0 * inf is NaN). Instead the indices are split into
     * rounds in which no target repeats: round r holds the r-th occurrence of each target.
     * Each round is one gather from the source with a zero slice appended, where a target the
     * round does not reach reads the zero slice; the rounds are summed in order, so each target
     * receives its sources in index order, exactly as sequential accumulation would.
     */
    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        DjlStorage src = DjlStorage.of(source);
        if (indices.length == 0 || shape.size() == 0) {
            return full(shape, src.dtype(), 0);
        }
        int dim = shape.dim(axis);
        int n = indices.length;
        int[] seen = new int[dim];
        int[] round = new int[n];
        int rounds = 0;
        for (int i = 0; i < n; i++) {
            round[i] = seen[indices[i]]++;
            rounds = Math.max(rounds, round[i] + 1);
        }
        if (rounds == 1 && n < dim && consecutive(indices)) {
            // a slice's backward pass: the source between zero blocks, one concatenation (the
            // general path below pads, gathers and builds an index tensor: 5 to 7 times slower
            // on maf:images' [64, 1568] halves)
            try (Temps t = new Temps()) {
                NDArray s = src.array();
                NDList parts = new NDList();
                int before = indices[0];
                int after = dim - before - n;
                if (before > 0) {
                    parts.add(t.add(root.zeros(Types.shape(src.shape().withDim(axis, before)), s.getDataType())));
                }
                parts.add(s);
                if (after > 0) {
                    parts.add(t.add(root.zeros(Types.shape(src.shape().withDim(axis, after)), s.getDataType())));
                }
                return wrap(NDArrays.concat(parts, axis));
            }
        }
        if (rounds == 1 && n == dim) {
            // a permutation: each target reads its one source, with no zero slice to append
            int[] inverse = new int[dim];
            for (int i = 0; i < n; i++) {
                inverse[indices[i]] = i;
            }
            try (Temps t = new Temps()) {
                return wrap(take(src.array(), axis, t.add(indices(inverse))));
            }
        }
        try (Temps t = new Temps()) {
            NDArray s = src.array();
            Shape zeroShape = src.shape().withDim(axis, 1);
            NDArray zero = t.add(root.zeros(Types.shape(zeroShape), s.getDataType()));
            NDArray padded = t.add(NDArrays.concat(new NDList(s, zero), axis));
            NDArray sum = null;
            for (int r = 0; r < rounds; r++) {
                int[] inverse = new int[dim];
                Arrays.fill(inverse, n); // the zero slice
                for (int i = 0; i < n; i++) {
                    if (round[i] == r) {
                        inverse[indices[i]] = i;
                    }
                }
                NDArray part = take(padded, axis, t.add(indices(inverse)));
                if (sum == null) {
                    sum = part;
                } else {
                    t.add(sum);
                    t.add(part);
                    sum = sum.add(part);
                }
            }
            return wrap(sum);
        }
    }

    /** Whether {@code indices} are {@code a, a + 1, ..., a + n - 1}. */
    private static boolean consecutive(int[] indices) {
        for (int i = 1; i < indices.length; i++) {
            if (indices[i] != indices[0] + i) {
                return false;
            }
        }
        return true;
    }

    // ---- convolution ---------------------------------------------------------------------

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        return wrap(Convolutions.forward(arr(input), arr(weight), padH, padW));
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        DjlStorage g = DjlStorage.of(gradOutput);
        if (g.shape().size() == 0) {
            return full(inputShape, g.dtype(), 0);
        }
        return wrap(Convolutions.backwardInput(arr(gradOutput), arr(weight), inputShape, padH, padW));
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        DjlStorage x = DjlStorage.of(input);
        if (x.shape().size() == 0 || gradOutput.shape().size() == 0) {
            return full(weightShape, x.dtype(), 0); // no samples: no gradient
        }
        return wrap(Convolutions.backwardWeight(x.array(), arr(gradOutput), weightShape, padH, padW));
    }

    // ---- fused kernels ---------------------------------------------------------------------

    /**
     * Updates {@code param}, {@code m} and {@code v} in place and returns them, through
     * {@link org.flows4j.backend.support.DirectAdam} (one pass over each tensor's memory from Java with the Vector API);
     * without the Vector API, the composed default. Every storage of this backend is a
     * contiguous tensor, so its direct buffer is its memory (libtorch would hand out a copy's
     * buffer for a strided one).
     */
    @Override
    public Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        DjlStorage p = DjlStorage.of(param);
        DjlStorage g = DjlStorage.of(grad);
        DjlStorage m1 = DjlStorage.of(m);
        DjlStorage v1 = DjlStorage.of(v);
        int n = p.shape().size();
        if (g.dtype() != p.dtype()
                || m1.dtype() != p.dtype()
                || v1.dtype() != p.dtype()
                || g.shape().size() != n
                || m1.shape().size() != n
                || v1.shape().size() != n) {
            throw new IllegalArgumentException("adamUpdate: param " + p + ", grad " + g + ", m " + m1 + " and v " + v1
                    + " must share one shape and dtype");
        }
        if (n == 0) {
            return new Storage[] {param, m, v};
        }
        int bytes = p.dtype().byteSize();
        if (!DirectAdam.available() || (long) n * bytes > Integer.MAX_VALUE) {
            return Backend.super.adamUpdate(param, grad, m, v, step);
        }
        ByteBuffer pb = p.array().toByteBuffer(true);
        ByteBuffer gb = g.array().toByteBuffer(true);
        ByteBuffer mb = m1.array().toByteBuffer(true);
        ByteBuffer vb = v1.array().toByteBuffer(true);
        for (ByteBuffer b : new ByteBuffer[] {pb, gb, mb, vb}) {
            if (!b.isDirect() || b.capacity() < (long) n * bytes) {
                throw new IllegalStateException(
                        "djl: a tensor of " + n + " elements gave no direct buffer of its" + " memory (" + b + ")");
            }
        }
        DirectAdam.update(pb, gb, mb, vb, n, p.dtype() == DType.FLOAT32, step, options.threads());
        return new Storage[] {param, m, v};
    }

    /**
     * One read of the tensor's memory from Java ({@link DirectSquares}) when the Vector API is
     * present, instead of libtorch's square into a new tensor and its sum; else the composition.
     */
    @Override
    public double sumOfSquares(Storage x) {
        DjlStorage s = DjlStorage.of(x);
        int n = s.shape().size();
        if (n == 0) {
            return 0;
        }
        int bytes = s.dtype().byteSize();
        if (!DirectAdam.available() || (long) n * bytes > Integer.MAX_VALUE) {
            return Backend.super.sumOfSquares(x);
        }
        ByteBuffer b = s.array().toByteBuffer(true);
        if (!b.isDirect() || b.capacity() < (long) n * bytes) {
            throw new IllegalStateException(
                    "djl: a tensor of " + n + " elements gave no direct buffer of its memory (" + b + ")");
        }
        return DirectSquares.sum(b, n, s.dtype() == DType.FLOAT32);
    }

    /**
     * {@code act(x W + b)} as libtorch's product, then the bias added in place into it (no
     * temporary), then the activation: the composition's values with one array and one call fewer.
     */
    @Override
    public Storage linear(Storage x, Storage weight, Storage bias, UnaryOp activation) {
        DjlStorage xs = DjlStorage.of(x);
        if (xs.shape().rank() != 2
                || weight.shape().rank() != 2
                || bias == null
                || bias.shape().rank() != 1
                || xs.shape().size() == 0
                || weight.shape().size() == 0) {
            return Backend.super.linear(x, weight, bias, activation);
        }
        NDArray y = xs.array().matMul(arr(weight));
        try {
            y.addi(arr(bias));
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
        Storage out = wrap(y);
        if (activation == null) {
            return out;
        }
        try {
            return unary(activation, out);
        } finally {
            free(out);
        }
    }

    /**
     * {@code g * sign(y)} in one Vector API pass from Java over the tensors' memory
     * ({@link DirectElementwise}), bit for bit the composition; without the Vector API, the
     * composition.
     */
    @Override
    public Storage reluBackward(Storage gradOutput, Storage output) {
        DjlStorage g = DjlStorage.of(gradOutput);
        DjlStorage y = DjlStorage.of(output);
        int n = g.shape().size();
        long bytes = (long) n * g.dtype().byteSize();
        if (!g.shape().equals(y.shape())
                || g.dtype() != y.dtype()
                || n == 0
                || !DirectElementwise.available()
                || bytes > Integer.MAX_VALUE) {
            return Backend.super.reluBackward(gradOutput, output);
        }
        NDArray out = root.create(g.array().getShape(), g.array().getDataType());
        try {
            DirectElementwise.reluBackward(
                    direct(g.array(), bytes),
                    direct(y.array(), bytes),
                    direct(out, bytes),
                    n,
                    g.dtype() == DType.FLOAT32);
            return wrap(out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    // ---- memory --------------------------------------------------------------------------

    @Override
    public void free(Storage storage) {
        DjlStorage.of(storage).release();
    }

    /** Releases every tensor still attached to this backend; a second call does nothing. */
    @Override
    public void close() {
        if (root.isOpen()) {
            root.close();
        }
    }

    @Override
    public String toString() {
        return "DjlBackend[threads " + options.threads() + "]";
    }
}
