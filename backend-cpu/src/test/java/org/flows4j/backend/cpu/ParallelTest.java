package org.flows4j.backend.cpu;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.api.internal.TensorAccess.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Kernels large enough to be split over threads give bit-identical results with one thread
 * and with several (each item is computed by one thread in the same order), the workers stop
 * when the backend closes, and one backend serves several calling threads at once.
 */
class ParallelTest {

    private static Tensor random(Backend b, DType dtype, long seed, int... dims) {
        Shape s = Shape.of(dims);
        return Tensor.of(b, dtype, RandomSource.seeded(seed).normal(s.size()), s);
    }

    private static List<double[]> kernels(Backend b, DType dtype) {
        // 96 * 96 * 96 and 4 * 8 * 8 * 9 * 16 * 16 multiply-adds: both above the parallel threshold
        Tensor a = random(b, dtype, 1, 96, 96);
        Tensor c = random(b, dtype, 2, 96, 96);
        Tensor x = random(b, dtype, 3, 4, 8, 16, 16);
        Tensor w = random(b, dtype, 4, 8, 8, 3, 3);
        Tensor g = random(b, dtype, 5, 4, 8, 16, 16);
        // more than 16 output channels: the wide direct kernels in float32
        Tensor wWide = random(b, dtype, 8, 24, 8, 3, 3);
        Tensor gWide = random(b, dtype, 9, 4, 24, 16, 16);
        return List.of(
                x.conv2d(wWide).toDoubleArray(),
                wrap(b, b.conv2dBackwardInput(storage(gWide), storage(wWide), x.shape(), 1, 1))
                        .toDoubleArray(),
                wrap(b, b.conv2dBackwardWeight(storage(x), storage(gWide), wWide.shape(), 1, 1))
                        .toDoubleArray(),
                a.matmul(c).toDoubleArray(),
                a.matmul(c, true, true).toDoubleArray(),
                random(b, dtype, 6, 3, 40, 50)
                        .matmul(random(b, dtype, 7, 3, 50, 60))
                        .toDoubleArray(),
                x.conv2d(w).toDoubleArray(),
                wrap(b, b.conv2dBackwardInput(storage(g), storage(w), x.shape(), 1, 1))
                        .toDoubleArray(),
                wrap(b, b.conv2dBackwardWeight(storage(x), storage(g), w.shape(), 1, 1))
                        .toDoubleArray());
    }

    @Test
    void several_threads_give_the_same_bits_as_one_and_stop_on_close() throws InterruptedException {
        CpuBackendProvider p = new CpuBackendProvider();
        for (DType dtype : DType.values()) {
            Set<Thread> before = workers();
            List<Thread> started;
            try (Backend one = p.create(BackendOptions.defaults().withThreads(1));
                    Backend four = p.create(BackendOptions.defaults().withThreads(4))) {
                List<double[]> expected = kernels(one, dtype);
                List<double[]> actual = kernels(four, dtype);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), actual.get(i), "kernel " + i + " " + dtype.label());
                }
                started = new ArrayList<>(workers());
                started.removeAll(before);
                // the calling thread takes one share, so four threads means three workers
                assertEquals(3, started.size(), "workers of the 4-thread backend: " + started);
            }
            for (Thread t : started) {
                t.join(5_000);
                assertFalse(t.isAlive(), t.getName() + " still runs after close()");
            }
        }
    }

    private static Set<Thread> workers() {
        Set<Thread> s = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("flows4j-cpu-")) {
                s.add(t);
            }
        }
        return s;
    }

    @Test
    void small_elementwise_kernels_never_hand_work_to_a_thread() {
        // a 2-D flow's activations, 512 x 64, stay on the calling thread: no worker is started
        Set<Thread> before = workers();
        try (Backend b =
                new CpuBackendProvider().create(BackendOptions.defaults().withThreads(4))) {
            for (DType dtype : DType.values()) {
                Tensor x = random(b, dtype, 1, 512, 64);
                Tensor y = random(b, dtype, 2, 512, 64);
                Tensor bias = random(b, dtype, 3, 64);
                x.add(y).mul(x).relu().add(bias).gt(y).sum(0);
                x.tanh().exp().sub(1.0).sum();
                Tensor.where(x.gt(0.0), x, y).max(1);
                b.adamUpdate(
                        storage(x),
                        storage(y),
                        storage(random(b, dtype, 4, 512, 64)),
                        storage(random(b, dtype, 5, 512, 64).square()),
                        new org.flows4j.api.backend.AdamStep(1e-3, 0.9, 0.999, 1e-8, 0, 1));
            }
            Set<Thread> started = workers();
            started.removeAll(before);
            assertEquals(Set.of(), started, "workers started by elementwise kernels on 512 x 64");
        }
    }

    @Test
    void balanced_items_each_run_exactly_once_whichever_thread_claims_them() {
        try (Parallel par = new Parallel(3)) {
            int[] runs = new int[1000];
            // items of uneven cost, so that the threads claim different numbers of them
            par.forEachBalanced(runs.length, Long.MAX_VALUE, i -> {
                if (i % 7 == 0) {
                    LockSupport.parkNanos(20_000);
                }
                runs[i]++;
            });
            int[] once = new int[runs.length];
            java.util.Arrays.fill(once, 1);
            assertArrayEquals(once, runs);
        }
    }

    @Test
    void a_failing_balanced_item_is_rethrown_and_the_others_stop_claiming() {
        try (Parallel par = new Parallel(2)) {
            AtomicInteger ran = new AtomicInteger();
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> par.forEachBalanced(100_000, Long.MAX_VALUE, i -> {
                        ran.incrementAndGet();
                        if (i == 10) {
                            throw new IllegalStateException("item 10");
                        }
                        LockSupport.parkNanos(1_000);
                    }));
            assertEquals("item 10", e.getMessage());
            assertTrue(ran.get() < 100_000, "items run after the failure: " + ran.get());
        }
    }

    @Test
    void one_backend_serves_concurrent_callers() throws Exception {
        try (Backend b =
                new CpuBackendProvider().create(BackendOptions.defaults().withThreads(3))) {
            double[] expected = matmulSum(b);
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[]>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    results.add(callers.submit(() -> matmulSum(b)));
                }
                for (Future<double[]> f : results) {
                    assertArrayEquals(expected, f.get());
                }
            } finally {
                callers.shutdown();
            }
        }
    }

    private static double[] matmulSum(Backend b) {
        Tensor a = random(b, DType.FLOAT64, 8, 80, 70);
        Tensor c = random(b, DType.FLOAT64, 9, 70, 90);
        Tensor prod = a.matmul(c);
        assertEquals(Shape.of(80, 90), prod.shape());
        return prod.sum(0).toDoubleArray();
    }
}
