package org.flows4j.api.tensor;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Deterministic freeing of tensor memory. Every tensor made on a thread while a scope is
 * open on it belongs to the innermost one, and its storage is freed when that scope closes,
 * unless it was {@linkplain #keep kept}. Scopes nest; closing one closes any still open
 * inside it; {@link #close()} twice is harmless. Using a freed tensor throws
 * {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (MemoryScope step = MemoryScope.open()) {
 *     Tensor loss = flow.logProb(batch).mean().neg();
 *     List<Tensor> grads = Autodiff.grad(loss, params);
 *     newParams = step.keep(update(params, grads)); // survives; everything else is freed here
 * }
 * }</pre>
 *
 * <p>A kept tensor moves to the enclosing scope, or, at the outermost level, to no scope:
 * then it lives until {@link Tensor#free()} or, on backends with native memory, until the
 * garbage collector finds it unreachable. Scopes are per thread and not shared.
 */
public final class MemoryScope implements AutoCloseable {

    private static final ThreadLocal<Deque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);
    static final Cleaner CLEANER = Cleaner.create();

    private final Thread owner = Thread.currentThread();
    private final MemoryScope parent;
    private List<Ref> refs = new ArrayList<>();
    private boolean closed;

    private MemoryScope(MemoryScope parent) {
        this.parent = parent;
    }

    /**
     * Opens a scope nested in the current thread's innermost one.
     *
     * @return the new scope, now the innermost; close it on this thread (try-with-resources)
     */
    public static MemoryScope open() {
        Deque<MemoryScope> stack = STACK.get();
        MemoryScope s = new MemoryScope(stack.peek());
        stack.push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    static MemoryScope current() {
        Deque<MemoryScope> stack = STACK.get();
        return stack.peek();
    }

    /** Registers a new tensor's reference with the innermost scope, or the cleaner when there is none. */
    static void adopt(Tensor owner, Ref ref, boolean nativeMemory) {
        MemoryScope s = current();
        if (s != null) {
            ref.scope = s;
            s.refs.add(ref);
        } else if (nativeMemory) {
            CLEANER.register(owner, ref);
        }
    }

    /**
     * Keeps {@code tensor} alive past this scope: it moves to the enclosing scope, or to no
     * scope at the outermost level. Keeping a tensor of another scope, or one already kept,
     * is harmless.
     *
     * @param tensor the tensor to keep
     * @return the tensor, for chaining
     */
    public Tensor keep(Tensor tensor) {
        Ref ref = tensor.ref();
        if (ref.scope == this) {
            ref.scope = parent;
            if (parent != null) {
                parent.refs.add(ref);
            } else if (tensor.backend().holdsNativeMemory()) {
                CLEANER.register(tensor, ref);
            }
        }
        return tensor;
    }

    /** Takes a tensor out of whatever scope holds it (see {@link Tensor#unscoped()}). */
    static void release(Tensor tensor) {
        Ref ref = tensor.ref();
        if (ref.scope != null) {
            ref.scope = null;
            if (tensor.backend().holdsNativeMemory()) {
                CLEANER.register(tensor, ref);
            }
        }
    }

    /**
     * Keeps each tensor (see {@link #keep(Tensor)}).
     *
     * @param <C> the collection type
     * @param tensors the tensors to keep
     * @return {@code tensors}, for chaining
     */
    public <C extends Iterable<Tensor>> C keepAll(C tensors) {
        for (Tensor t : tensors) {
            keep(t);
        }
        return tensors;
    }

    /** Frees every tensor made in this scope and not kept, closing inner scopes first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException(
                    "a memory scope must be closed on the thread that opened it (" + owner.getName() + ")");
        }
        Deque<MemoryScope> stack = STACK.get();
        while (!stack.isEmpty() && stack.peek() != this && stack.contains(this)) {
            stack.peek().close();
        }
        stack.remove(this);
        closed = true;
        List<Ref> mine = refs;
        refs = List.of();
        for (Ref r : mine) {
            if (r.scope == this) {
                r.release();
            }
        }
    }
}
