package org.flows4j.api.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;

/**
 * One backend storage with a reference count. A view made by {@link Backend#reshape} holds a
 * reference on the handle of the storage it views, so the base outlives every view.
 */
final class Handle {

    private final Backend backend;
    private final Handle base;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile Storage storage;

    Handle(Backend backend, Storage storage, Handle base) {
        this.backend = backend;
        this.storage = storage;
        this.base = base;
        if (base != null) {
            base.retain();
        }
    }

    Storage storage() {
        return storage;
    }

    void retain() {
        refs.incrementAndGet();
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            Storage s = storage;
            storage = null;
            if (s != null) {
                backend.free(s);
            }
            if (base != null) {
                base.release();
            }
        }
    }
}
