package org.flows4j.backend.cpu;

import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;

/**
 * Discovery descriptor of the pure-Java backend, named {@code cpu} with priority 10: always
 * available (it needs nothing beyond {@code java.base}), so it is the fallback when no faster
 * backend starts. Constructing it and asking for its name costs nothing; {@link #create} makes
 * the backend.
 */
public final class CpuBackendProvider implements BackendProvider {

    /** The name users select this backend by. */
    static final String NAME = "cpu";

    /** For {@link java.util.ServiceLoader}. */
    public CpuBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public String description() {
        return "pure Java, float32 and float64 (reference backend)";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    /**
     * A new backend; {@code options.threads()} bounds the threads its large kernels use. A bad
     * value of one of the kernels' options or system properties ({@code flows4j.cpu.gemm},
     * {@code flows4j.cpu.conv.registers}, {@code flows4j.cpu.conv.pointwise.limit}) fails with a
     * {@link BackendException} that says which and what it takes.
     */
    @Override
    public Backend create(BackendOptions options) {
        try {
            return new CpuBackend(options);
        } catch (IllegalArgumentException e) {
            throw new BackendException("backend 'cpu': " + e.getMessage(), e);
        }
    }
}
