package org.flows4j.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;

/**
 * The reference backend: every SPI kernel on Java heap arrays, in float32 and float64.
 *
 * <p>Float32 kernels compute each element (and every sum or dot product) in double and round
 * once, so float32 results are the correctly rounded double results wherever the double
 * computation is exact. Storages are ordinary heap objects, so {@link #free} has nothing to
 * release and {@link #holdsNativeMemory()} is false. Matrix products and convolutions large
 * enough to pay for it are split over {@code options.threads()} threads; the pool is the
 * backend's own and {@link #close} stops it.
 *
 * <p>Kernels keep no state between calls, so one instance serves several threads at once.
 */
final class CpuBackend implements Backend {

    private final BackendOptions options;
    private final Parallel parallel;

    CpuBackend(BackendOptions options) {
        this.options = options;
        this.parallel = new Parallel(options.threads());
    }

    @Override
    public String name() {
        return CpuBackendProvider.NAME;
    }

    @Override
    public BackendOptions options() {
        return options;
    }

    @Override
    public boolean holdsNativeMemory() {
        return false;
    }

    // ---- creation and transfer -------------------------------------------------------

    /** Copies {@code data}: the caller keeps ownership of its array. */
    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        return dtype == DType.FLOAT64 ? CpuStorage.wrap(data.clone(), shape)
                : CpuStorage.wrap(Convert.toFloats(data), shape);
    }

    /** Copies {@code data}: the caller keeps ownership of its array. */
    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        return dtype == DType.FLOAT32 ? CpuStorage.wrap(data.clone(), shape)
                : CpuStorage.wrap(Convert.toDoubles(data), shape);
    }

    private static void checkLength(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        if (dtype == DType.FLOAT32) {
            float[] data = new float[shape.size()];
            Arrays.fill(data, (float) value);
            return CpuStorage.wrap(data, shape);
        }
        double[] data = new double[shape.size()];
        Arrays.fill(data, value);
        return CpuStorage.wrap(data, shape);
    }

    @Override
    public double[] toDoubles(Storage storage) {
        CpuStorage s = CpuStorage.of(storage);
        return s.dtype() == DType.FLOAT64 ? s.doubles().clone() : Convert.toDoubles(s.floats());
    }

    @Override
    public float[] toFloats(Storage storage) {
        CpuStorage s = CpuStorage.of(storage);
        return s.dtype() == DType.FLOAT32 ? s.floats().clone() : Convert.toFloats(s.doubles());
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        CpuStorage s = CpuStorage.of(storage);
        return dtype == DType.FLOAT64 ? CpuStorage.wrap(toDoubles(s), s.shape())
                : CpuStorage.wrap(toFloats(s), s.shape());
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        return Elementwise.unary(Elementwise.function(op), CpuStorage.of(x));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        return Elementwise.binary(Elementwise.function(op), CpuStorage.of(a), CpuStorage.of(b));
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        return Elementwise.binary(Elementwise.function(op), CpuStorage.of(a), CpuStorage.of(b));
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        return Elementwise.where(CpuStorage.of(condition), CpuStorage.of(ifTrue), CpuStorage.of(ifFalse));
    }

    // ---- linear algebra and reductions ---------------------------------------------------

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        return MatMul.matmul(CpuStorage.of(a), CpuStorage.of(b), transposeA, transposeB, parallel);
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        return Reduction.reduce(op, CpuStorage.of(x), axes, keepDims);
    }

    // ---- layout --------------------------------------------------------------------------

    /** A view: the result shares {@code x}'s array, which is safe because storages are never written after creation. */
    @Override
    public Storage reshape(Storage x, Shape shape) {
        return CpuStorage.of(x).withShape(shape);
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        return Layout.broadcastTo(CpuStorage.of(x), shape);
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        return Layout.permute(CpuStorage.of(x), axes);
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        return Layout.slice(CpuStorage.of(x), axis, start, end);
    }

    @Override
    public Storage concat(List<Storage> parts, int axis) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no storages to join");
        }
        List<CpuStorage> cpu = new ArrayList<>(parts.size());
        for (Storage p : parts) {
            cpu.add(CpuStorage.of(p));
        }
        return Layout.concat(cpu, axis);
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        return Layout.gather(CpuStorage.of(x), axis, indices);
    }

    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        return Layout.scatterAdd(shape, axis, indices, CpuStorage.of(source));
    }

    // ---- convolution ---------------------------------------------------------------------

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        return Convolution.forward(CpuStorage.of(input), CpuStorage.of(weight), padH, padW, parallel);
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        return Convolution.backwardInput(CpuStorage.of(gradOutput), CpuStorage.of(weight), inputShape, padH, padW,
                parallel);
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        return Convolution.backwardWeight(CpuStorage.of(input), CpuStorage.of(gradOutput), weightShape, padH, padW,
                parallel);
    }

    // ---- memory --------------------------------------------------------------------------

    /**
     * Nothing to release: the arrays belong to the garbage collector, and a reshape view may
     * share its array with a storage that is still in use.
     */
    @Override
    public void free(Storage storage) {
        // deliberately empty, and tolerant of anything passed, so cleanup paths never fail here
    }

    @Override
    public void close() {
        parallel.close();
    }

    @Override
    public String toString() {
        return "CpuBackend[threads=" + options.threads() + "]";
    }
}
