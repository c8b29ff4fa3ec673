package org.flows4j.backend.cpu;

import java.util.ArrayList;
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

/**
 * The reference backend: every SPI kernel on Java heap arrays, in float32 and float64.
 *
 * <p><b>Precision.</b> Elementwise float32 kernels give the double result rounded once (the
 * IEEE operations directly, the transcendental functions through {@link Math} in double);
 * reductions accumulate in double. Matrix products and convolutions accumulate float32 in
 * float32, as BLAS does: that is what makes them fast (see {@link Gemm} for the error bound).
 *
 * <p><b>Speed.</b> The inner loops are {@link Kernels}: Vector API kernels when the JVM runs
 * with {@code --add-modules jdk.incubator.vector}, scalar ones otherwise or when the system
 * property or backend option {@value Kernels#SCALAR_PROPERTY} is {@code true}. The float32 GEMM
 * runs the plan (tile, blocking) chosen for the machine, or the one the system property or
 * backend option {@value GemmPlans#PROPERTY} names ({@link GemmPlans}). Kernels large
 * enough to pay for it are split over {@code options.threads()} threads; the pool is the
 * backend's own and {@link #close} stops it. Small tensors never leave the calling thread.
 *
 * <p>Storages are ordinary heap objects, so {@link #holdsNativeMemory()} is false: a storage
 * nobody frees is garbage like any other. A freed storage's array is recycled for later outputs
 * ({@link #free}), which spares the JVM zeroing, and the collector collecting, a few hundred
 * megabytes per training step. Kernels keep no state between calls beyond those arrays and
 * per-thread scratch buffers, so one instance serves several threads at once.
 */
final class CpuBackend implements Backend {

    private final BackendOptions options;
    private final Parallel parallel;
    private final Kernels kernels;
    private final ArrayPool pool = new ArrayPool();

    CpuBackend(BackendOptions options) {
        this(options, GemmPlans.forBackend(options));
    }

    /** With the given kernels: tests compare the scalar and the vector ones in one JVM. */
    CpuBackend(BackendOptions options, Kernels kernels) {
        this.options = options;
        this.parallel = new Parallel(options.threads());
        this.kernels = kernels;
    }

    /** The inner loops this backend runs. */
    Kernels kernels() {
        return kernels;
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

    /** Keeps {@code data} itself as the storage when the dtype matches (the SPI hands the array over). */
    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        return dtype == DType.FLOAT64 ? CpuStorage.wrap(data, shape) : CpuStorage.wrap(Convert.toFloats(data), shape);
    }

    /** Keeps {@code data} itself as the storage when the dtype matches (the SPI hands the array over). */
    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        checkLength(data.length, shape);
        return dtype == DType.FLOAT32 ? CpuStorage.wrap(data, shape) : CpuStorage.wrap(Convert.toDoubles(data), shape);
    }

    private static void checkLength(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        // a recycled array when there is one: every element is written here
        CpuStorage out = CpuStorage.uninitialized(shape, dtype, pool);
        if (dtype == DType.FLOAT32) {
            Arrays.fill(out.floats(), (float) value);
        } else {
            Arrays.fill(out.doubles(), value);
        }
        return out;
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
        return dtype == DType.FLOAT64
                ? CpuStorage.wrap(toDoubles(s), s.shape())
                : CpuStorage.wrap(toFloats(s), s.shape());
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        return Elementwise.unary(op, CpuStorage.of(x), kernels, parallel, pool);
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        return Elementwise.binary(op, CpuStorage.of(a), CpuStorage.of(b), kernels, parallel, pool);
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        return Elementwise.compare(op, CpuStorage.of(a), CpuStorage.of(b), kernels, parallel, pool);
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        return Elementwise.where(
                CpuStorage.of(condition), CpuStorage.of(ifTrue), CpuStorage.of(ifFalse), kernels, parallel, pool);
    }

    // ---- linear algebra and reductions ---------------------------------------------------

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        return MatMul.matmul(CpuStorage.of(a), CpuStorage.of(b), transposeA, transposeB, kernels, parallel, pool);
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        return Reduction.reduce(op, CpuStorage.of(x), axes, keepDims, parallel);
    }

    // ---- layout --------------------------------------------------------------------------

    /** A view: the result shares {@code x}'s array, which is safe because storages are never written after creation. */
    @Override
    public Storage reshape(Storage x, Shape shape) {
        return CpuStorage.of(x).withShape(shape);
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        return Layout.broadcastTo(CpuStorage.of(x), shape, pool);
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        return Layout.permute(CpuStorage.of(x), axes, pool);
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        return Layout.slice(CpuStorage.of(x), axis, start, end, pool);
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
        return Layout.concat(cpu, axis, pool);
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        return Layout.gather(CpuStorage.of(x), axis, indices, pool);
    }

    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        return Layout.scatterAdd(shape, axis, indices, CpuStorage.of(source), pool);
    }

    // ---- convolution ---------------------------------------------------------------------

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        return convolve(input, weight, null, padH, padW, false);
    }

    /** The bias added as each output plane is stored (see {@link Convolution#forward}); same bits as the composition. */
    @Override
    public Storage conv2d(Storage input, Storage weight, Storage bias, int padH, int padW) {
        return convolve(input, weight, bias, padH, padW, false);
    }

    /** The ReLU applied to each image's block as it is finished (see {@link Convolution#forward}); same values as the composition. */
    @Override
    public Storage conv2dRelu(Storage input, Storage weight, Storage bias, int padH, int padW) {
        return convolve(input, weight, bias, padH, padW, true);
    }

    private Storage convolve(Storage input, Storage weight, Storage bias, int padH, int padW, boolean relu) {
        return Convolution.forward(
                CpuStorage.of(input),
                CpuStorage.of(weight),
                bias == null ? null : CpuStorage.of(bias),
                padH,
                padW,
                relu,
                kernels,
                parallel,
                pool);
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        return Convolution.backwardInput(
                CpuStorage.of(gradOutput), CpuStorage.of(weight), inputShape, padH, padW, kernels, parallel, pool);
    }

    /** The ReLU's selection applied to each image's input gradient as it is computed (see {@link Convolution#backwardInput}); same bits as the composition. */
    @Override
    public Storage conv2dReluBackwardInput(
            Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW, Storage reluOutput) {
        CpuStorage y = CpuStorage.of(reluOutput);
        if (!y.shape().equals(inputShape) || y.dtype() != gradOutput.dtype()) {
            return Backend.super.conv2dReluBackwardInput(gradOutput, weight, inputShape, padH, padW, reluOutput);
        }
        return Convolution.backwardInput(
                CpuStorage.of(gradOutput), CpuStorage.of(weight), inputShape, padH, padW, y, kernels, parallel, pool);
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        return Convolution.backwardWeight(
                CpuStorage.of(input), CpuStorage.of(gradOutput), weightShape, padH, padW, kernels, parallel);
    }

    // ---- fused kernels -------------------------------------------------------------------

    /**
     * The Adam step in place: {@code param}, {@code m} and {@code v} are overwritten in one pass
     * and returned themselves, so a step allocates no storage. Each element takes exactly the
     * operations of the composed default, in its order and rounded to the dtype at each step,
     * so both give the same bits (the composed default rounds its constants to the dtype too).
     * Parameter tensors of at least {@link Parallel#MIN_PARALLEL_ELEMENTS} elements are split
     * over the threads.
     *
     * <p>This is the one kernel that writes its arguments: the caller (an optimizer) owns the
     * three storages and must not share them with views it still reads.
     */
    @Override
    public Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        CpuStorage p = CpuStorage.of(param);
        CpuStorage g = CpuStorage.of(grad);
        CpuStorage m1 = CpuStorage.of(m);
        CpuStorage v1 = CpuStorage.of(v);
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
        boolean f32 = p.dtype() == DType.FLOAT32;
        Kernels.AdamConstants k = Kernels.AdamConstants.of(step, f32);
        if (f32) {
            parallel.forRange(
                    n,
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    64,
                    (from, to) -> kernels.adamF(p.floats(), g.floats(), m1.floats(), v1.floats(), from, to, k));
        } else {
            parallel.forRange(
                    n,
                    Parallel.MIN_PARALLEL_ELEMENTS,
                    64,
                    (from, to) -> kernels.adamD(p.doubles(), g.doubles(), m1.doubles(), v1.doubles(), from, to, k));
        }
        return new Storage[] {param, m, v};
    }

    /** Elements per block of {@link #sumOfSquares}: the blocks are summed apart, then in order. */
    static final int SQUARES_BLOCK = 1 << 16;

    /**
     * One read of {@code x}: blocks of {@link #SQUARES_BLOCK} elements summed apart (over the
     * threads), each square in {@code x}'s dtype and each block's sum in double, then the blocks'
     * sums added in order, so the result does not depend on the number of threads.
     */
    @Override
    public double sumOfSquares(Storage x) {
        CpuStorage s = CpuStorage.of(x);
        int n = s.shape().size();
        boolean f32 = s.dtype() == DType.FLOAT32;
        int blocks = (int) (((long) n + SQUARES_BLOCK - 1) / SQUARES_BLOCK);
        double[] partial = new double[blocks];
        parallel.forEach(blocks, n, i -> {
            int from = i * SQUARES_BLOCK;
            int to = Math.min(n, from + SQUARES_BLOCK);
            partial[i] = f32 ? kernels.sumSquaresF(s.floats(), from, to) : kernels.sumSquaresD(s.doubles(), from, to);
        });
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }

    /** One pass after the product adds the bias and applies the activation in place (see {@link Fused}); same bits as the composition. */
    @Override
    public Storage linear(Storage x, Storage weight, Storage bias, UnaryOp activation) {
        Storage out = Fused.linear(
                CpuStorage.of(x),
                CpuStorage.of(weight),
                bias == null ? null : CpuStorage.of(bias),
                activation,
                kernels,
                parallel,
                pool);
        return out != null ? out : Backend.super.linear(x, weight, bias, activation);
    }

    /** {@code g * sign(y)} with the sign in an L1 chunk, not an array (see {@link Fused}); same bits as the composition. */
    @Override
    public Storage reluBackward(Storage gradOutput, Storage output) {
        Storage out = Fused.reluBackward(CpuStorage.of(gradOutput), CpuStorage.of(output), kernels, parallel, pool);
        return out != null ? out : Backend.super.reluBackward(gradOutput, output);
    }

    /** One pass over the four arrays (see {@link Fused}); same bits as the composition. */
    @Override
    public Storage affineCoupling(Storage x, Storage logScale, Storage shift, boolean inverse) {
        Storage out = Fused.affineCoupling(
                CpuStorage.of(x), CpuStorage.of(logScale), CpuStorage.of(shift), inverse, kernels, parallel, pool);
        return out != null ? out : Backend.super.affineCoupling(x, logScale, shift, inverse);
    }

    // ---- memory --------------------------------------------------------------------------

    /**
     * Hands the storage's array to the backend's {@link ArrayPool} for the outputs of later
     * kernels (a reshape view's array stays with its base, which the SPI frees after it) and
     * makes the storage refuse further use. Freeing twice is harmless; anything that is not a
     * storage of this backend is ignored, so cleanup paths never fail here. Storages that are
     * never freed are ordinary garbage.
     */
    @Override
    public void free(Storage storage) {
        if (storage instanceof CpuStorage s) {
            Object array = s.free();
            if (array != null) {
                pool.recycle(array);
            }
        }
    }

    /** Stops the pool's threads and drops the recycled arrays. */
    @Override
    public void close() {
        parallel.close();
        pool.clear();
    }

    /** The recycled arrays, for tests. */
    ArrayPool pool() {
        return pool;
    }

    @Override
    public String toString() {
        return "CpuBackend[threads=" + options.threads() + ", " + kernels.description() + "]";
    }
}
