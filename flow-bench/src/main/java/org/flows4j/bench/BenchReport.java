package org.flows4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;

/**
 * Measures the 1024 float32 GEMM ({@link GemmBenchmark}'s FLOP count) and the NICE-shaped
 * training step ({@link NiceStep#flops()}) in one JVM on one backend, and prints GFLOP/s for
 * each and the ratio step / GEMM: the target of the benchmark is a ratio measured under the
 * same conditions. The two workloads alternate round by round, so that load from other
 * processes on a shared machine falls on both alike; the report gives the median over the
 * rounds (and the best).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp flow-bench/target/benchmarks.jar \
 *       org.flows4j.bench.BenchReport [--backend cpu] [--threads N] [--rounds 7] [--seconds 2] [--warmup 10]
 * </pre>
 */
public final class BenchReport {

    private BenchReport() {}

    /** A workload: one operation of a known FLOP count. */
    private interface Workload {
        String name();

        double flops();

        void run();
    }

    /** Runs the report; see the class comment for the options. */
    public static void main(String[] args) {
        String backendName = "cpu";
        int threads = 0;
        int rounds = 7;
        double seconds = 2;
        double warmup = 10;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--backend" -> backendName = value;
                case "--threads" -> threads = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--seconds" -> seconds = Double.parseDouble(value);
                case "--warmup" -> warmup = Double.parseDouble(value);
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + "; expected --backend, --threads, --rounds, --seconds, --warmup");
            }
        }
        String startLoad = loadAverage();
        try (Backend backend = Benches.backend(backendName, threads)) {
            System.out.printf(
                    Locale.ROOT,
                    "backend  %s%njvm      %s %s, flags %s%nmachine  %d processors%n%n",
                    backend,
                    System.getProperty("java.vm.name"),
                    System.getProperty("java.vm.version"),
                    java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments(),
                    Runtime.getRuntime().availableProcessors());
            Tensor a = Benches.normal(backend, DType.FLOAT32, 1, Shape.of(1024, 1024), 1);
            Tensor b = Benches.normal(backend, DType.FLOAT32, 2, Shape.of(1024, 1024), 1);
            NiceStep nice = new NiceStep(backend, DType.FLOAT32, 7);
            List<Workload> workloads = List.of(
                    workload("gemm 1024 float32", GemmBenchmark.flops(1024), () -> {
                        // the scope frees the product, as a training step frees its intermediates
                        MemoryScope s = MemoryScope.open();
                        try {
                            a.matmul(b);
                        } finally {
                            s.close();
                        }
                    }),
                    workload("nice step float32", NiceStep.flops(), nice::step));
            for (Workload w : workloads) {
                timeFor(w, warmup / workloads.size());
            }
            double[][] gflops = new double[workloads.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < workloads.size(); k++) {
                    gflops[k][r] = timeFor(workloads.get(k), seconds);
                }
            }
            System.out.printf(Locale.ROOT, "%-20s %12s %12s%n", "workload", "GFLOP/s", "best");
            for (int k = 0; k < workloads.size(); k++) {
                System.out.printf(
                        Locale.ROOT,
                        "%-20s %12.1f %12.1f%n",
                        workloads.get(k).name(),
                        median(gflops[k]),
                        Arrays.stream(gflops[k]).max().orElse(0));
            }
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = gflops[1][r] / gflops[0][r];
            }
            System.out.printf(
                    Locale.ROOT,
                    "%nnice step / gemm: %.2f (median of %d rounds; ratio of medians %.2f)%n",
                    median(ratios),
                    rounds,
                    median(gflops[1]) / median(gflops[0]));
            System.out.printf(Locale.ROOT, "load average at start %s, at end %s%n", startLoad, loadAverage());
        }
    }

    private static Workload workload(String name, double flops, Runnable body) {
        return new Workload() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double flops() {
                return flops;
            }

            @Override
            public void run() {
                body.run();
            }
        };
    }

    /** Runs {@code w} for about {@code seconds} (at least twice) and returns its GFLOP/s. */
    private static double timeFor(Workload w, double seconds) {
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        int n = 0;
        long now;
        do {
            w.run();
            n++;
            now = System.nanoTime();
        } while (now < deadline || n < 2);
        return n * w.flops() / (now - start);
    }

    /** The 1-minute load average: other processes on a shared machine slow both workloads. */
    private static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage();
        return load < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", load);
    }

    private static double median(double[] values) {
        List<Double> v = new ArrayList<>();
        for (double d : values) {
            v.add(d);
        }
        v.sort(null);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }
}
