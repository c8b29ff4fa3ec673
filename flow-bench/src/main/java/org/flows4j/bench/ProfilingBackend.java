package org.flows4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
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
 * A backend that forwards every primitive to another and adds up, per primitive (and per
 * operator or matrix-product shape), how many calls it saw and the wall time they took. It is
 * what {@code ModelBench --profile} uses to say where a training step's time goes; the time
 * outside every call (autodiff bookkeeping, the model's Java code, the garbage collector)
 * is what remains of the step's wall time.
 *
 * <p>Not thread-safe: it profiles one thread's work. Storages pass through untouched, so a
 * model built on the profiler runs exactly the kernels it runs on the wrapped backend.
 */
final class ProfilingBackend implements Backend {

    private static final class Entry {
        long calls;
        long nanos;
        long min = Long.MAX_VALUE;
        long max;
    }

    private final Backend delegate;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    ProfilingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** Forgets what was counted so far (after warm-up). */
    void reset() {
        entries.clear();
    }

    /**
     * The counts as a table sorted by time, in milliseconds per {@code divisor} (the number of
     * steps profiled), against the measured {@code wallNanos} of those steps.
     */
    String report(long divisor, long wallNanos) {
        List<Map.Entry<String, Entry>> rows = new ArrayList<>(entries.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos));
        long inKernels = rows.stream().mapToLong(e -> e.getValue().nanos).sum();
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "| primitive | calls/step | ms/step | share | us/call min / mean / max |%n|---|---:|---:|---:|---:|%n"));
        for (Map.Entry<String, Entry> e : rows) {
            Entry v = e.getValue();
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.2f | %.1f%% | %.0f / %.0f / %.0f |%n",
                    e.getKey(),
                    (double) v.calls / divisor,
                    v.nanos / 1e6 / divisor,
                    100.0 * v.nanos / wallNanos,
                    v.min / 1e3,
                    v.nanos / 1e3 / v.calls,
                    v.max / 1e3));
        }
        out.append(String.format(
                Locale.ROOT,
                "| (all primitives) | | %.2f | %.1f%% | |%n",
                inKernels / 1e6 / divisor,
                100.0 * inKernels / wallNanos));
        out.append(String.format(
                Locale.ROOT,
                "| (outside primitives) | | %.2f | %.1f%% | |%n",
                (wallNanos - inKernels) / 1e6 / divisor,
                100.0 * (wallNanos - inKernels) / wallNanos));
        return out.toString();
    }

    private <T> T time(String key, Supplier<T> call) {
        long start = System.nanoTime();
        T result = call.get();
        long spent = System.nanoTime() - start;
        Entry e = entries.computeIfAbsent(key, k -> new Entry());
        e.calls++;
        e.nanos += spent;
        e.min = Math.min(e.min, spent);
        e.max = Math.max(e.max, spent);
        return result;
    }

    private static String dims(Shape s) {
        return Arrays.toString(s.dims());
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public BackendOptions options() {
        return delegate.options();
    }

    @Override
    public boolean holdsNativeMemory() {
        return delegate.holdsNativeMemory();
    }

    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        return time("fromDoubles", () -> delegate.fromDoubles(data, shape, dtype));
    }

    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        return time("fromFloats", () -> delegate.fromFloats(data, shape, dtype));
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        return time(shape.size() == 1 ? "full (scalar)" : "full", () -> delegate.full(shape, dtype, value));
    }

    @Override
    public double[] toDoubles(Storage storage) {
        return time("toDoubles", () -> delegate.toDoubles(storage));
    }

    @Override
    public float[] toFloats(Storage storage) {
        return time("toFloats", () -> delegate.toFloats(storage));
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        return time("cast", () -> delegate.cast(storage, dtype));
    }

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        return time("unary " + op, () -> delegate.unary(op, x));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        String kind = a.shape().equals(b.shape()) ? "" : " " + dims(a.shape()) + " " + dims(b.shape());
        return time("binary " + op + kind, () -> delegate.binary(op, a, b));
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        return time("compare " + op, () -> delegate.compare(op, a, b));
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        return time("where", () -> delegate.where(condition, ifTrue, ifFalse));
    }

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        String key = "matmul " + dims(a.shape()) + (transposeA ? "T" : "") + " x " + dims(b.shape())
                + (transposeB ? "T" : "");
        return time(key, () -> delegate.matmul(a, b, transposeA, transposeB));
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        return time(
                "reduce " + op + " " + dims(x.shape()) + " axes " + Arrays.toString(axes),
                () -> delegate.reduce(op, x, axes, keepDims));
    }

    @Override
    public Storage reshape(Storage x, Shape shape) {
        return time("reshape", () -> delegate.reshape(x, shape));
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        return time("broadcastTo " + dims(x.shape()) + " to " + dims(shape), () -> delegate.broadcastTo(x, shape));
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        return time("permute", () -> delegate.permute(x, axes));
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        return time("slice", () -> delegate.slice(x, axis, start, end));
    }

    @Override
    public Storage concat(List<Storage> parts, int axis) {
        return time("concat", () -> delegate.concat(parts, axis));
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        return time("gather " + dims(x.shape()) + " axis " + axis, () -> delegate.gather(x, axis, indices));
    }

    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        return time(
                "scatterAdd " + dims(shape) + " axis " + axis, () -> delegate.scatterAdd(shape, axis, indices, source));
    }

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        return time(
                "conv2d " + dims(input.shape()) + " * " + dims(weight.shape()),
                () -> delegate.conv2d(input, weight, padH, padW));
    }

    @Override
    public Storage conv2dReluBackwardInput(
            Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW, Storage reluOutput) {
        return time(
                "conv2dReluBackwardInput " + dims(inputShape) + " * " + dims(weight.shape()),
                () -> delegate.conv2dReluBackwardInput(gradOutput, weight, inputShape, padH, padW, reluOutput));
    }

    @Override
    public Storage conv2d(Storage input, Storage weight, Storage bias, int padH, int padW) {
        return time(
                "conv2d " + dims(input.shape()) + " * " + dims(weight.shape()) + (bias == null ? "" : " + bias"),
                () -> delegate.conv2d(input, weight, bias, padH, padW));
    }

    @Override
    public Storage conv2dRelu(Storage input, Storage weight, Storage bias, int padH, int padW) {
        return time(
                "conv2dRelu " + dims(input.shape()) + " * " + dims(weight.shape()) + (bias == null ? "" : " + bias"),
                () -> delegate.conv2dRelu(input, weight, bias, padH, padW));
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        return time(
                "conv2dBackwardInput " + dims(inputShape) + " * " + dims(weight.shape()),
                () -> delegate.conv2dBackwardInput(gradOutput, weight, inputShape, padH, padW));
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        return time(
                "conv2dBackwardWeight " + dims(input.shape()) + " * " + dims(weightShape),
                () -> delegate.conv2dBackwardWeight(input, gradOutput, weightShape, padH, padW));
    }

    @Override
    public Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        return time("adamUpdate", () -> delegate.adamUpdate(param, grad, m, v, step));
    }

    @Override
    public double sumOfSquares(Storage x) {
        return time("sumOfSquares", () -> delegate.sumOfSquares(x));
    }

    @Override
    public Storage linear(Storage x, Storage weight, Storage bias, UnaryOp activation) {
        return time(
                "linear " + dims(x.shape()) + " x " + dims(weight.shape()) + " " + activation,
                () -> delegate.linear(x, weight, bias, activation));
    }

    @Override
    public Storage reluBackward(Storage gradOutput, Storage output) {
        return time("reluBackward " + dims(output.shape()), () -> delegate.reluBackward(gradOutput, output));
    }

    @Override
    public Storage affineCoupling(Storage x, Storage logScale, Storage shift, boolean inverse) {
        return time(
                "affineCoupling" + (inverse ? " inverse " : " ") + dims(x.shape()),
                () -> delegate.affineCoupling(x, logScale, shift, inverse));
    }

    @Override
    public void free(Storage storage) {
        time("free", () -> {
            delegate.free(storage);
            return null;
        });
    }

    @Override
    public void close() {
        delegate.close();
    }
}
