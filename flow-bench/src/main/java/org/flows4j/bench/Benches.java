package org.flows4j.bench;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;

/** What the benchmarks share: a backend by name and seeded random tensors. */
final class Benches {

    private Benches() {}

    /** The named backend with {@code threads} compute threads, or one per processor when 0. */
    static Backend backend(String name, int threads) {
        BackendOptions o = BackendOptions.defaults();
        return Backends.create(name, threads > 0 ? o.withThreads(threads) : o);
    }

    /** The 1-minute load average, or "unknown". */
    static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage();
        return load < 0 ? "unknown" : String.format(java.util.Locale.ROOT, "%.2f", load);
    }

    /** Standard normal values of {@code shape}, kept out of every memory scope. */
    static Tensor normal(Backend backend, DType dtype, long seed, Shape shape, double std) {
        return RandomSource.seeded(seed).normal(backend, dtype, shape, 0, std).unscoped();
    }
}
