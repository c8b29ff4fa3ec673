package org.flows4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.optim.Adam;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.MafFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.NsfFactory;
import org.flows4j.zoo.models.RealNvpFactory;
import org.flows4j.zoo.models.ZooModel;

/**
 * The macro benchmark of the zoo's models on one backend per JVM (two native thread pools on
 * two cores distort each other): training steps per second (forward, backward, Adam) and
 * sampling samples per second, each the median of {@code --rounds} rounds of {@code --seconds}
 * after {@code --warmup} seconds of training (as the PyTorch peer, {@code
 * flow-bench/peers/torch_peer.py}, measures them), for nice:paper (784 dimensions, batch 256), realnvp:2d (batch
 * 512), glow:small (28x28x1, batch 64), maf:tabular (8 features, batch 512), maf:images
 * (28x28x1, batch 64; training and density only: its sampling is 784 passes per MADE) and nsf:2d (batch
 * 512), in float32 on synthetic data of the right kind, and density evaluations per second
 * (one {@code logProb} pass without gradients); MAF's sampling cost against the dimension
 * ({@code maf:tabular} at D = 8, 16, 32, 64: sampling is D sequential passes through each MADE,
 * the density one, so their ratio grows as D);
 * the NICE step's GFLOP/s (its matrix products, {@link NiceStep#flops()}) over the backend's
 * own 1024 float32 GEMM rate, measured in alternating rounds in the same JVM ({@code --rounds},
 * median of the per-round ratios, after {@code --warmup} seconds of training, by default three
 * rounds' worth); peak resident memory (VmHWM); with
 * {@code --memory-steps N}, the growth of resident memory (VmRSS) over N glow:small steps
 * after warm-up; and with {@code --profile}, where each workload's training step spends its
 * time, per primitive ({@link ProfilingBackend}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector \
 *     -cp "flow-bench/target/classes:flow-dist/target/flows4j/lib/*:flow-dist/target/flows4j/classpath/*" \
 *     -Xmx4g org.flows4j.bench.ModelBench --backend djl --seconds 20 --memory-steps 2000
 * </pre>
 */
public final class ModelBench {

    private ModelBench() {}

    /**
     * One model to time; {@code sampled} is false where a batch of samples takes too long to time
     * in rounds ({@code maf:images}: 784 sequential passes through each of its five MADEs).
     */
    private record Workload(
            String name,
            ModelFactory factory,
            String preset,
            Shape shape,
            Dataset.Kind kind,
            int batch,
            boolean sampled) {

        Workload(String name, ModelFactory factory, String preset, Shape shape, Dataset.Kind kind, int batch) {
            this(name, factory, preset, shape, kind, batch, true);
        }
    }

    private static final List<Workload> WORKLOADS = List.of(
            new Workload("nice:paper", new NiceFactory(), "paper", Shape.of(1, 28, 28), Dataset.Kind.IMAGE_8BIT, 256),
            new Workload("realnvp:2d", new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, 512),
            new Workload(
                    "realnvp:small", new RealNvpFactory(), "small", Shape.of(1, 28, 28), Dataset.Kind.IMAGE_8BIT, 64),
            new Workload("glow:small", new GlowFactory(), "small", Shape.of(1, 28, 28), Dataset.Kind.IMAGE_8BIT, 64),
            new Workload("maf:tabular", new MafFactory(), "tabular", Shape.of(8), Dataset.Kind.CONTINUOUS, 512),
            new Workload(
                    "maf:images", new MafFactory(), "images", Shape.of(1, 28, 28), Dataset.Kind.IMAGE_8BIT, 64, false),
            new Workload("nsf:2d", new NsfFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, 512));

    /** The dimensions of MAF's sampling cost: each adds D sequential passes per sample. */
    private static final int[] MAF_DIMENSIONS = {8, 16, 32, 64};

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws IOException {
        String backendName = "cpu";
        double seconds = 10;
        int memorySteps = 0;
        boolean profile = false;
        String only = null;
        int rounds = 5;
        double warmup = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backendName = args[++i];
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--memory-steps" -> memorySteps = Integer.parseInt(args[++i]);
                case "--profile" -> profile = true;
                case "--model" -> only = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                default ->
                    throw new IllegalArgumentException(
                            "unknown argument " + args[i] + "; usage: ModelBench"
                                    + " [--backend NAME] [--seconds S] [--rounds N] [--warmup S] [--memory-steps N] [--profile] [--model NAME]");
            }
        }
        try (Backend backend = Benches.backend(backendName, 0)) {
            System.out.printf(
                    "backend %s, threads %d (%s)%n",
                    backend.name(), backend.options().threads(), backend);
            StringBuilder table = new StringBuilder("""
                    | model | batch | train steps/s | density evals/s | samples/s |
                    |---|---:|---:|---:|---:|
                    """);
            for (Workload w : WORKLOADS) {
                if (only != null && !w.name().equals(only)) {
                    continue;
                }
                ZooModel model = build(w, backend);
                double warm = warmup >= 0 ? warmup : 3 * seconds;
                double steps = w.name().startsWith("nice")
                        ? niceAgainstGemm(model, w, backend, seconds, rounds, warm)
                        : trainRate(model, w, seconds, rounds, warm);
                double densities = densityRate(model, w, seconds);
                String samples = "-";
                if (w.sampled()) {
                    double[] sampleRounds = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        sampleRounds[r] = sampleRate(model, w, seconds);
                    }
                    samples = String.format("%.1f", median(sampleRounds));
                }
                table.append(String.format(
                        "| %s | %d | %.2f | %.1f | %s |%n", w.name(), w.batch(), steps, densities, samples));
            }
            System.out.print(table);
            if (only == null || only.equals("maf:tabular")) {
                mafAgainstDimension(backend, seconds);
            }
            System.out.printf("peak resident memory (VmHWM): %.0f MiB%n", memoryKiB("VmHWM") / 1024);
            if (profile) {
                for (Workload w : WORKLOADS) {
                    if (only != null && !w.name().equals(only)) {
                        continue;
                    }
                    profile(w, backend, seconds);
                }
            }
            if (memorySteps > 0) {
                memoryGrowth(backend, memorySteps);
            }
        }
    }

    private static ZooModel build(Workload w, Backend backend) {
        ZooModel model = w.factory()
                .build(new ModelRequest(
                        w.preset(),
                        w.shape(),
                        w.kind(),
                        BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)),
                        Map.of()));
        try (MemoryScope scope = MemoryScope.open()) {
            model.flow().initialize(batch(w, backend, 0));
        }
        return model;
    }

    /** Synthetic data of the workload's kind: dequantized pixels or Gaussian points. */
    private static Tensor batch(Workload w, Backend backend, long seed) {
        RandomSource r = RandomSource.seeded(seed);
        Shape shape = Events.batchShape(w.batch(), w.shape());
        return w.kind() == Dataset.Kind.IMAGE_8BIT
                ? r.uniform(backend, DType.FLOAT32, shape, 0, 256)
                : r.normal(backend, DType.FLOAT32, shape, 0, 1);
    }

    /**
     * The NICE step's GFLOP/s against the backend's 1024 float32 GEMM, measured in
     * {@code rounds} alternating rounds (a GEMM round of half the time, then a training round),
     * so that both see the same load on a shared machine, after {@code warmup} seconds of
     * training (the native backends' Java layers take tens of steps to be compiled); prints each
     * round and the medians, and returns the median training steps per second.
     */
    private static double niceAgainstGemm(
            ZooModel model, Workload w, Backend backend, double seconds, int rounds, double warmup) {
        Tensor a = Benches.normal(backend, DType.FLOAT32, 1, Shape.of(1024, 1024), 1);
        Tensor b = Benches.normal(backend, DType.FLOAT32, 2, Shape.of(1024, 1024), 1);
        Runnable gemm = () -> {
            try (MemoryScope scope = MemoryScope.open()) {
                a.matmul(b); // every backend computes eagerly; reading 4 MB back would skew the rate
            }
        };
        Runnable step = trainingStep(model, w);
        double gemmFlops = 2.0 * 1024 * 1024 * 1024;
        long warm = System.nanoTime() + (long) (warmup * 1e9);
        while (System.nanoTime() < warm) {
            step.run();
        }
        double[] gemmRates = new double[rounds];
        double[] niceRates = new double[rounds];
        double[] stepRates = new double[rounds];
        double[] ratios = new double[rounds];
        System.out.printf(
                "%n%s training step (%.2f GFLOP of matrix products) against GEMM 1024 float32, %d"
                        + " alternating rounds after %.0f s of training:%n| round | GEMM GFLOP/s | NICE steps/s | NICE GFLOP/s"
                        + " | NICE / GEMM |%n|---:|---:|---:|---:|---:|%n",
                w.name(), NiceStep.flops() / 1e9, rounds, warmup);
        for (int r = 0; r < rounds; r++) {
            gemmRates[r] = rate(seconds / 2, gemm) * gemmFlops / 1e9;
            stepRates[r] = rate(seconds, step);
            niceRates[r] = stepRates[r] * NiceStep.flops() / 1e9;
            ratios[r] = niceRates[r] / gemmRates[r];
            System.out.printf(
                    "| %d | %.1f | %.2f | %.1f | %.2f |%n", r + 1, gemmRates[r], stepRates[r], niceRates[r], ratios[r]);
        }
        System.out.printf(
                "| median | %.1f | %.2f | %.1f | **%.2f** |%n%n",
                median(gemmRates), median(stepRates), median(niceRates), median(ratios));
        return median(stepRates);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * The median of {@code rounds} rounds of training steps per second, after {@code warmup}
     * seconds of training: the JIT compiles a model's kernels during its first steps (seconds of
     * a slow machine's time for glow:small), which one round after a one-second warm-up counted.
     */
    private static double trainRate(ZooModel model, Workload w, double seconds, int rounds, double warmup) {
        Runnable step = trainingStep(model, w);
        long end = System.nanoTime() + (long) (warmup * 1e9);
        while (System.nanoTime() < end) {
            step.run();
        }
        double[] rates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            rates[r] = rate(seconds, step);
        }
        return median(rates);
    }

    /**
     * One training step of {@code model} per call (forward, backward, Adam at 1e-4) on a fixed
     * synthetic batch of {@code w}'s kind, made on the model's own backend.
     */
    private static Runnable trainingStep(ZooModel model, Workload w) {
        Adam adam = Adam.builder().learningRate(1e-4).create(model.flow().parameters());
        Tensor x = batch(w, model.backend(), 7).unscoped();
        return () -> {
            try (MemoryScope scope = MemoryScope.open()) {
                adam.minimize(model.flow().logProb(x).mean().neg());
            }
        };
    }

    /**
     * Trains {@code w} on a {@link ProfilingBackend} over {@code backend} and prints where a
     * step's time goes, per primitive: a quarter of the time warms up, the rest is counted.
     */
    private static void profile(Workload w, Backend backend, double seconds) {
        ProfilingBackend profiler = new ProfilingBackend(backend);
        ZooModel model = build(w, profiler);
        Runnable step = trainingStep(model, w);
        long warm = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warm) {
            step.run();
        }
        profiler.reset();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = threads.getCurrentThreadAllocatedBytes();
        long gcBefore = gcMillis();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 0.75e9);
        int n = 0;
        while (n == 0 || System.nanoTime() < end) {
            step.run();
            n++;
        }
        long wall = System.nanoTime() - start;
        double mib = (threads.getCurrentThreadAllocatedBytes() - allocated) / 1048576.0 / n;
        System.out.printf(
                "%n%s training step on %s, %d steps profiled, %.2f ms/step; Java heap allocated by the"
                        + " training thread %.1f MiB/step; collector time %.1f ms/step:%n",
                w.name(), backend.name(), n, wall / 1e6 / n, mib, (double) (gcMillis() - gcBefore) / n);
        System.out.print(profiler.report(n, wall));
        if (!w.sampled()) {
            return;
        }
        // the inverse pass: sampling a batch (issue 12, target 5), after a quarter of the time warms it up
        RandomSource r = RandomSource.seeded(3);
        Runnable draw = () -> {
            try (MemoryScope scope = MemoryScope.open();
                    Autodiff.NoGrad off = Autodiff.noGrad()) {
                model.flow().sample(w.batch(), r).toFloatArray();
            }
        };
        long warmSampling = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warmSampling) {
            draw.run();
        }
        profiler.reset();
        long sampleStart = System.nanoTime();
        long sampleEnd = sampleStart + (long) (seconds * 0.75e9);
        int batches = 0;
        while (batches == 0 || System.nanoTime() < sampleEnd) {
            draw.run();
            batches++;
        }
        long sampleWall = System.nanoTime() - sampleStart;
        System.out.printf(
                "%n%s sampling (inverse pass) on %s, %d batches of %d profiled, %.2f ms/batch:%n",
                w.name(), backend.name(), batches, w.batch(), sampleWall / 1e6 / batches);
        System.out.print(profiler.report(batches, sampleWall));
    }

    /** The accumulated time of every garbage collector, in milliseconds. */
    private static long gcMillis() {
        long sum = 0;
        for (java.lang.management.GarbageCollectorMXBean gc :
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    /** Density evaluations per second: {@code logProb} of a fixed batch, without gradients. */
    private static double densityRate(ZooModel model, Workload w, double seconds) {
        Tensor x = batch(w, model.backend(), 11).unscoped();
        return w.batch()
                * rate(seconds, () -> {
                    try (MemoryScope scope = MemoryScope.open();
                            Autodiff.NoGrad off = Autodiff.noGrad()) {
                        model.flow().logProb(x).toFloatArray();
                    }
                });
    }

    /**
     * MAF's sampling cost against the dimension D: {@code maf:tabular} (whose MADEs widen with D,
     * {@code min(512, max(64, 8 D))}) at each of {@link #MAF_DIMENSIONS}, density evaluations and
     * samples per second over batches of 512, and their ratio, which the D sequential passes of
     * sampling make grow about as D.
     */
    private static void mafAgainstDimension(Backend backend, double seconds) {
        System.out.printf("%nmaf:tabular sampling against the dimension D (batch 512; the density is one pass per MADE,"
                + " sampling D passes):%n| D | MADE width | density evals/s | samples/s | density / samples |%n"
                + "|---:|---:|---:|---:|---:|%n");
        for (int d : MAF_DIMENSIONS) {
            Workload w =
                    new Workload("maf:tabular", new MafFactory(), "tabular", Shape.of(d), Dataset.Kind.CONTINUOUS, 512);
            ZooModel model = build(w, backend);
            double densities = densityRate(model, w, seconds / 2);
            double samples = sampleRate(model, w, seconds / 2);
            System.out.printf(
                    "| %d | %d | %.1f | %.1f | %.1f |%n",
                    d, Math.min(512, Math.max(64, 8 * d)), densities, samples, densities / samples);
        }
    }

    private static double sampleRate(ZooModel model, Workload w, double seconds) {
        RandomSource r = RandomSource.seeded(3);
        return w.batch()
                * rate(seconds, () -> {
                    try (MemoryScope scope = MemoryScope.open();
                            Autodiff.NoGrad off = Autodiff.noGrad()) {
                        model.flow().sample(w.batch(), r).toFloatArray();
                    }
                });
    }

    /** Calls per second of {@code body}: a quarter of the time warms up, the rest is timed. */
    private static double rate(double seconds, Runnable body) {
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

    private static void memoryGrowth(Backend backend, int steps) throws IOException {
        Workload glow = WORKLOADS.get(2);
        ZooModel model = build(glow, backend);
        Runnable step = trainingStep(model, glow);
        int warmUp = Math.max(50, steps / 10);
        for (int i = 0; i < warmUp; i++) {
            step.run();
        }
        System.out.printf(
                "%nglow:small resident memory over %d training steps after %d of warm-up (VmRSS and the Java"
                        + " heap after System.gc()):%n| step | VmRSS MiB | heap used MiB | heap committed MiB |%n"
                        + "|---:|---:|---:|---:|%n",
                steps, warmUp);
        double before = memoryRow(0);
        double after = before;
        long start = System.nanoTime();
        for (int i = 1; i <= steps; i++) {
            step.run();
            if (i % Math.max(1, steps / 8) == 0 || i == steps) {
                after = memoryRow(i);
            }
        }
        System.out.printf(
                "glow:small, %d steps after warm-up (%.2f steps/s): resident memory %.0f -> %.0f MiB (%+.1f%%)%n",
                steps,
                steps / ((System.nanoTime() - start) / 1e9),
                before / 1024,
                after / 1024,
                100 * (after - before) / before);
    }

    /**
     * Collects garbage twice, half a second apart, so that the objects a library frees from
     * reference queues after the first collection (ND4J's and JavaCPP's deallocators) are gone
     * by the second; prints one row of the memory table and returns VmRSS in KiB.
     */
    private static double memoryRow(int step) throws IOException {
        System.gc();
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.gc();
        Runtime rt = Runtime.getRuntime();
        double rss = memoryKiB("VmRSS");
        System.out.printf(
                "| %d | %.0f | %.0f | %.0f |%n",
                step, rss / 1024, (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.totalMemory() / 1048576.0);
        return rss;
    }

    /** A line of /proc/self/status in KiB (Linux), or NaN elsewhere. */
    private static double memoryKiB(String key) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return Double.NaN;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(key + ":")) {
                return Double.parseDouble(line.replaceAll("[^0-9]", ""));
            }
        }
        return Double.NaN;
    }
}
