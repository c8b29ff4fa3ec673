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
 * The 1024 float32 GEMM ({@code 2 n^3} FLOP, {@link GemmBenchmark#flops}) on several backends
 * in one JVM, in alternating rounds, so that the ratio of two backends' rates is measured under
 * the same load: the check of the target "the pure-Java GEMM at 85% or more of libtorch's"
 * ({@code --backends cpu,djl}). Only one backend computes at a time; the native backends' thread
 * pools wait passively between their rounds ({@code OMP_WAIT_POLICY=PASSIVE}, as the launcher
 * sets it). Prints each backend's description first (the cpu backend's names its GEMM variant),
 * then every round and the medians, and the median of the per-round ratios to the last backend.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java --add-modules jdk.incubator.vector -cp "$CP" \
 *     org.flows4j.bench.GemmRace --backends cpu,djl --rounds 9 --seconds 2
 * </pre>
 */
public final class GemmRace {

    private GemmRace() {}

    /** Runs the race; {@code --backends a,b,...} (default {@code cpu,djl}), {@code --rounds N}, {@code --seconds S}, {@code --size N}. */
    public static void main(String[] args) {
        List<String> names = List.of("cpu", "djl");
        int rounds = 9;
        double seconds = 2;
        int size = 1024;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--backends" -> names = List.of(value.split(","));
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--seconds" -> seconds = Double.parseDouble(value);
                case "--size" -> size = Integer.parseInt(value);
                default ->
                    throw new IllegalArgumentException(
                            "unknown option " + args[i] + "; expected --backends, --rounds, --seconds, --size");
            }
        }
        List<Backend> backends = new ArrayList<>();
        try {
            List<Runnable> products = new ArrayList<>();
            for (String name : names) {
                Backend backend = Benches.backend(name, 0);
                backends.add(backend);
                System.out.printf(Locale.ROOT, "backend %s: %s%n", name, backend);
                Tensor a = Benches.normal(backend, DType.FLOAT32, 1, Shape.of(size, size), 1);
                Tensor b = Benches.normal(backend, DType.FLOAT32, 2, Shape.of(size, size), 1);
                Runnable product = () -> {
                    try (MemoryScope scope = MemoryScope.open()) {
                        a.matmul(b);
                    }
                };
                products.add(product);
                // warm-up: compilation, native pools, first-use tuning
                rate(seconds, product);
            }
            double flops = 2.0 * size * size * size;
            double[][] rates = new double[names.size()][rounds];
            double[][] ratios = new double[names.size()][rounds];
            StringBuilder head = new StringBuilder("| round |");
            StringBuilder rule = new StringBuilder("|---:|");
            for (String name : names) {
                head.append(' ').append(name).append(" GFLOP/s |");
                rule.append("---:|");
            }
            String last = names.get(names.size() - 1);
            for (String name : names.subList(0, names.size() - 1)) {
                head.append(' ').append(name).append(" / ").append(last).append(" |");
                rule.append("---:|");
            }
            System.out.printf(
                    Locale.ROOT,
                    "%nGEMM %d float32, %d alternating rounds of %.1f s, load %s%n%s%n%s%n",
                    size,
                    rounds,
                    seconds,
                    Benches.loadAverage(),
                    head,
                    rule);
            for (int r = 0; r < rounds; r++) {
                StringBuilder row = new StringBuilder("| " + (r + 1) + " |");
                for (int i = 0; i < names.size(); i++) {
                    rates[i][r] = rate(seconds, products.get(i)) * flops / 1e9;
                    row.append(String.format(Locale.ROOT, " %.1f |", rates[i][r]));
                }
                for (int i = 0; i < names.size() - 1; i++) {
                    ratios[i][r] = rates[i][r] / rates[names.size() - 1][r];
                    row.append(String.format(Locale.ROOT, " %.2f |", ratios[i][r]));
                }
                System.out.println(row);
            }
            StringBuilder row = new StringBuilder("| median |");
            for (int i = 0; i < names.size(); i++) {
                row.append(String.format(Locale.ROOT, " %.1f |", median(rates[i])));
            }
            for (int i = 0; i < names.size() - 1; i++) {
                row.append(String.format(Locale.ROOT, " **%.2f** |", median(ratios[i])));
            }
            System.out.println(row);
            System.out.printf(Locale.ROOT, "load at end %s%n", Benches.loadAverage());
        } finally {
            for (Backend b : backends) {
                b.close();
            }
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Calls per second of {@code body}: a quarter of the time warms up, the rest is timed. */
    static double rate(double seconds, Runnable body) {
        long warm = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warm) {
            body.run();
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 0.75e9);
        int n = 0;
        while (n == 0 || System.nanoTime() < end) {
            body.run();
            n++;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
