package org.flows4j.backend.nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The SPI on ND4J arrays in native memory, float32 ({@code FLOAT}) and float64 ({@code DOUBLE}).
 *
 * <p><b>Memory.</b> Every storage owns a native buffer that {@link #free} closes immediately,
 * except reshape views, which share their base's buffer and free nothing (the API frees views
 * before their base). Kernels close their own temporaries before returning, so nothing
 * waits for the garbage collector; {@link #holdsNativeMemory()} is true.
 *
 * <p><b>Precision.</b> ND4J computes float32 in float32 and float64 in float64 (BLAS
 * {@code sgemm}/{@code dgemm} for products); see {@link Elementwise} for the functions that are
 * rearranged for accuracy.
 *
 * <p><b>Threads.</b> Before each kernel the backend tells ND4J how many threads it may use:
 * one below {@value #PARALLEL_ELEMENTS} elements, {@code options.threads()} (at most the
 * machine's cores, ND4J's pool size) above; matrix products and convolutions leave the
 * threading to OpenBLAS, which has {@code options.threads()} threads (see {@link Nd4jRuntime}),
 * except the convolutions that run from Java ({@link DirectConv}), which share images out over
 * at most as many tasks of the common fork-join pool. An instance keeps no mutable state, so
 * several threads may use it at once.
 */
final class Nd4jBackend implements Backend {

    /**
     * Elements below which a kernel stays on the calling thread (as in the cpu backend): waking
     * ND4J's pool costs tens of microseconds, and far more on a busy machine.
     */
    static final long PARALLEL_ELEMENTS = 1 << 16;

    private final BackendOptions options;
    private final int threads;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** With {@code threads} threads for large kernels ({@code options.threads()} capped at ND4J's pool size). */
    Nd4jBackend(BackendOptions options, int threads) {
        this.options = options;
        this.threads = threads;
    }

    /** Lets the next kernel, of {@code n} elements, use this backend's threads if it is large, else one. */
    private void elements(long n) {
        Nd4jRuntime.limitThreads(n >= PARALLEL_ELEMENTS ? threads : 1);
    }

    /**
     * Keeps ND4J's own pool out of the next kernel, whose work is a BLAS call (matrix products,
     * convolutions): OpenBLAS runs its own threads (it picks one for small products), and the
     * two pools running at once oversubscribe the cores (measured: a small convolution 6 times
     * slower with both at 2 threads on 2 cores than with either).
     */
    private void blas() {
        Nd4jRuntime.limitThreads(1);
    }

    private static long size(Storage s) {
        return s.shape().size();
    }

    @Override
    public String name() {
        return Nd4jBackendProvider.NAME;
    }

    @Override
    public BackendOptions options() {
        return options;
    }

    @Override
    public boolean holdsNativeMemory() {
        return true;
    }

    // ---- creation and transfer -------------------------------------------------------

    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        if (shape.size() == 0) {
            return Nd4jStorage.empty(shape, dtype);
        }
        if (dtype == DType.FLOAT32) {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) data[i];
            }
            return fromFloats(f, shape, dtype);
        }
        INDArray a = shape.rank() == 0 ? Nd4j.scalar(data[0]) : Nd4j.create(data, Nd.dims(shape), DataType.DOUBLE);
        return Nd4jStorage.owning(a, shape, dtype);
    }

    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        if (shape.size() == 0) {
            return Nd4jStorage.empty(shape, dtype);
        }
        if (dtype == DType.FLOAT64) {
            double[] d = new double[data.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = data[i];
            }
            return fromDoubles(d, shape, dtype);
        }
        INDArray a = shape.rank() == 0 ? Nd4j.scalar(data[0]) : Nd4j.create(data, Nd.dims(shape), DataType.FLOAT);
        return Nd4jStorage.owning(a, shape, dtype);
    }

    private static void checkLength(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        if (shape.size() == 0) {
            return Nd4jStorage.empty(shape, dtype);
        }
        elements(shape.size());
        return Nd4jStorage.owning(Nd.filled(Nd.type(dtype), shape, value), shape, dtype);
    }

    /** Reads the buffer from offset 0, which every storage's array (views included) starts at. */
    @Override
    public double[] toDoubles(Storage storage) {
        Nd4jStorage s = Nd4jStorage.of(storage);
        return s.isEmpty() ? new double[0] : s.array().data().getDoublesAt(0, s.size());
    }

    @Override
    public float[] toFloats(Storage storage) {
        Nd4jStorage s = Nd4jStorage.of(storage);
        return s.isEmpty() ? new float[0] : s.array().data().getFloatsAt(0, s.size());
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        elements(size(storage));
        return Elementwise.cast(Nd4jStorage.of(storage), dtype);
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        elements(size(x));
        return Elementwise.unary(op, Nd4jStorage.of(x));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        elements(Math.max(size(a), size(b)));
        return Elementwise.binary(op, Nd4jStorage.of(a), Nd4jStorage.of(b));
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        elements(Math.max(size(a), size(b)));
        return Elementwise.compare(op, Nd4jStorage.of(a), Nd4jStorage.of(b));
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        elements(Math.max(size(condition), Math.max(size(ifTrue), size(ifFalse))));
        return Elementwise.where(Nd4jStorage.of(condition), Nd4jStorage.of(ifTrue), Nd4jStorage.of(ifFalse));
    }

    // ---- linear algebra and reductions ---------------------------------------------------

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        blas();
        return LinearAlgebra.matmul(Nd4jStorage.of(a), Nd4jStorage.of(b), transposeA, transposeB);
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        elements(size(x));
        return LinearAlgebra.reduce(op, Nd4jStorage.of(x), axes, keepDims);
    }

    // ---- layout --------------------------------------------------------------------------

    @Override
    public Storage reshape(Storage x, Shape shape) {
        return Layout.reshape(Nd4jStorage.of(x), shape);
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        elements(shape.size());
        return Layout.broadcastTo(Nd4jStorage.of(x), shape);
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        elements(size(x));
        return Layout.permute(Nd4jStorage.of(x), axes);
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        elements(size(x));
        return Layout.slice(Nd4jStorage.of(x), axis, start, end);
    }

    @Override
    public Storage concat(List<Storage> parts, int axis) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no storages to join");
        }
        List<Nd4jStorage> nd = new ArrayList<>(parts.size());
        for (Storage p : parts) {
            nd.add(Nd4jStorage.of(p));
        }
        elements(nd.stream().mapToLong(Nd4jStorage::size).sum());
        return Layout.concat(nd, axis);
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        elements(size(x));
        return Layout.gather(Nd4jStorage.of(x), axis, indices);
    }

    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        elements(Math.max(shape.size(), size(source)));
        return Layout.scatterAdd(shape, axis, indices, Nd4jStorage.of(source));
    }

    // ---- convolution ---------------------------------------------------------------------

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        blas();
        return Convolution.conv2d(Nd4jStorage.of(input), Nd4jStorage.of(weight), padH, padW, threads);
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        blas();
        return Convolution.backwardInput(
                Nd4jStorage.of(gradOutput), Nd4jStorage.of(weight), inputShape, padH, padW, threads);
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        blas();
        return Convolution.backwardWeight(
                Nd4jStorage.of(input), Nd4jStorage.of(gradOutput), weightShape, padH, padW, threads);
    }

    // ---- fused optimizer step --------------------------------------------------------------

    /**
     * Updates {@code param}, {@code m} and {@code v} in place with ND4J's kernels, with the same
     * operations in the same order as the default composed kernel (so the same roundings);
     * the temporaries are closed before returning. It streams the arrays about four times as
     * often as {@link DirectKernels} and is the path without the Vector API.
     */
    private void composedAdam(Nd4jStorage p, Nd4jStorage g, Nd4jStorage m1, Nd4jStorage v1, AdamStep step) {
        elements(p.size());
        INDArray pa = p.array();
        INDArray ma = m1.array();
        INDArray va = v1.array();
        try (Scratch s = new Scratch()) {
            INDArray ga = g.array();
            if (step.gradScale() != 1) {
                ga = s.add(ga.mul(step.gradScale()));
            }
            if (step.weightDecay() != 0) {
                INDArray decayed = s.add(pa.mul(step.weightDecay()));
                decayed.addi(ga);
                ga = decayed;
            }
            // m = beta1 m + (1 - beta1) g
            ma.muli(step.beta1());
            ma.addi(s.add(ga.mul(1 - step.beta1())));
            // v = beta2 v + (1 - beta2) g^2
            va.muli(step.beta2());
            INDArray g2 = s.add(ga.mul(ga));
            g2.muli(1 - step.beta2());
            va.addi(g2);
            // p = p - lr (m / c1) / (sqrt(v / c2) + eps)
            INDArray denom = s.add(va.div(step.secondBiasCorrection()));
            Transforms.sqrt(denom, false);
            denom.addi(step.epsilon());
            INDArray delta = s.add(ma.div(step.firstBiasCorrection()));
            delta.divi(denom);
            delta.muli(step.learningRate());
            pa.subi(delta);
        }
    }

    /**
     * Updates {@code param}, {@code m} and {@code v} in place and returns them: through
     * {@link DirectKernels} (one pass over each buffer from Java with the Vector API) when the
     * Vector API is present and the four storages are whole row-major buffers, else with
     * ND4J's kernels ({@link #composedAdam}). Both round as the default composed kernel does.
     */
    @Override
    public Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        Nd4jStorage p = Nd4jStorage.of(param);
        Nd4jStorage g = Nd4jStorage.of(grad);
        Nd4jStorage m1 = Nd4jStorage.of(m);
        Nd4jStorage v1 = Nd4jStorage.of(v);
        int n = p.size();
        if (g.dtype() != p.dtype()
                || m1.dtype() != p.dtype()
                || v1.dtype() != p.dtype()
                || g.size() != n
                || m1.size() != n
                || v1.size() != n) {
            throw new IllegalArgumentException("adamUpdate: param " + p + ", grad " + g + ", m " + m1 + " and v " + v1
                    + " must share one shape and dtype");
        }
        if (p.isEmpty()) {
            return new Storage[] {param, m, v};
        }
        if (!DirectAdam.available()
                || !Nd.direct(p.array())
                || !Nd.direct(g.array())
                || !Nd.direct(m1.array())
                || !Nd.direct(v1.array())) {
            composedAdam(p, g, m1, v1, step);
            return new Storage[] {param, m, v};
        }
        DirectAdam.update(
                p.array().data().asNio(),
                g.array().data().asNio(),
                m1.array().data().asNio(),
                v1.array().data().asNio(),
                n,
                p.dtype() == DType.FLOAT32,
                step,
                threads);
        return new Storage[] {param, m, v};
    }

    /**
     * One read of the buffer from Java ({@link DirectSquares}) when the Vector API is present and
     * the storage is a whole row-major buffer, instead of ND4J's square into a new array and its
     * sum; else the composition.
     */
    @Override
    public double sumOfSquares(Storage x) {
        Nd4jStorage s = Nd4jStorage.of(x);
        if (s.isEmpty()) {
            return 0;
        }
        if (!DirectAdam.available() || !Nd.direct(s.array())) {
            return Backend.super.sumOfSquares(x);
        }
        return DirectSquares.sum(s.array().data().asNio(), s.size(), s.dtype() == DType.FLOAT32);
    }

    /**
     * {@code act(x W + b)}: the product into a new array, the bias added into it in place by
     * ND4J's broadcasting {@code add} (no temporary), then the activation: the composition's
     * values with one array fewer.
     */
    @Override
    public Storage linear(Storage x, Storage weight, Storage bias, UnaryOp activation) {
        if (x.shape().rank() != 2
                || weight.shape().rank() != 2
                || bias == null
                || bias.shape().rank() != 1
                || x.shape().size() == 0
                || weight.shape().size() == 0) {
            return Backend.super.linear(x, weight, bias, activation);
        }
        Storage y = matmul(x, weight, false, false);
        try {
            INDArray z = Nd4jStorage.of(y).array();
            elements(size(y));
            Nd.exec("add", new INDArray[] {z, Nd4jStorage.of(bias).array()}, new INDArray[] {z});
        } catch (RuntimeException | Error e) {
            free(y);
            throw e;
        }
        if (activation == null) {
            return y;
        }
        try {
            return unary(activation, y);
        } finally {
            free(y);
        }
    }

    /**
     * A convolution and its bias: the convolution into a new array, the bias added into it in
     * place by ND4J's broadcasting {@code add} over {@code [1, cOut, 1, 1]} (no temporary): the
     * composition's values with one array fewer.
     */
    @Override
    public Storage conv2d(Storage input, Storage weight, Storage bias, int padH, int padW) {
        Storage y = conv2d(input, weight, padH, padW);
        if (bias == null || size(y) == 0) {
            return y;
        }
        try {
            INDArray z = Nd4jStorage.of(y).array();
            elements(size(y));
            INDArray b = Nd4jStorage.of(bias).array().reshape(1, bias.shape().size(), 1, 1);
            Nd.exec("add", new INDArray[] {z, b}, new INDArray[] {z});
            return y;
        } catch (RuntimeException | Error e) {
            free(y);
            throw e;
        }
    }

    /** The convolution with its bias, then ND4J's ReLU in place on it: the composition's values with one array fewer. */
    @Override
    public Storage conv2dRelu(Storage input, Storage weight, Storage bias, int padH, int padW) {
        Storage y = conv2d(input, weight, bias, padH, padW);
        if (size(y) == 0) {
            return y;
        }
        try {
            elements(size(y));
            Transforms.relu(Nd4jStorage.of(y).array(), false);
            return y;
        } catch (RuntimeException | Error e) {
            free(y);
            throw e;
        }
    }

    /**
     * {@code g * sign(y)} in one Vector API pass from Java over the buffers
     * ({@link DirectElementwise}), bit for bit the composition, where both are whole row-major
     * arrays; else the composition.
     */
    @Override
    public Storage reluBackward(Storage gradOutput, Storage output) {
        Nd4jStorage g = Nd4jStorage.of(gradOutput);
        Nd4jStorage y = Nd4jStorage.of(output);
        if (!g.shape().equals(y.shape())
                || g.dtype() != y.dtype()
                || g.size() == 0
                || !DirectElementwise.available()
                || !Nd.direct(g.array())
                || !Nd.direct(y.array())) {
            return Backend.super.reluBackward(gradOutput, output);
        }
        INDArray r = Nd.alloc(Nd.type(g.dtype()), g.shape());
        DirectElementwise.reluBackward(
                g.array().data().asNio(),
                y.array().data().asNio(),
                r.data().asNio(),
                g.size(),
                g.dtype() == DType.FLOAT32);
        return Nd4jStorage.owning(r, g.shape(), g.dtype());
    }

    // ---- memory --------------------------------------------------------------------------

    /**
     * Closes the storage's native buffer now (a view frees nothing); tolerant of repeats and
     * foreign objects, so that cleanup never fails here.
     */
    @Override
    public void free(Storage storage) {
        if (storage instanceof Nd4jStorage s) {
            s.free();
        }
    }

    /** ND4J's native library and thread pools belong to the process and stay loaded; closing twice is harmless. */
    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return "Nd4jBackend[threads=" + options.threads() + (closed.get() ? ", closed" : "") + "]";
    }
}
