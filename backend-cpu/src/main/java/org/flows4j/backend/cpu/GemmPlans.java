package org.flows4j.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import org.flows4j.api.backend.BackendOptions;

/**
 * Which float32 GEMM plan ({@link GemmPlan}: micro-kernel tile, vector width, blocking, A packed
 * or not) a machine runs, chosen as BLIS and OpenBLAS choose kernels per CPU, but by measuring:
 *
 * <ol>
 *   <li>forced: the backend option or system property {@value #PROPERTY} names a plan
 *       ({@code 512-8x3-k128-pa}, ...; {@code default} for the built-in default of the vector
 *       width, {@code auto}, the default, for what follows). An unknown name fails and lists
 *       every plan;</li>
 *   <li>cached: the plan recorded for this machine in the cache file, a properties file keyed
 *       by the CPU model (with family, model and stepping), the JVM, the preferred vector width
 *       and the catalog of plans ({@value #CACHE_PROPERTY} names the file, or {@code none};
 *       by default {@code $XDG_CACHE_HOME/flows4j/cpu-gemm.properties}, else
 *       {@code ~/.cache/flows4j/cpu-gemm.properties});</li>
 *   <li>probed: when the key is not in the file, a probe of a few seconds (5 to 8 on the
 *       AVX-512 machines of {@code docs/BENCHMARKS.md}, 7 to 9 on its Zen 3) on the first
 *       backend created times every plan of
 *       the JVM's preferred vector width, on one thread, on the shapes
 *       that matter (a share of the 1024 square product, and the three products of a NICE
 *       layer at batch 256), keeps the fastest (the default unless another is more than 2%
 *       faster) and writes it to the file, under a file lock so that concurrent JVMs agree;</li>
 *   <li>default: when the file cannot be written (a read-only home, {@code none}), the
 *       built-in default of the vector width, so the choice stays deterministic.</li>
 * </ol>
 *
 * <p>Why it must be stable: plans with different k slices sum float32 products in different
 * orders, so they differ by rounding; a resumed training run is bit-exact only if the machine
 * runs the same plan as before. The cache makes the probed choice permanent for a machine and
 * JVM; delete the file (or its line) to probe again.
 */
final class GemmPlans {

    /** The system property, also read as a backend option, that forces a float32 GEMM plan by name. */
    static final String PROPERTY = "flows4j.cpu.gemm";
    /** The system property naming the cache file, or {@code none} for no cache (the default plan). */
    static final String CACHE_PROPERTY = "flows4j.cpu.gemm.cache";

    /**
     * The revision of the generated tiles' code, part of the catalog in {@link #machineKey}: raised
     * when a change to {@code float_tiles.py} changes the tiles' relative speeds (never their
     * bits), so that every machine probes again instead of keeping a ranking of the old code.
     * Revision 2: loops over a packed panel of A with the range checks hoisted.
     */
    static final String TILE_REVISION = "tiles-2";

    private static final System.Logger LOG = System.getLogger("org.flows4j.backend.cpu");

    private GemmPlans() {}

    /** {@code kernels} with the plan of the system property, the cache or the probe (see the class comment). */
    static Kernels choose(Kernels kernels) {
        String name = System.getProperty(PROPERTY, "auto").trim();
        if (!name.equals("auto")) {
            return forced(kernels, name, "system property " + PROPERTY);
        }
        return tuned(kernels);
    }

    /**
     * The kernels a backend with {@code options} runs: {@link Kernels#best()} unless the option
     * {@value #PROPERTY} forces a plan, or {@value Kernels#SCALAR_PROPERTY} the scalar kernels;
     * the option {@value Kernels#CONV_REGISTERS_PROPERTY}, when given, sizes the convolutions'
     * register blocks.
     */
    static Kernels forBackend(BackendOptions options) {
        if ("true".equalsIgnoreCase(options.property(Kernels.SCALAR_PROPERTY, "false"))) {
            return Kernels.SCALAR;
        }
        String name = options.property(PROPERTY, "auto").trim();
        Kernels kernels;
        if (name.equals("auto")) {
            kernels = Kernels.best();
        } else {
            Kernels base = Kernels.best().isVector()
                    ? Kernels.best()
                    : Kernels.vector().orElse(Kernels.SCALAR);
            kernels = forced(base, name, "backend option " + PROPERTY);
        }
        String registers = options.property(Kernels.CONV_REGISTERS_PROPERTY, "");
        return registers.isBlank()
                ? kernels
                : kernels.withConvRegisters(registers, "backend option " + Kernels.CONV_REGISTERS_PROPERTY);
    }

    private static Kernels forced(Kernels kernels, String name, String why) {
        if (name.equals("default")) {
            return kernels.withGemm(kernels.defaultPlan(), "default, " + why);
        }
        if (name.equals(GemmPlan.SCALAR.name()) && !kernels.isVector()) {
            return kernels;
        }
        return kernels.withGemm(byName(kernels, name), "forced by " + why);
    }

    /** The plan named {@code name} among {@code kernels.plans()}; an unknown name lists them all. */
    static GemmPlan byName(Kernels kernels, String name) {
        List<String> names = new ArrayList<>();
        for (GemmPlan p : kernels.plans()) {
            if (p.name().equals(name)) {
                return p;
            }
            names.add(p.name());
        }
        throw new IllegalArgumentException("unknown float32 GEMM plan '" + name + "' for " + PROPERTY + "; "
                + (kernels.isVector() ? "" : "without the Vector API (--add-modules jdk.incubator.vector) ")
                + "this JVM has: auto, default, " + String.join(", ", names));
    }

    /**
     * The plans a probe times: every vector plan of the preferred width. Narrower plans run
     * correctly (and can be forced), but not at their speed beside the backend's other kernels:
     * C2 compiles a vector store by the type profile of {@code FloatVector.intoArray}, which
     * every kernel shares, and with vectors of two widths through it, it boxes them instead.
     */
    static List<GemmPlan> candidates(Kernels kernels, int preferredBits) {
        List<GemmPlan> out = new ArrayList<>();
        for (GemmPlan p : kernels.plans()) {
            if (p.bits() == preferredBits) {
                out.add(p);
            }
        }
        return out;
    }

    private static Kernels tuned(Kernels kernels) {
        int bits = VectorWidth.preferredBits(kernels);
        List<GemmPlan> candidates = candidates(kernels, bits);
        if (candidates.size() < 2) {
            return kernels.withGemm(kernels.defaultPlan(), "default, nothing to choose from");
        }
        String key = machineKey(kernels, bits);
        String where = System.getProperty(CACHE_PROPERTY, "").trim();
        Path file = where.isEmpty() ? defaultCacheFile() : where.equals("none") ? null : Path.of(where);
        if (file == null) {
            return kernels.withGemm(kernels.defaultPlan(), "default, no cache (" + CACHE_PROPERTY + "=none)");
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = ch.lock()) {
                Properties cache = new Properties();
                if (Files.isReadable(file)) {
                    try (InputStream in = Files.newInputStream(file)) {
                        cache.load(in);
                    }
                }
                String cached = cache.getProperty(key);
                if (cached != null) {
                    for (GemmPlan p : candidates) {
                        if (p.name().equals(cached)) {
                            return kernels.withGemm(p, "cached in " + file);
                        }
                    }
                }
                LOG.log(
                        Level.INFO,
                        "cpu backend: timing " + candidates.size() + " float32 GEMM plans once for " + key
                                + " (cached in " + file + ")");
                List<Timing> ranking = probe(kernels, candidates, kernels.defaultPlan());
                GemmPlan best = ranking.get(0).plan();
                cache.setProperty(key, best.name());
                StringBuilder r = new StringBuilder();
                for (Timing t : ranking) {
                    r.append(String.format(Locale.ROOT, "%s %.1f, ", t.plan().name(), t.gflops()));
                }
                cache.setProperty(key + ".gflops", r.substring(0, r.length() - 2));
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    cache.store(
                            out,
                            "flows4j cpu backend: float32 GEMM plan per machine (GemmPlans); delete to probe"
                                    + " again");
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                LOG.log(
                        Level.INFO,
                        "cpu backend: float32 GEMM plan " + best.name() + " (single-thread GFLOP/s: "
                                + cache.getProperty(key + ".gflops") + ")");
                return kernels.withGemm(best, "probed, cached in " + file);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "cpu backend: no GEMM plan cache at " + file + " (" + e + "); the default plan");
            return kernels.withGemm(kernels.defaultPlan(), "default, cache " + file + " not usable: " + e.getMessage());
        }
    }

    /** {@code $XDG_CACHE_HOME/flows4j/cpu-gemm.properties}, else {@code ~/.cache/flows4j/cpu-gemm.properties}. */
    static Path defaultCacheFile() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("flows4j").resolve("cpu-gemm.properties");
    }

    /**
     * What makes the plan valid: the CPU (model name, family, model and stepping from
     * {@code /proc/cpuinfo} where there is one, else the architecture and processor count), the
     * JVM (vendor, name and version: C2's code generation decides the speed), the preferred vector
     * width, and the catalog of plans with the tiles' revision (a new catalog, or tiles whose
     * speeds changed, probe again).
     */
    static String machineKey(Kernels kernels, int bits) {
        StringBuilder plans = new StringBuilder(TILE_REVISION).append(':');
        for (GemmPlan p : kernels.plans()) {
            plans.append(p.name()).append(',');
        }
        return cpuModel() + " | " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name")
                + " " + System.getProperty("java.vm.version") + " | " + bits + "-bit | catalog "
                + Integer.toHexString(plans.toString().hashCode());
    }

    /** The CPU model from /proc/cpuinfo ({@code model name, family/model/stepping}), else {@code os.arch}. */
    static String cpuModel() {
        Path info = Path.of("/proc/cpuinfo");
        String name = null;
        String family = "?";
        String model = "?";
        String stepping = "?";
        if (Files.isReadable(info)) {
            try {
                for (String line : Files.readAllLines(info)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        if (name != null) {
                            break; // the first processor is enough
                        }
                        continue;
                    }
                    String k = line.substring(0, colon).trim();
                    String v = line.substring(colon + 1).trim();
                    switch (k) {
                        case "model name" -> name = v;
                        case "cpu family" -> family = v;
                        case "model" -> model = v;
                        case "stepping" -> stepping = v;
                        default -> {}
                    }
                }
            } catch (IOException | RuntimeException e) {
                name = null;
            }
        }
        if (name == null) {
            return System.getProperty("os.arch") + " x" + Runtime.getRuntime().availableProcessors();
        }
        return name + " (family " + family + ", model " + model + ", stepping " + stepping + ")";
    }

    /** A plan's rate on the probe's products. */
    record Timing(GemmPlan plan, double gflops) {}

    /**
     * Times every candidate on one thread and returns them fastest first; {@code preferred} (the
     * default) ranks first unless another is more than 2% faster, so that noise does not move a
     * machine off a plan that is as good. The products, each a thread's share of the real one
     * on two threads: {@code 512 x 1024} by {@code 1024 x 512} (a quarter of the 1024 square product), and for a
     * NICE layer at batch 256, {@code 256 x 1000 by 1000 x 512} (forward), the same with B
     * transposed (input gradient) and {@code (256 x 1000)^T by 256 x 512} (weight gradient).
     * Each candidate warms up until compiled, then the candidates take turns for three rounds
     * and each keeps its best time.
     */
    static List<Timing> probe(Kernels kernels, List<GemmPlan> candidates, GemmPlan preferred) {
        return probe(candidates, preferred, PROBE_SHAPES, 3);
    }

    /** {m, n, k, 0 | 1 (A transposed) | 2 (B transposed)}: see {@link #probe(Kernels, List, GemmPlan)}. */
    static final int[][] PROBE_SHAPES = {
        {512, 512, 1024, 0}, {256, 512, 1000, 0}, {256, 512, 1000, 2}, {1000, 512, 256, 1}
    };

    /**
     * As {@link #probe(Kernels, List, GemmPlan)} on the given products and rounds. A candidate
     * warms up until compiled: at least three passes, and more while the JIT compiler is still
     * at work or a pass is more than 10% faster than the best before it (on a loaded machine
     * C2 may take seconds to deliver the vector code, and code it has not compiled yet runs tens
     * of times slower), for at most about three seconds.
     */
    static List<Timing> probe(List<GemmPlan> candidates, GemmPlan preferred, int[][] shapes, int rounds) {
        int size = 1;
        double flops = 0;
        for (int[] s : shapes) {
            size = Math.max(size, Math.max(s[0] * s[2], Math.max(s[2] * s[1], s[0] * s[1])));
            flops += 2.0 * s[0] * s[1] * s[2];
        }
        SplittableRandom rng = new SplittableRandom(42);
        float[] a = new float[size];
        float[] b = new float[size];
        float[] c = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rng.nextDouble() - 0.5);
            b[i] = (float) (rng.nextDouble() - 0.5);
        }
        long[] best = new long[candidates.size()];
        for (int i = 0; i < candidates.size(); i++) {
            long min = Long.MAX_VALUE;
            int calm = 0;
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (calm < 2 && System.nanoTime() < deadline) {
                long compiled = Jit.millis();
                long t = runSet(candidates.get(i), shapes, a, b, c);
                boolean compiling = Jit.millis() != compiled;
                calm = compiling || t < 0.9 * min ? 0 : calm + 1;
                min = Math.min(min, t);
            }
            best[i] = min;
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < candidates.size(); i++) {
                best[i] = Math.min(best[i], runSet(candidates.get(i), shapes, a, b, c));
            }
        }
        List<Timing> out = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            out.add(new Timing(candidates.get(i), flops / best[i]));
        }
        out.sort(Comparator.comparingDouble(Timing::gflops).reversed());
        for (Timing t : out) {
            if (t.plan().equals(preferred) && t.gflops() * 1.02 >= out.get(0).gflops()) {
                out.remove(t);
                out.add(0, t);
                break;
            }
        }
        return out;
    }

    /** Nanoseconds for one pass over the probe's products. */
    private static long runSet(GemmPlan plan, int[][] shapes, float[] a, float[] b, float[] c) {
        long start = System.nanoTime();
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            boolean ta = s[3] == 1;
            boolean tb = s[3] == 2;
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            Gemm.packed(plan, Parallel.SERIAL, m, n, k, a, 0, lda, ta, b, 0, ldb, tb, c, 0, n, false);
        }
        return System.nanoTime() - start;
    }

    /**
     * The JIT compiler's total time in milliseconds, or 0 when {@code java.management} is not in
     * the module graph (the backend {@code requires static} it) or the JVM does not count it.
     */
    private static final class Jit {
        private static final boolean PRESENT = present();

        private static boolean present() {
            try {
                java.lang.management.CompilationMXBean b =
                        java.lang.management.ManagementFactory.getCompilationMXBean();
                return b != null && b.isCompilationTimeMonitoringSupported();
            } catch (LinkageError | RuntimeException e) {
                return false;
            }
        }

        static long millis() {
            return PRESENT
                    ? java.lang.management.ManagementFactory.getCompilationMXBean()
                            .getTotalCompilationTime()
                    : 0;
        }
    }

    /** The preferred vector width, asked of the vector kernels only (this class names no vector type). */
    private static final class VectorWidth {
        static int preferredBits(Kernels kernels) {
            return kernels.isVector() ? VectorKernels.preferredBits() : 0;
        }
    }
}
