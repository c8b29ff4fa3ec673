package org.flows4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The backend's own fixed thread pool, for splitting the items of a large kernel (rows of a
 * matrix product, output planes of a convolution) into contiguous ranges. The calling thread
 * runs the first range itself, so {@code threads - 1} workers are started, lazily, on the first
 * kernel big enough to need them. Workers are daemons: a backend that is never closed does not
 * keep the JVM alive. After {@link #close} every kernel runs on the calling thread.
 */
final class Parallel implements AutoCloseable {

    /**
     * Below this many multiply-adds a kernel runs on the calling thread: handing work to a pool
     * costs some microseconds, as much as about this many multiply-adds.
     */
    static final long MIN_PARALLEL_WORK = 1L << 17;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private ExecutorService pool;
    private boolean closed;

    Parallel(int threads) {
        this.threads = threads;
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

    private static void range(IntConsumer body, int from, int to) {
        for (int i = from; i < to; i++) {
            body.accept(i);
        }
    }

    /** Waits for every task even when interrupted, because they write into the caller's output. */
    private static void awaitAll(List<Future<?>> futures) {
        boolean interrupted = false;
        Throwable failure = null;
        for (Future<?> f : futures) {
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
            pool = Executors.newFixedThreadPool(threads - 1, factory);
        }
        return pool;
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
