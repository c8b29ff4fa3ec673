package org.flows4j.backend.support;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ForkJoinTask;
import org.flows4j.api.backend.AdamStep;

/**
 * One fused Adam update written from Java straight into native buffers, seen as direct
 * {@link ByteBuffer}s, with the Vector API: each element of the parameter, gradient and moments
 * is read once and the three outputs written once. Composed from an engine's elementwise kernels
 * the same update streams the arrays about four times as often and allocates temporaries, and on
 * the 19 million parameters of NICE's MNIST model took most of a training step on both native
 * backends (62 ms on djl, 175 ms on nd4j; measured with {@code ModelBench --profile}, see
 * docs/BENCHMARKS.md).
 *
 * <p>The arithmetic is that of the composed default of
 * {@link org.flows4j.api.backend.Backend#adamUpdate}, operation by operation in the storage's
 * dtype (no fused multiply-add), with each constant rounded to that dtype as the default's
 * scalar storages round it, so the two agree bit for bit. The Vector API is an incubator module
 * ({@code --add-modules jdk.incubator.vector}, which the {@code flows4j} launcher passes);
 * without it {@link #available()} is false and the backend composes the update instead.
 *
 * <p>Used by backend-djl (over libtorch's tensors) and backend-nd4j (over ND4J's buffers), the
 * modules this package is exported to.
 */
public final class DirectAdam {

    private static final System.Logger LOG = System.getLogger("org.flows4j.backend.support");

    private DirectAdam() {}

    /**
     * Whether the Vector API is present: detected once, on first use.
     *
     * @return true when {@code jdk.incubator.vector} is in the module graph and readable, so that
     *         {@link #update} may be called; false otherwise (the backend then composes the update)
     */
    public static boolean available() {
        return Detect.AVAILABLE;
    }

    private static final class Detect {
        static final boolean AVAILABLE = detect();
    }

    private static boolean detect() {
        Module own = DirectAdam.class.getModule();
        Optional<Module> vector = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (vector.isEmpty() && own.getLayer() != null) {
            vector = own.getLayer().findModule("jdk.incubator.vector");
        }
        if (vector.isEmpty()) {
            LOG.log(
                    Level.DEBUG,
                    "native backends: Adam composed from kernels (start the JVM with --add-modules"
                            + " jdk.incubator.vector for the fused update)");
            return false;
        }
        try {
            if (own.isNamed() && !own.canRead(vector.get())) {
                own.addReads(vector.get());
            }
            Class.forName("org.flows4j.backend.support.DirectAdamLanes", true, DirectAdam.class.getClassLoader());
            return true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "native backends: the Vector API is present but unusable (" + e
                            + "); Adam is composed from kernels");
            return false;
        }
    }

    /**
     * Elements below which an update stays on the calling thread: a task handed to the common
     * fork-join pool costs microseconds to start, the update of {@value} elements tens of them.
     */
    public static final int PARALLEL_ELEMENTS = 1 << 16;

    /** Elements per block boundary: a multiple of every vector length, so only the last block has a scalar tail. */
    private static final int ALIGN = 64;

    /**
     * Updates {@code n} elements of {@code p}, {@code m} and {@code v} in place from {@code g} on the
     * calling thread; see {@link #update(ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, int, boolean,
     * AdamStep, int)}.
     *
     * @param p the parameters, read and overwritten with their updated values
     * @param g the gradient of the loss with respect to {@code p}; only read
     * @param m Adam's first moment (running mean of the gradient), read and overwritten
     * @param v Adam's second moment (running mean of the squared gradient), read and overwritten
     * @param n the number of elements to update, at most the capacity of each buffer in elements
     * @param float32 true when the buffers hold {@code float}s (4 bytes each), false when they hold
     *        {@code double}s (8 bytes each); all four buffers share the dtype
     * @param step the hyperparameters and 1-based step number of this update, whose constants are
     *        rounded to the buffers' dtype
     */
    public static void update(
            ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, boolean float32, AdamStep step) {
        update(p, g, m, v, n, float32, step, 1);
    }

    /**
     * Updates {@code n} elements of {@code p}, {@code m} and {@code v} in place from {@code g};
     * each buffer holds at least {@code n} elements from index 0 (read in the machine's byte
     * order, whatever the buffer's own). Call only when {@link #available()}.
     *
     * <p>From {@value #PARALLEL_ELEMENTS} elements the update is split into up to {@code threads}
     * blocks, one on the calling thread and the others on the common fork-join pool: the update is
     * bound by memory and division, and one thread left the second core idle (on {@code
     * maf:images}' 12 million parameters, a sixth of djl's training step). Each element's
     * arithmetic is the same on any thread, so the result does not depend on {@code threads}.
     *
     * @param p the parameters, read and overwritten with their updated values
     * @param g the gradient of the loss with respect to {@code p}; only read
     * @param m Adam's first moment (running mean of the gradient), read and overwritten
     * @param v Adam's second moment (running mean of the squared gradient), read and overwritten
     * @param n the number of elements to update, at most the capacity of each buffer in elements
     * @param float32 true when the buffers hold {@code float}s (4 bytes each), false when they hold
     *        {@code double}s (8 bytes each); all four buffers share the dtype
     * @param step the hyperparameters and 1-based step number of this update, whose constants are
     *        rounded to the buffers' dtype
     * @param threads the most threads to use, the caller's included; at least 1
     * @throws IllegalArgumentException if {@code threads} is below 1 or {@code n} is negative
     */
    public static void update(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int n,
            boolean float32,
            AdamStep step,
            int threads) {
        if (threads < 1 || n < 0) {
            throw new IllegalArgumentException("DirectAdam: " + n + " elements on " + threads + " threads");
        }
        int blocks = (int) Math.min(threads, Math.max(1, (long) n / PARALLEL_ELEMENTS));
        if (blocks == 1) {
            block(p, g, m, v, 0, n, float32, step);
            return;
        }
        int per = (n / blocks + ALIGN - 1) / ALIGN * ALIGN;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(blocks);
        for (int from = 0; from < n; from += per) {
            int start = from;
            int count = Math.min(per, n - from);
            tasks.add(ForkJoinTask.adapt(() -> block(p, g, m, v, start, count, float32, step)));
        }
        ForkJoinTask.invokeAll(tasks);
    }

    /** Elements {@code [from, from + count)} of the four buffers, in the machine's byte order. */
    private static void block(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int from,
            int count,
            boolean float32,
            AdamStep step) {
        ByteOrder order = ByteOrder.nativeOrder();
        int bytes = float32 ? Float.BYTES : Double.BYTES;
        ByteBuffer pb = p.slice(from * bytes, count * bytes).order(order);
        ByteBuffer gb = g.slice(from * bytes, count * bytes).order(order);
        ByteBuffer mb = m.slice(from * bytes, count * bytes).order(order);
        ByteBuffer vb = v.slice(from * bytes, count * bytes).order(order);
        if (float32) {
            DirectAdamLanes.updateFloats(pb, gb, mb, vb, count, step, order);
        } else {
            DirectAdamLanes.updateDoubles(pb, gb, mb, vb, count, step, order);
        }
    }
}
