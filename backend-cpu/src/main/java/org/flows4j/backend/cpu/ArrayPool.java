package org.flows4j.backend.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Arrays of freed storages, kept for the outputs of later kernels. The JVM zeroes every new
 * array on the allocating thread, about 30 microseconds a mebibyte: a training step that makes
 * a few hundred activation-sized outputs spends several percent of its time there, and as much
 * again collecting them. The SPI frees every intermediate storage when its memory scope closes
 * ({@link CpuBackend#free}), so the next step's kernels can take those arrays back instead.
 *
 * <p>Only arrays of at least {@link #MIN_LENGTH} elements are kept (smaller ones cost less to
 * allocate than to look up), at most {@link #capacityBytes} in all; beyond that a freed array is
 * left to the garbage collector. An array is taken by its exact length and element type, and
 * its contents are whatever its last user left: only kernels that write every element take one.
 * Safe for concurrent use; one pool per backend, dropped by {@link #clear()} when it closes.
 */
final class ArrayPool {

    /** The shortest array worth keeping: 32 Ki elements, 128 KiB of floats. */
    static final int MIN_LENGTH = 1 << 15;

    private final long capacityBytes;
    private final Map<Integer, ArrayDeque<float[]>> floats = new HashMap<>();
    private final Map<Integer, ArrayDeque<double[]>> doubles = new HashMap<>();
    private long bytes;

    /** A pool holding at most an eighth of the maximum heap, and at most 1 GiB. */
    ArrayPool() {
        this(Math.min(Runtime.getRuntime().maxMemory() / 8, 1L << 30));
    }

    ArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** A float array of exactly {@code n} elements, recycled (contents unspecified) or new. */
    float[] floats(int n) {
        if (n >= MIN_LENGTH) {
            synchronized (this) {
                ArrayDeque<float[]> q = floats.get(n);
                float[] f = q == null ? null : q.pollLast();
                if (f != null) {
                    bytes -= 4L * n;
                    return f;
                }
            }
        }
        return new float[n];
    }

    /** A double array of exactly {@code n} elements, recycled (contents unspecified) or new. */
    double[] doubles(int n) {
        if (n >= MIN_LENGTH) {
            synchronized (this) {
                ArrayDeque<double[]> q = doubles.get(n);
                double[] d = q == null ? null : q.pollLast();
                if (d != null) {
                    bytes -= 8L * n;
                    return d;
                }
            }
        }
        return new double[n];
    }

    /** Keeps {@code array} (a {@code float[]} or {@code double[]} nobody uses any more) if it is worth it and fits. */
    void recycle(Object array) {
        if (array instanceof float[] f && f.length >= MIN_LENGTH) {
            synchronized (this) {
                if (bytes + 4L * f.length <= capacityBytes) {
                    floats.computeIfAbsent(f.length, n -> new ArrayDeque<>()).addLast(f);
                    bytes += 4L * f.length;
                }
            }
        } else if (array instanceof double[] d && d.length >= MIN_LENGTH) {
            synchronized (this) {
                if (bytes + 8L * d.length <= capacityBytes) {
                    doubles.computeIfAbsent(d.length, n -> new ArrayDeque<>()).addLast(d);
                    bytes += 8L * d.length;
                }
            }
        }
    }

    /** Drops every kept array. */
    synchronized void clear() {
        floats.clear();
        doubles.clear();
        bytes = 0;
    }

    /** Bytes held, for tests. */
    synchronized long bytes() {
        return bytes;
    }
}
