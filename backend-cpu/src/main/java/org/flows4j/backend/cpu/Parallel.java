package org.flows4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The backend's own fixed thread pool, for splitting the items of a large kernel (rows of a
 * matrix product, output planes of a convolution) into contiguous ranges. The calling thread
 * runs the first range itself, so {@code threads - 1} workers are started, lazily, on the first
 * kernel big enough to need them. Workers are daemons: a backend that is never closed does not
 * keep the JVM alive. After {@link #close} every kernel runs on the calling thread.
 *
 * <p>A training step calls a few hundred kernels back to back, and waking a parked thread
 * costs 5 to 50 microseconds on a virtual machine, as much as a 256 x 1000 elementwise kernel.
 * So an idle worker polls its queue for {@value #SPIN_NANOS} ns before it parks, and a caller
 * waiting for the workers' ranges polls them as long before it blocks: back-to-back kernels
 * never pay a wake-up, and an idle backend parks its threads within 50 microseconds.
 */
final class Parallel implements AutoCloseable {

    /**
     * Below this many multiply-adds a kernel runs on the calling thread: handing work to a pool
     * costs some microseconds, as much as about this many multiply-adds.
     */
    static final long MIN_PARALLEL_WORK = 1L << 17;

    /**
     * Below this many elements an elementwise kernel, a reduction or an optimizer update runs on
     * the calling thread: a pass over {@code 2^16} floats takes some tens of microseconds, a few
     * hand-offs' worth, and the activations of a small flow ({@code 512 x 64}) stay below it.
     */
    static final int MIN_PARALLEL_ELEMENTS = 1 << 16;

    /** Runs everything on the calling thread: for kernels called from inside another kernel's parallel items. */
    static final Parallel SERIAL = new Parallel(1);

    /** How long an idle worker, or a caller waiting for workers, polls before it parks. */
    static final long SPIN_NANOS = 50_000;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private ExecutorService pool;
    private boolean closed;

    Parallel(int threads) {
        this.threads = threads;
    }

    /** The number of threads a large kernel is split over, the caller's included. */
    int threads() {
        return threads;
    }

    /** A body over a contiguous range of items {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /**
     * Calls {@code body} over contiguous ranges that together cover {@code [0, count)} exactly
     * once: one call with the whole range, on the calling thread and with no hand-off at all,
     * when {@code count < minCount} or there is one thread; else one range per thread.
     * Ranges start at multiples of {@code grain} (a vector length, say) so that only the last
     * range has a ragged end.
     */
    void forRange(int count, int minCount, int grain, Range body) {
        if (count < minCount || count <= grain || threads < 2) {
            body.run(0, count);
            return;
        }
        int parts = (int) Math.min(threads, ((long) count + grain - 1) / grain);
        int chunk = (count / parts + grain - 1) / grain * grain;
        int n = (count + chunk - 1) / chunk;
        forEach(n, Long.MAX_VALUE, i -> body.run(i * chunk, Math.min(count, (i + 1) * chunk)));
    }

    /**
     * Calls {@code body} once for each item in {@code [0, count)}, in parallel ranges when
     * {@code work} (the total multiply-adds, roughly) is large enough. Items must write disjoint
     * outputs. Returns when every item is done; a failure in any item is rethrown.
     */
    void forEach(int count, long work, IntConsumer body) {
        ExecutorService p = count > 1 && work >= MIN_PARALLEL_WORK ? pool() : null;
        if (p == null) {
            range(body, 0, count);
            return;
        }
        int parts = Math.min(threads, count);
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        int done = parts;
        for (int t = 1; t < parts; t++) {
            int from = (int) ((long) count * t / parts);
            int to = (int) ((long) count * (t + 1) / parts);
            try {
                futures.add(p.submit(() -> range(body, from, to)));
            } catch (RejectedExecutionException closedMeanwhile) {
                done = t;
                break;
            }
        }
        try {
            range(body, 0, (int) ((long) count / parts));
            // ranges the pool refused (it was closed meanwhile) run here
            range(body, (int) ((long) count * done / parts), count);
        } finally {
            awaitAll(futures);
        }
    }

    /**
     * As {@link #forEach}, but each thread claims the next item from a shared counter until none
     * is left, instead of taking a fixed share: on a shared machine a thread that another
     * process slows down does fewer items rather than holding up the others. For items that each
     * take many microseconds (the images of a convolution); which thread runs an item never
     * changes what the item computes.
     */
    void forEachBalanced(int count, long work, IntConsumer body) {
        ExecutorService p = count > 1 && work >= MIN_PARALLEL_WORK ? pool() : null;
        if (p == null) {
            range(body, 0, count);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable claim = () -> {
            try {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    body.accept(i);
                }
            } catch (RuntimeException | Error e) {
                // no thread claims anything more; the others finish the items in hand
                next.set(count);
                throw e;
            }
        };
        int parts = Math.min(threads, count);
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int t = 1; t < parts; t++) {
            try {
                futures.add(p.submit(claim));
            } catch (RejectedExecutionException closedMeanwhile) {
                // the items the pool refused are claimed here
                break;
            }
        }
        try {
            claim.run();
        } finally {
            awaitAll(futures);
        }
    }

    private static void range(IntConsumer body, int from, int to) {
        for (int i = from; i < to; i++) {
            body.accept(i);
        }
    }

    /** Waits for every task even when interrupted, because they write into the caller's output. */
    private static void awaitAll(List<Future<?>> futures) {
        boolean interrupted = false;
        Throwable failure = null;
        long deadline = System.nanoTime() + SPIN_NANOS;
        for (Future<?> f : futures) {
            while (!f.isDone() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("a cpu backend worker failed", failure);
        }
    }

    private synchronized ExecutorService pool() {
        if (closed || threads < 2) {
            return null;
        }
        if (pool == null) {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "flows4j-cpu-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = new ThreadPoolExecutor(
                    threads - 1, threads - 1, 0, TimeUnit.MILLISECONDS, new SpinningQueue(), factory);
        }
        return pool;
    }

    /** A work queue whose {@code take} polls for {@link #SPIN_NANOS} before it blocks. */
    private static final class SpinningQueue extends LinkedBlockingQueue<Runnable> {

        private static final long serialVersionUID = 1L;

        /** Polls the lock-free {@code size()}, not {@code poll()}, whose lock would convoy with {@code offer}. */
        @Override
        public Runnable take() throws InterruptedException {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (size() == 0 && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            return super.take();
        }
    }

    /** Stops the workers once their current tasks finish; safe to call twice. */
    @Override
    public synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.shutdown();
            pool = null;
        }
    }
}
