package org.flows4j.backend.cpu;

import static org.flows4j.backend.cpu.FastPaths.assertWithinSumBound;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every float32 GEMM plan of this JVM ({@link GemmPlans}: every tile at 512 and 256 bits, A
 * packed or in place, every blocking), whatever plan the machine would choose, so that a CI
 * machine of any CPU checks them all: packed and split over threads, all four transposes, added
 * to C and stored over garbage, against the exact product within the error bound of a sum
 * ({@link FastPaths}). The sizes cross each plan's tile, k slice and row block with ragged ends,
 * and one crosses the column block. Then how a plan is chosen: forced by name (unknown names
 * list every plan), read from the cache, the default without one.
 */
class GemmPlanTest {

    /** The vector kernels when the JVM has the Vector API, else the scalar ones: their plans are all there are. */
    private static Kernels base() {
        return Kernels.vector().orElse(Kernels.SCALAR);
    }

    static Stream<GemmPlan> plans() {
        return base().plans().stream();
    }

    /** A random {@code rows x cols} float matrix at offset 3 with row stride {@code cols + 1}. */
    // A carrier of a matrix under test: no Stored is ever compared or hashed, so the
    // array's identity equality is never used.
    @SuppressWarnings("ArrayRecordComponent")
    private record Stored(float[] array, int rows, int cols) {

        int ld() {
            return cols + 1;
        }

        float at(int r, int c) {
            return array[3 + r * ld() + c];
        }

        static Stored random(RandomSource rng, int rows, int cols) {
            double[] d = rng.normal(3 + rows * (cols + 1));
            float[] f = new float[d.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) d[i];
            }
            return new Stored(f, rows, cols);
        }

        double op(boolean t, int i, int p) {
            return t ? at(p, i) : at(i, p);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void every_plan_adds_and_stores_the_exact_product_for_every_transpose(GemmPlan plan) {
        int mr = plan.tile().mr();
        int nr = plan.tile().nr();
        // {m, k, n}: a ragged tile, a k slice and a half (ragged), past a row block, a narrow last panel
        int[][] sizes = {
            {mr + 1, plan.kc() + plan.kc() / 2 + 1, 2 * nr + 3},
            {plan.mc() + mr + 2, 33, nr + 5},
            {2 * mr, 17, 3 * nr - 1}
        };
        for (int[] s : sizes) {
            check(plan, s[0], s[1], s[2]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void every_plan_crosses_the_column_block(GemmPlan plan) {
        check(plan, plan.tile().mr() + 3, 9, plan.nc() + plan.tile().nr() + 7);
    }

    private static void check(GemmPlan plan, int m, int k, int n) {
        RandomSource rng = RandomSource.seeded(31L * m + 7L * k + n);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            Stored a = ta ? Stored.random(rng, k, m) : Stored.random(rng, m, k);
            Stored b = tb ? Stored.random(rng, n, k) : Stored.random(rng, k, n);
            Stored c0 = Stored.random(rng, m, n);
            double[] sum = new double[m * n];
            double[] product = new double[m * n];
            double[] scale = new double[m * n];
            double[] scaleProduct = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a.op(ta, i, p) * b.op(tb, p, j);
                        s += x;
                        abs += Math.abs(x);
                    }
                    product[i * n + j] = s;
                    scaleProduct[i * n + j] = abs;
                    sum[i * n + j] = s + c0.at(i, j);
                    scale[i * n + j] = abs + Math.abs(c0.at(i, j));
                }
            }
            String what = plan.name() + " " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb;
            try (Parallel two = new Parallel(2)) {
                for (Parallel par : List.of(Parallel.SERIAL, two)) {
                    Stored added = new Stored(c0.array().clone(), m, n);
                    Gemm.packed(
                            plan,
                            par,
                            m,
                            n,
                            k,
                            a.array(),
                            3,
                            a.ld(),
                            ta,
                            b.array(),
                            3,
                            b.ld(),
                            tb,
                            added.array(),
                            3,
                            added.ld(),
                            true);
                    assertWithinSumBound(sum, scale, read(added), k + 1, DType.FLOAT32, what + " added");
                    float[] nan = c0.array().clone();
                    java.util.Arrays.fill(nan, Float.NaN);
                    Stored stored = new Stored(nan, m, n);
                    Gemm.packed(
                            plan,
                            par,
                            m,
                            n,
                            k,
                            a.array(),
                            3,
                            a.ld(),
                            ta,
                            b.array(),
                            3,
                            b.ld(),
                            tb,
                            stored.array(),
                            3,
                            stored.ld(),
                            false);
                    assertWithinSumBound(product, scaleProduct, read(stored), k, DType.FLOAT32, what + " stored");
                }
            }
        }
    }

    private static double[] read(Stored s) {
        double[] out = new double[s.rows() * s.cols()];
        for (int r = 0; r < s.rows(); r++) {
            for (int c = 0; c < s.cols(); c++) {
                out[r * s.cols() + c] = s.at(r, c);
            }
        }
        return out;
    }

    @Test
    void plans_with_one_k_slice_agree_bit_for_bit_and_the_thread_count_never_matters() {
        // the tile and the packing of A change nothing in the order of a sum: only kc does
        RandomSource rng = RandomSource.seeded(5);
        int m = 70;
        int k = 300;
        int n = 260;
        Stored a = Stored.random(rng, m, k);
        Stored b = Stored.random(rng, k, n);
        List<float[]> byKc = new ArrayList<>();
        List<Integer> kcs = new ArrayList<>();
        try (Parallel two = new Parallel(2)) {
            for (GemmPlan plan : base().plans()) {
                for (Parallel par : List.of(Parallel.SERIAL, two)) {
                    float[] c = new float[m * n];
                    Gemm.packed(
                            plan, par, m, n, k, a.array(), 3, a.ld(), false, b.array(), 3, b.ld(), false, c, 0, n,
                            false);
                    int at = kcs.indexOf(plan.kc());
                    if (at < 0 || plan.bits() == 0) {
                        // the scalar tile sums without fused multiply-adds: it has its own bits
                        if (plan.bits() != 0) {
                            kcs.add(plan.kc());
                            byKc.add(c);
                        }
                    } else {
                        assertArrayEquals(
                                byKc.get(at), c, plan.name() + " against another plan of k slice " + plan.kc());
                    }
                }
            }
        }
    }

    @Test
    void a_backend_option_or_the_system_property_forces_any_plan_by_name() {
        for (GemmPlan plan : base().plans()) {
            try (CpuBackend b = new CpuBackend(FastPaths.OPTIONS.withProperty(GemmPlans.PROPERTY, plan.name()))) {
                assertEquals(plan, b.kernels().gemmF());
                assertTrue(b.toString().contains(plan.name()), b.toString());
                Tensor x = Tensor.of(b, DType.FLOAT32, new double[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3));
                Tensor y = Tensor.of(b, DType.FLOAT32, new double[] {1, 0, 0, 1, 1, 1}, Shape.of(3, 2));
                assertArrayEquals(new double[] {4, 5, 10, 11}, x.matmul(y).toDoubleArray());
            }
        }
        String old = System.getProperty(GemmPlans.PROPERTY);
        try {
            GemmPlan last = base().plans().get(base().plans().size() - 1);
            System.setProperty(GemmPlans.PROPERTY, last.name());
            assertEquals(last, GemmPlans.choose(base()).gemmF());
            System.setProperty(GemmPlans.PROPERTY, "default");
            assertEquals(base().defaultPlan(), GemmPlans.choose(base()).gemmF());
        } finally {
            if (old == null) {
                System.clearProperty(GemmPlans.PROPERTY);
            } else {
                System.setProperty(GemmPlans.PROPERTY, old);
            }
        }
    }

    @Test
    void an_unknown_plan_fails_and_lists_every_plan() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new CpuBackend(FastPaths.OPTIONS.withProperty(GemmPlans.PROPERTY, "9x9")).close());
        for (GemmPlan plan : base().plans()) {
            assertTrue(e.getMessage().contains(plan.name()), e.getMessage());
        }
    }

    @Test
    void without_a_cache_the_default_plan_runs(@TempDir Path dir) throws IOException {
        // surefire sets flows4j.cpu.gemm.cache=none for this module
        assertEquals(
                Kernels.best().isVector() ? base().defaultPlan() : GemmPlan.SCALAR,
                Kernels.best().gemmF());
        assertTrue(Kernels.best().description().contains(Kernels.best().gemmF().name()));
    }

    @Test
    void a_cached_plan_is_read_back_without_probing(@TempDir Path dir) throws IOException {
        Kernels v = base();
        List<GemmPlan> candidates = v.isVector() ? GemmPlans.candidates(v, VectorKernels.preferredBits()) : List.of();
        if (candidates.size() < 2) {
            return; // nothing to choose from: the default runs, as the test above checks
        }
        GemmPlan pick = candidates.get(candidates.size() - 1);
        Path file = dir.resolve("sub").resolve("cpu-gemm.properties");
        Files.createDirectories(file.getParent());
        Properties p = new Properties();
        p.setProperty(GemmPlans.machineKey(v, VectorKernels.preferredBits()), pick.name());
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, null);
        }
        String old = System.getProperty(GemmPlans.CACHE_PROPERTY);
        try {
            System.setProperty(GemmPlans.CACHE_PROPERTY, file.toString());
            Kernels k = GemmPlans.choose(v);
            assertEquals(pick, k.gemmF());
            assertTrue(k.description().contains("cached"), k.description());
        } finally {
            System.setProperty(GemmPlans.CACHE_PROPERTY, old == null ? "none" : old);
        }
    }

    @Test
    void the_probe_ranks_the_fastest_first_and_keeps_the_default_within_two_percent() {
        Kernels v = base();
        List<GemmPlan> plans = v.plans();
        // tiny products: this checks the bookkeeping, not the speed
        int[][] shapes = {{20, 30, 40, 0}, {20, 30, 40, 1}};
        List<GemmPlans.Timing> ranking = GemmPlans.probe(plans, plans.get(0), shapes, 1);
        assertEquals(plans.size(), ranking.size());
        for (int i = 1; i < ranking.size(); i++) {
            GemmPlans.Timing prev = ranking.get(i - 1);
            assertTrue(
                    prev.gflops() >= ranking.get(i).gflops()
                            || (i == 1 && prev.plan().equals(plans.get(0))),
                    ranking.toString());
        }
        assertTrue(ranking.get(0).gflops() > 0);
    }

    @Test
    void the_machine_key_names_the_cpu_the_jvm_and_the_vector_width() {
        String key = GemmPlans.machineKey(base(), 512);
        assertTrue(key.contains(System.getProperty("java.vm.version")), key);
        assertTrue(key.contains("512-bit"), key);
        assertTrue(key.contains(GemmPlans.cpuModel()), key);
    }

    @Test
    void forced_plans_are_used_by_matmul_through_the_backend() {
        // the dispatch (direct or packed, threads) of a backend on a forced plan, on a NICE-like shape
        GemmPlan plan = base().plans().get(base().plans().size() / 2);
        RandomSource rng = RandomSource.seeded(3);
        double[] x = rng.normal(64 * 200);
        double[] w = rng.normal(200 * 150);
        try (Backend b = new CpuBackend(FastPaths.OPTIONS.withProperty(GemmPlans.PROPERTY, plan.name()));
                Backend s = FastPaths.scalar()) {
            double[] got = Tensor.of(b, DType.FLOAT32, x, Shape.of(64, 200))
                    .matmul(Tensor.of(b, DType.FLOAT32, w, Shape.of(200, 150)))
                    .toDoubleArray();
            double[] ref = Tensor.of(s, DType.FLOAT64, x, Shape.of(64, 200))
                    .matmul(Tensor.of(s, DType.FLOAT64, w, Shape.of(200, 150)))
                    .toDoubleArray();
            Allclose.assertAllClose(ref, got, 1e-3, 1e-3, plan.name());
        }
    }
}
