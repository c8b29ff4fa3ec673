package org.flows4j.api.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.tensor.Tensor;

/**
 * What flows4j's own modules need of a tensor beyond its public API: its backend storage, and
 * a tensor around a storage that a kernel returned. The layers call fused kernels directly (the
 * in-place Adam update, checkpoint loading), and a backend's own tests feed kernels; users call
 * neither, so these are not part of {@link Tensor}'s public API.
 *
 * <p>This package is exported only to flows4j's modules ({@code exports ... to} in
 * {@code org.flows4j.api}'s descriptor). It reaches {@link Tensor}'s package-private
 * {@code storage()} and {@code wrap(Backend, Storage)} through a private lookup, which a module
 * grants its own code, so the tensor package does not depend on this one (no package cycle).
 */
public final class TensorAccess {

    private static final MethodHandle STORAGE;
    private static final MethodHandle WRAP;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Tensor.class, MethodHandles.lookup());
            STORAGE = lookup.findVirtual(Tensor.class, "storage", MethodType.methodType(Storage.class));
            WRAP = lookup.findStatic(
                    Tensor.class, "wrap", MethodType.methodType(Tensor.class, Backend.class, Storage.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TensorAccess() {}

    /**
     * The backend storage of {@code tensor}, for code that calls kernels directly.
     *
     * @param tensor the tensor, not null
     * @return its storage, still owned by the tensor: the caller must not free it, nor use it after
     *     the tensor is freed
     * @throws IllegalStateException if the tensor was freed
     */
    public static Storage storage(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        try {
            return (Storage) STORAGE.invokeExact(tensor);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Wraps a storage that {@code backend} made, taking ownership of it (it is freed with the
     * tensor's memory scope). The result records no gradient.
     *
     * @param backend the backend that made {@code storage}, not null
     * @param storage the storage to wrap, not null; the caller must not free it afterwards
     * @return a new tensor that owns {@code storage}, in the current thread's innermost memory scope if any
     */
    public static Tensor wrap(Backend backend, Storage storage) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(storage, "storage");
        try {
            return (Tensor) WRAP.invokeExact(backend, storage);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
