package org.flows4j.api.tensor;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One tensor's ownership of a {@link Handle}: released at most once, by its memory scope,
 * by {@link Tensor#free()}, or by the cleaner when an unscoped tensor is collected. It does
 * not reference its tensor, so a cleaner may hold it.
 */
final class Ref implements Runnable {

    final Handle handle;
    private final AtomicBoolean released = new AtomicBoolean();
    /** The scope that will release this ref, or null once kept out of every scope. */
    volatile MemoryScope scope;

    Ref(Handle handle) {
        this.handle = handle;
    }

    boolean isReleased() {
        return released.get();
    }

    void release() {
        if (released.compareAndSet(false, true)) {
            handle.release();
        }
    }

    @Override
    public void run() {
        release();
    }
}
