package org.flows4j.layers.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 * A test backend over another one that counts live storages and {@link #adamUpdate} calls,
 * and that can act as an in-place backend: its storages are mutable boxes, so in
 * {@link AdamMode#IN_PLACE} it returns the very boxes it was given with their contents
 * replaced, exactly what a backend that updates in place returns.
 */
public final class CountingBackend implements Backend {

    /** How {@link #adamUpdate} answers. */
    public enum AdamMode {
        /** Returns new storages (what the default composed kernel does). */
        NEW_STORAGES,
        /** Returns the given storages, updated. */
        IN_PLACE
    }

    static final class Box implements Storage {
        private Storage inner;

        private Box(Storage inner) {
            this.inner = inner;
        }

        @Override
        public Shape shape() {
            return inner.shape();
        }

        @Override
        public DType dtype() {
            return inner.dtype();
        }
    }

    private final Backend delegate;
    private final AdamMode mode;
    private final Set<Box> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger adamCalls = new AtomicInteger();
    private final AtomicInteger badFrees = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    public CountingBackend(Backend delegate, AdamMode mode) {
        this.delegate = delegate;
        this.mode = mode;
    }

    /** Storages made and not yet freed. */
    public int live() {
        return live.size();
    }

    /** The most storages live at once since the last {@link #resetPeak()}. */
    public int peak() {
        return peak.get();
    }

    /** Starts {@link #peak()} again from the storages live now. */
    public void resetPeak() {
        peak.set(live.size());
    }

    /** Calls of the fused Adam kernel. */
    int adamCalls() {
        return adamCalls.get();
    }

    /** Frees of a storage that was already freed or never made here (must stay 0). */
    public int badFrees() {
        return badFrees.get();
    }

    private Box box(Storage s) {
        Box b = new Box(s);
        live.add(b);
        peak.accumulateAndGet(live.size(), Math::max);
        return b;
    }

    private static Storage un(Storage s) {
        return ((Box) s).inner;
    }

    @Override
    public String name() {
        return "counting-" + delegate.name();
    }

    @Override
    public BackendOptions options() {
        return delegate.options();
    }

    /** False, so nothing is freed by a cleaner behind the counts' back. */
    @Override
    public boolean holdsNativeMemory() {
        return false;
    }

    @Override
    public Storage fromDoubles(double[] data, Shape shape, DType dtype) {
        return box(delegate.fromDoubles(data, shape, dtype));
    }

    @Override
    public Storage fromFloats(float[] data, Shape shape, DType dtype) {
        return box(delegate.fromFloats(data, shape, dtype));
    }

    @Override
    public Storage full(Shape shape, DType dtype, double value) {
        return box(delegate.full(shape, dtype, value));
    }

    @Override
    public double[] toDoubles(Storage storage) {
        return delegate.toDoubles(un(storage));
    }

    @Override
    public float[] toFloats(Storage storage) {
        return delegate.toFloats(un(storage));
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        return box(delegate.cast(un(storage), dtype));
    }

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        return box(delegate.unary(op, un(x)));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, Storage b) {
        return box(delegate.binary(op, un(a), un(b)));
    }

    @Override
    public Storage compare(CompareOp op, Storage a, Storage b) {
        return box(delegate.compare(op, un(a), un(b)));
    }

    @Override
    public Storage where(Storage condition, Storage ifTrue, Storage ifFalse) {
        return box(delegate.where(un(condition), un(ifTrue), un(ifFalse)));
    }

    @Override
    public Storage matmul(Storage a, Storage b, boolean transposeA, boolean transposeB) {
        return box(delegate.matmul(un(a), un(b), transposeA, transposeB));
    }

    @Override
    public Storage reduce(ReduceOp op, Storage x, int[] axes, boolean keepDims) {
        return box(delegate.reduce(op, un(x), axes, keepDims));
    }

    @Override
    public Storage reshape(Storage x, Shape shape) {
        Storage r = delegate.reshape(un(x), shape);
        // a delegate that answers with its input must not get two boxes (and two frees) for one storage
        return r == un(x) ? x : box(r);
    }

    @Override
    public Storage broadcastTo(Storage x, Shape shape) {
        return box(delegate.broadcastTo(un(x), shape));
    }

    @Override
    public Storage permute(Storage x, int[] axes) {
        return box(delegate.permute(un(x), axes));
    }

    @Override
    public Storage slice(Storage x, int axis, int start, int end) {
        return box(delegate.slice(un(x), axis, start, end));
    }

    @Override
    public Storage concat(List<Storage> parts, int axis) {
        List<Storage> inner = new ArrayList<>(parts.size());
        for (Storage s : parts) {
            inner.add(un(s));
        }
        return box(delegate.concat(inner, axis));
    }

    @Override
    public Storage gather(Storage x, int axis, int[] indices) {
        return box(delegate.gather(un(x), axis, indices));
    }

    @Override
    public Storage scatterAdd(Shape shape, int axis, int[] indices, Storage source) {
        return box(delegate.scatterAdd(shape, axis, indices, un(source)));
    }

    @Override
    public Storage conv2d(Storage input, Storage weight, int padH, int padW) {
        return box(delegate.conv2d(un(input), un(weight), padH, padW));
    }

    @Override
    public Storage conv2dBackwardInput(Storage gradOutput, Storage weight, Shape inputShape, int padH, int padW) {
        return box(delegate.conv2dBackwardInput(un(gradOutput), un(weight), inputShape, padH, padW));
    }

    @Override
    public Storage conv2dBackwardWeight(Storage input, Storage gradOutput, Shape weightShape, int padH, int padW) {
        return box(delegate.conv2dBackwardWeight(un(input), un(gradOutput), weightShape, padH, padW));
    }

    @Override
    public void free(Storage storage) {
        Box b = (Box) storage;
        if (!live.remove(b)) {
            badFrees.incrementAndGet();
            return;
        }
        delegate.free(b.inner);
    }

    /** Leaves the delegate open: its owner closes it. */
    @Override
    public void close() {}

    @Override
    public Storage[] adamUpdate(Storage param, Storage grad, Storage m, Storage v, AdamStep step) {
        adamCalls.incrementAndGet();
        if (mode == AdamMode.NEW_STORAGES) {
            // the composed default: new storages whatever the delegate's own kernel does
            return Backend.super.adamUpdate(param, grad, m, v, step);
        }
        Box[] in = {(Box) param, (Box) m, (Box) v};
        Storage[] out = delegate.adamUpdate(un(param), un(grad), un(m), un(v), step);
        Storage[] result = new Storage[3];
        for (int i = 0; i < 3; i++) {
            if (out[i] != in[i].inner) { // the delegate returned a new storage: put it in the old box
                delegate.free(in[i].inner);
                in[i].inner = out[i];
            }
            result[i] = in[i];
        }
        return result;
    }
}
