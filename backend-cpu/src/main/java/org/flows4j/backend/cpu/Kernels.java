package org.flows4j.backend.cpu;

import java.lang.System.Logger.Level;
import java.util.Optional;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;

/**
 * The innermost loops of the backend, on ranges of heap arrays: the register-tiled GEMM
 * micro-kernels, elementwise operations, comparisons, selection and the Adam update.
 *
 * <p>This class is the plain scalar implementation and the reference for every fast path.
 * {@link VectorKernels} overrides the loops with the Vector API ({@code jdk.incubator.vector});
 * it is the only class that names that module, and it is loaded only after {@link #best()} has
 * found the module in the running JVM, so the backend runs everywhere and is fast where the
 * JVM was started with {@code --add-modules jdk.incubator.vector}. Setting the system property
 * (or backend option) {@value #SCALAR_PROPERTY} to {@code true} forces this scalar class.
 *
 * <p>The float32 GEMM runs the plan (micro-kernel tile and blocking) these kernels carry,
 * {@link #gemmF()}: chosen per machine by {@link GemmPlans}, or forced by name.
 *
 * <p>Both implementations compute every elementwise result with the same IEEE operations in
 * the same order, so they agree bit for bit; the GEMM kernels differ only in rounding (the
 * vector kernel uses fused multiply-adds).
 */
class Kernels {

    /** The system property, also read as a backend option, that forces the scalar kernels when {@code true}. */
    static final String SCALAR_PROPERTY = "flows4j.cpu.scalar";

    /**
     * The system property, also read as a backend option, that sizes the register blocks of the
     * wide direct convolutions for {@code 16} or {@code 32} vector registers; {@code auto}, the
     * default, takes 32 where the JVM prefers 512-bit vectors (AVX-512) and 16 otherwise (AVX2).
     * Both give the same bits: each sum is the same chain of fused multiply-adds.
     */
    static final String CONV_REGISTERS_PROPERTY = "flows4j.cpu.conv.registers";

    /** The one scalar instance. */
    static final Kernels SCALAR = new Kernels();

    private static final System.Logger LOG = System.getLogger("org.flows4j.backend.cpu");

    /** Register tile of the scalar micro-kernel: {@code MR x NR} accumulators in locals. */
    private static final int MR = 4;

    private static final int NR = 4;

    /** The float32 GEMM plan these kernels run. */
    private final GemmPlan gemmF;
    /** How {@link #gemmF} was chosen, for {@link #description()}. */
    private final String gemmReason;

    Kernels() {
        this(GemmPlan.SCALAR, "the scalar plan");
    }

    Kernels(GemmPlan gemmF, String gemmReason) {
        this.gemmF = gemmF;
        this.gemmReason = gemmReason;
    }

    /** The float32 GEMM plan: micro-kernel and blocking ({@link GemmPlans}). */
    final GemmPlan gemmF() {
        return gemmF;
    }

    /** How the float32 GEMM plan was chosen: forced, probed, cached or the default. */
    final String gemmReason() {
        return gemmReason;
    }

    /** These kernels with another float32 GEMM plan, one of {@link #plans()}. */
    Kernels withGemm(GemmPlan plan, String reason) {
        if (plan.bits() != 0) {
            throw new IllegalArgumentException("GEMM plan " + plan.name() + " needs the Vector API");
        }
        return new Kernels(plan, reason);
    }

    /** The vector registers the wide direct convolutions' blocks are sized for: none (0) in the scalar kernels. */
    int convRegisters() {
        return 0;
    }

    /**
     * These kernels with the wide direct convolutions' register blocks sized for
     * {@code registers}, 16 or 32; the scalar kernels have no such blocks and stay as they are.
     */
    Kernels withConvRegisters(int registers) {
        checkedRegisters(registers);
        return this;
    }

    /** What {@code auto} means for {@link #CONV_REGISTERS_PROPERTY} on these kernels: none (0) for the scalar ones. */
    int autoConvRegisters() {
        return 0;
    }

    /**
     * These kernels with the register blocks {@code value} of {@link #CONV_REGISTERS_PROPERTY}
     * names, {@code why} saying where it was set; a value other than {@code auto}, 16 or 32 fails.
     */
    final Kernels withConvRegisters(String value, String why) {
        String v = value.trim();
        if (v.equals("auto")) {
            int auto = autoConvRegisters();
            return auto == 0 ? this : withConvRegisters(auto);
        }
        if (v.equals("16") || v.equals("32")) {
            return withConvRegisters(Integer.parseInt(v));
        }
        throw new IllegalArgumentException(
                CONV_REGISTERS_PROPERTY + " (" + why + ") must be auto, 16 or 32, not '" + value + "'");
    }

    static int checkedRegisters(int registers) {
        if (registers != 16 && registers != 32) {
            throw new IllegalArgumentException("convolution blocks for 16 or 32 registers, not " + registers);
        }
        return registers;
    }

    /** The float32 GEMM plans these kernels can run: the scalar one here, every vector plan in {@link VectorKernels}. */
    java.util.List<GemmPlan> plans() {
        return java.util.List.of(GemmPlan.SCALAR);
    }

    /** The plan these kernels run unless one is forced or probed: the scalar one here. */
    GemmPlan defaultPlan() {
        return GemmPlan.SCALAR;
    }

    /** The vector kernels when the Vector API is present and not switched off, else {@link #SCALAR}. */
    static Kernels best() {
        if (Best.FAILURE != null) {
            // every time with its message: a failed class initializer would say so once, without it
            throw new IllegalArgumentException(Best.FAILURE.getMessage(), Best.FAILURE);
        }
        return Best.KERNELS;
    }

    /**
     * Detection runs once, on the first backend created, not when the provider is only listed. A
     * system property with a bad value is kept as the failure that {@link #best()} reports.
     */
    private static final class Best {
        static final Kernels KERNELS;
        static final IllegalArgumentException FAILURE;

        static {
            Kernels kernels = null;
            IllegalArgumentException failure = null;
            try {
                kernels = detect();
            } catch (IllegalArgumentException e) {
                failure = e;
            }
            KERNELS = kernels;
            FAILURE = failure;
        }
    }

    /**
     * The vector kernels with their default plan when the Vector API is present and they pass
     * their self-test, whatever {@value #SCALAR_PROPERTY} says, else empty: what a forced vector
     * plan runs on, and what the tests run every plan on.
     */
    static Optional<Kernels> vector() {
        return Optional.ofNullable(Vector.KERNELS);
    }

    private static final class Vector {
        static final Kernels KERNELS = loadVector();
    }

    private static Kernels loadVector() {
        Module own = Kernels.class.getModule();
        Optional<Module> vector = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (vector.isEmpty() && own.getLayer() != null) {
            vector = own.getLayer().findModule("jdk.incubator.vector");
        }
        if (vector.isEmpty()) {
            LOG.log(
                    Level.DEBUG,
                    "cpu backend: scalar kernels (start the JVM with --add-modules jdk.incubator.vector"
                            + " for the vector kernels)");
            return null;
        }
        try {
            if (own.isNamed() && !own.canRead(vector.get())) {
                own.addReads(vector.get());
            }
            Kernels k = Class.forName("org.flows4j.backend.cpu.VectorKernels")
                    .asSubclass(Kernels.class)
                    .getDeclaredConstructor()
                    .newInstance();
            if (!k.selfTest()) {
                LOG.log(Level.WARNING, "cpu backend: the vector kernels failed their self-test; using scalar kernels");
                return null;
            }
            return k;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "cpu backend: the Vector API is present but unusable (" + e + "); using scalar kernels");
            return null;
        }
    }

    private static Kernels detect() {
        // checked here, where a bad value stops the backend from starting, rather than at its first 1x1 convolution
        DirectConv.pointwiseLimit(System.getProperty(DirectConv.POINTWISE_PROPERTY));
        if (Boolean.getBoolean(SCALAR_PROPERTY)) {
            LOG.log(Level.DEBUG, "cpu backend: scalar kernels (system property " + SCALAR_PROPERTY + ")");
            return SCALAR;
        }
        Optional<Kernels> v = vector();
        if (v.isEmpty()) {
            return SCALAR;
        }
        Kernels k = GemmPlans.choose(v.get())
                .withConvRegisters(
                        System.getProperty(CONV_REGISTERS_PROPERTY, "auto"),
                        "system property " + CONV_REGISTERS_PROPERTY);
        LOG.log(Level.DEBUG, "cpu backend: " + k.description());
        return k;
    }

    /** Says which kernels these are, for logs and {@code toString}. */
    String description() {
        return "scalar kernels, float32 GEMM " + gemmF.name() + " (" + gemmReason + ")";
    }

    /** Whether these kernels are the Vector API ones. */
    boolean isVector() {
        return false;
    }

    /**
     * A small product by every plan checked against the scalar kernels: a vector implementation
     * that cannot run is never chosen.
     */
    final boolean selfTest() {
        for (GemmPlan plan : plans()) {
            if (plan.bits() != 0 && plan.bits() != defaultPlan().bits()) {
                continue; // narrower plans run only when forced: not run here, lest they slow the others (GemmPlans)
            }
            int m = 2 * plan.tile().mr() + 1;
            int n = 2 * plan.tile().nr() + 3;
            int k = 19;
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (i % 7) - 3;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (i % 5) - 2;
            }
            float[] mine = new float[m * n];
            float[] ref = new float[m * n];
            Gemm.packed(plan, Parallel.SERIAL, m, n, k, a, 0, k, false, b, 0, n, false, mine, 0, n, false);
            Gemm.packed(GemmPlan.SCALAR, Parallel.SERIAL, m, n, k, a, 0, k, false, b, 0, n, false, ref, 0, n, false);
            if (!java.util.Arrays.equals(mine, ref)) { // small integers: every sum is exact
                return false;
            }
        }
        return true;
    }

    // ---- GEMM micro-kernels --------------------------------------------------------------

    /**
     * A float32 product with {@code k = 1}, an outer product: {@code c[i, j] = (add ? c[i, j] :
     * 0) + a_i b_j}, with {@code a_i = a[ao + i as]} and {@code b_j = b[bo + j bs]}, the product
     * rounded, then added: the bits of every other path's one-term sum (RealNVP's first layers
     * on a 1-dimensional half). The packed kernels spent most of their time per tile here.
     */
    void outerF(
            int m,
            int n,
            float[] a,
            int ao,
            int as,
            float[] b,
            int bo,
            int bs,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        for (int i = 0; i < m; i++) {
            float ai = a[ao + i * as];
            int ci = co + i * ldc;
            for (int j = 0; j < n; j++) {
                c[ci + j] = (add ? c[ci + j] : 0f) + ai * b[bo + j * bs];
            }
        }
    }

    /**
     * {@code C = op(A) op(B)}, or {@code C += } when {@code add} is true, for a float32 product
     * fewer than {@link Gemm#SKINNY} columns wide (RealNVP's output layers, their gradients),
     * where the packed kernels waste most of a tile, if these kernels have a faster way than
     * {@link Gemm}'s plain loops; false leaves the product untouched, to them. Arguments as
     * {@link Gemm#gemm}. An element's sum must not depend on {@code m}: callers may compute the
     * rows of one product in any grouping and get the same bits.
     */
    boolean skinnyF(
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        return false;
    }

    /** Rows of the float64 micro-tile. */
    int mrD() {
        return MR;
    }

    /** Columns of the float64 micro-tile. */
    int nrD() {
        return NR;
    }

    /**
     * {@code C += A B} for one {@code mr x nr} tile, or {@code C = A B} when {@code add} is
     * false (C's old contents are then never read). Element {@code (r, p)} of the
     * {@code mr x kc} panel of A is {@code a[ao + r rs + p cs]}: A is read in place (row-major:
     * {@code rs = lda, cs = 1}; transposed: {@code rs = 1, cs = lda}) or from a packed panel
     * ({@code rs = 1, cs = mr}). {@code b} holds a packed panel of B ({@code kc} steps of
     * {@code nr} values of a row of B), {@code c} the tile at {@code co} with row stride
     * {@code ldc}. Each element's {@code kc} products are summed in order from 0, then added to C.
     */
    void microF(int kc, float[] a, int ao, int rs, int cs, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
        int r1 = rs;
        int r2 = 2 * rs;
        int r3 = 3 * rs;
        float c00 = 0;
        float c01 = 0;
        float c02 = 0;
        float c03 = 0;
        float c10 = 0;
        float c11 = 0;
        float c12 = 0;
        float c13 = 0;
        float c20 = 0;
        float c21 = 0;
        float c22 = 0;
        float c23 = 0;
        float c30 = 0;
        float c31 = 0;
        float c32 = 0;
        float c33 = 0;
        for (int p = 0, x = ao, y = bo; p < kc; p++, x += cs, y += NR) {
            float b0 = b[y];
            float b1 = b[y + 1];
            float b2 = b[y + 2];
            float b3 = b[y + 3];
            float v = a[x];
            c00 += v * b0;
            c01 += v * b1;
            c02 += v * b2;
            c03 += v * b3;
            v = a[x + r1];
            c10 += v * b0;
            c11 += v * b1;
            c12 += v * b2;
            c13 += v * b3;
            v = a[x + r2];
            c20 += v * b0;
            c21 += v * b1;
            c22 += v * b2;
            c23 += v * b3;
            v = a[x + r3];
            c30 += v * b0;
            c31 += v * b1;
            c32 += v * b2;
            c33 += v * b3;
        }
        int o = co;
        if (!add) {
            for (int r = 0; r < MR; r++) {
                java.util.Arrays.fill(c, co + r * ldc, co + r * ldc + NR, 0);
            }
        }
        c[o] += c00;
        c[o + 1] += c01;
        c[o + 2] += c02;
        c[o + 3] += c03;
        o += ldc;
        c[o] += c10;
        c[o + 1] += c11;
        c[o + 2] += c12;
        c[o + 3] += c13;
        o += ldc;
        c[o] += c20;
        c[o + 1] += c21;
        c[o + 2] += c22;
        c[o + 3] += c23;
        o += ldc;
        c[o] += c30;
        c[o + 1] += c31;
        c[o + 2] += c32;
        c[o + 3] += c33;
    }

    /**
     * Columns of a narrow float64 micro-kernel for the last, ragged panel of B, or 0 when there
     * is none; a panel of at most this many columns is computed by {@link #microNarrowD}.
     */
    int narrowD() {
        return 0;
    }

    /**
     * As {@link #microD} for an {@code mr x narrowD()} tile, reading the first
     * {@code narrowD()} values of each row of a packed B panel whose rows are {@code bs} apart.
     */
    void microNarrowD(
            int kc,
            double[] a,
            int ao,
            int rs,
            int cs,
            double[] b,
            int bo,
            int bs,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        throw new UnsupportedOperationException("no narrow kernel");
    }

    /**
     * Four output channels of a direct convolution ({@link DirectConv}) at positions
     * {@code [0, q1)} of the padded-width layout: {@code out[r q1 + q] = sum over t < taps}, in
     * order, of {@code wb[wo + 4 t + r] xp[off[t] + q]}, where tap {@code t = (ci kh + ky) kw + kx}
     * reads at {@code off[t] = ci plane + ky wp + kx}. {@code q1} is a multiple of 64; the arrays
     * hold every element this reads and writes.
     */
    void conv4F(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1) {
        for (int q = 0; q < q1; q++) {
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            for (int t = 0, w = wo; t < taps; t++, w += 4) {
                float v = xp[off[t] + q];
                a0 += wb[w] * v;
                a1 += wb[w + 1] * v;
                a2 += wb[w + 2] * v;
                a3 += wb[w + 3] * v;
            }
            out[q] = a0;
            out[q1 + q] = a1;
            out[2 * q1 + q] = a2;
            out[3 * q1 + q] = a3;
        }
    }

    /**
     * {@link #conv4F} for a block whose last two channels are absent (zero weights):
     * {@code out[q]} and {@code out[q1 + q]} are the same sums as there, and the caller reads no
     * other row. Here, {@link #conv4F} itself (the scalar kernels have no faster way); the vector
     * kernels skip the absent channels.
     */
    void conv2F(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1) {
        conv4F(xp, off, taps, wb, wo, out, q1);
    }

    /**
     * How many partial sums {@link #convWeight4F} keeps for each tap and channel: 1 here, a
     * vector's lanes in the vector kernels, which add their lanes into the accumulator instead of
     * summing them for every image.
     */
    int convWeightLanes() {
        return 1;
    }

    /**
     * The weight gradient of {@link #conv4F} for four output channels, added into the
     * accumulator: the sum over {@code q < q1} of {@code gp[r q1 + q] xp[off[t] + q]},
     * {@code gp} zero wherever no output pixel is, for tap {@code t} and channel {@code r}, kept
     * as {@code L = }{@link #convWeightLanes} partial sums at {@code acc[ao + (4 t + r) L + l]},
     * {@code l < L}, whose total is that sum. The caller adds the {@code L} lanes, in order, once
     * it has added every image.
     */
    void convWeight4F(float[] xp, int[] off, int taps, float[] gp, int q1, float[] acc, int ao) {
        for (int t = 0, at = ao; t < taps; t++, at += 4) {
            int o = off[t];
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            for (int q = 0; q < q1; q++) {
                float v = xp[o + q];
                s0 += gp[q] * v;
                s1 += gp[q1 + q] * v;
                s2 += gp[2 * q1 + q] * v;
                s3 += gp[3 * q1 + q] * v;
            }
            acc[at] += s0;
            acc[at + 1] += s1;
            acc[at + 2] += s2;
            acc[at + 3] += s3;
        }
    }

    /**
     * Eight output channels of a wide direct convolution ({@link DirectConv}) at positions
     * {@code [q0, q1)} of the padded-width layout, over taps {@code [t0, t1)}:
     * {@code out[r stride + q] = (add ? out[r stride + q] : 0) + sum over t in [t0, t1)}, in order,
     * of {@code wb[wo + 8 t + r] xp[off[t] + q]}. The arrays hold every element this reads and
     * writes.
     */
    void conv8F(
            float[] xp,
            int[] off,
            int t0,
            int t1,
            float[] wb,
            int wo,
            float[] out,
            int stride,
            int q0,
            int q1,
            boolean add) {
        float[] a = new float[8];
        for (int q = q0; q < q1; q++) {
            for (int r = 0; r < 8; r++) {
                a[r] = add ? out[r * stride + q] : 0;
            }
            for (int t = t0; t < t1; t++) {
                float v = xp[off[t] + q];
                int w = wo + 8 * t;
                for (int r = 0; r < 8; r++) {
                    a[r] += wb[w + r] * v;
                }
            }
            for (int r = 0; r < 8; r++) {
                out[r * stride + q] = a[r];
            }
        }
    }

    /**
     * The weight gradient of a wide direct convolution, for taps {@code [t0, t1)} and output
     * channels {@code [c0, c1)}: adds to {@code acc[t cp + c]} the sum over {@code q < nq}, in
     * order, of {@code xp[off[t] + q] gt[q cp + c]}, where {@code gt} is the output gradient
     * transposed to position-major rows of {@code cp} channels, zero wherever no output pixel is.
     * {@code c0} and {@code c1} are multiples of 16.
     */
    void convWeightWideF(
            float[] xp, int[] off, int t0, int t1, float[] gt, int cp, int c0, int c1, int nq, float[] acc) {
        for (int t = t0; t < t1; t++) {
            int o = off[t];
            for (int c = c0; c < c1; c++) {
                float s = acc[t * cp + c];
                for (int q = 0; q < nq; q++) {
                    s += xp[o + q] * gt[q * cp + c];
                }
                acc[t * cp + c] = s;
            }
        }
    }

    /** As {@link #microF}, in float64. */
    void microD(
            int kc, double[] a, int ao, int rs, int cs, double[] b, int bo, double[] c, int co, int ldc, boolean add) {
        int r1 = rs;
        int r2 = 2 * rs;
        int r3 = 3 * rs;
        double c00 = 0;
        double c01 = 0;
        double c02 = 0;
        double c03 = 0;
        double c10 = 0;
        double c11 = 0;
        double c12 = 0;
        double c13 = 0;
        double c20 = 0;
        double c21 = 0;
        double c22 = 0;
        double c23 = 0;
        double c30 = 0;
        double c31 = 0;
        double c32 = 0;
        double c33 = 0;
        for (int p = 0, x = ao, y = bo; p < kc; p++, x += cs, y += NR) {
            double b0 = b[y];
            double b1 = b[y + 1];
            double b2 = b[y + 2];
            double b3 = b[y + 3];
            double v = a[x];
            c00 += v * b0;
            c01 += v * b1;
            c02 += v * b2;
            c03 += v * b3;
            v = a[x + r1];
            c10 += v * b0;
            c11 += v * b1;
            c12 += v * b2;
            c13 += v * b3;
            v = a[x + r2];
            c20 += v * b0;
            c21 += v * b1;
            c22 += v * b2;
            c23 += v * b3;
            v = a[x + r3];
            c30 += v * b0;
            c31 += v * b1;
            c32 += v * b2;
            c33 += v * b3;
        }
        int o = co;
        if (!add) {
            for (int r = 0; r < MR; r++) {
                java.util.Arrays.fill(c, co + r * ldc, co + r * ldc + NR, 0);
            }
        }
        c[o] += c00;
        c[o + 1] += c01;
        c[o + 2] += c02;
        c[o + 3] += c03;
        o += ldc;
        c[o] += c10;
        c[o + 1] += c11;
        c[o + 2] += c12;
        c[o + 3] += c13;
        o += ldc;
        c[o] += c20;
        c[o + 1] += c21;
        c[o + 2] += c22;
        c[o + 3] += c23;
        o += ldc;
        c[o] += c30;
        c[o + 1] += c31;
        c[o + 2] += c32;
        c[o + 3] += c33;
    }

    // ---- elementwise -----------------------------------------------------------------------

    /**
     * {@code out[oo + i] = op(x[xo + i])} for {@code i < n}. The operations that IEEE 754
     * rounds correctly (negation, absolute value, relu, square, square root, reciprocal, sign)
     * are computed in float, which equals the double result rounded once; the others are
     * computed in double and rounded.
     */
    void unaryF(UnaryOp op, float[] x, int xo, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = -x[xo + i];
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.abs(x[xo + i]);
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(x[xo + i], 0f);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    float v = x[xo + i];
                    out[oo + i] = v * v;
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = (float) Math.sqrt(x[xo + i]);
                }
            }
            case RECIPROCAL -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = 1f / x[xo + i];
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = FloatMath.exp(x[xo + i]);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = FloatMath.sigmoid(x[xo + i]);
                }
            }
            case SOFTPLUS -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = FloatMath.softplus(x[xo + i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = FloatMath.tanh(x[xo + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = (float) Elementwise.apply(op, x[xo + i]);
                }
            }
        }
    }

    /** As {@link #unaryF}, in float64. */
    void unaryD(UnaryOp op, double[] x, int xo, double[] out, int oo, int n) {
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = -x[xo + i];
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.abs(x[xo + i]);
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(x[xo + i], 0.0);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    double v = x[xo + i];
                    out[oo + i] = v * v;
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.sqrt(x[xo + i]);
                }
            }
            case RECIPROCAL -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = 1.0 / x[xo + i];
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Elementwise.apply(op, x[xo + i]);
                }
            }
        }
    }

    /**
     * {@code out[oo + i] = op(x[xo + i sx], y[yo + i sy])} for {@code i < n}, where a step of 0
     * repeats one element (a broadcast operand) and 1 walks the array. Add, subtract, multiply,
     * divide, maximum and minimum are exact in float (the double result rounded once); power is
     * computed in double.
     */
    void binaryF(BinaryOp op, float[] x, int xo, int sx, float[] y, int yo, int sy, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] + y[yo + i * sy];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] - y[yo + i * sy];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] * y[yo + i * sy];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] / y[yo + i * sy];
                }
            }
            case MAXIMUM -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(x[xo + i * sx], y[yo + i * sy]);
                }
            }
            case MINIMUM -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.min(x[xo + i * sx], y[yo + i * sy]);
                }
            }
            case POW -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = (float) Math.pow(x[xo + i * sx], y[yo + i * sy]);
                }
            }
        }
    }

    /** As {@link #binaryF}, in float64. */
    void binaryD(BinaryOp op, double[] x, int xo, int sx, double[] y, int yo, int sy, double[] out, int oo, int n) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] + y[yo + i * sy];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] - y[yo + i * sy];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] * y[yo + i * sy];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = x[xo + i * sx] / y[yo + i * sy];
                }
            }
            case MAXIMUM -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(x[xo + i * sx], y[yo + i * sy]);
                }
            }
            case MINIMUM -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.min(x[xo + i * sx], y[yo + i * sy]);
                }
            }
            case POW -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.pow(x[xo + i * sx], y[yo + i * sy]);
                }
            }
        }
    }

    /** 1 where {@code op(x, y)} holds, else 0, with the steps of {@link #binaryF}; every comparison with NaN is false but {@code !=}. */
    void compareF(CompareOp op, float[] x, int xo, int sx, float[] y, int yo, int sy, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = Elementwise.test(op, x[xo + i * sx], y[yo + i * sy]) ? 1f : 0f;
        }
    }

    /** As {@link #compareF}, in float64. */
    void compareD(CompareOp op, double[] x, int xo, int sx, double[] y, int yo, int sy, double[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = Elementwise.test(op, x[xo + i * sx], y[yo + i * sy]) ? 1.0 : 0.0;
        }
    }

    /** {@code out[i] = c[i] != 0 ? t[i] : f[i]} for {@code from <= i < to}; a NaN condition is not 0. */
    void whereF(float[] c, float[] t, float[] f, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = c[i] != 0 ? t[i] : f[i];
        }
    }

    /** As {@link #whereF}, in float64. */
    void whereD(double[] c, double[] t, double[] f, double[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = c[i] != 0 ? t[i] : f[i];
        }
    }

    // ---- Adam ------------------------------------------------------------------------------

    /**
     * The constants of one Adam step, each rounded to the storage's dtype as the composed
     * default of {@code Backend#adamUpdate} rounds them (it fills scalar storages with them).
     */
    record AdamConstants(
            double gradScale,
            double decay,
            double beta1,
            double oneMinusBeta1,
            double beta2,
            double oneMinusBeta2,
            double firstCorrection,
            double secondCorrection,
            double epsilon,
            double rate) {

        static AdamConstants of(AdamStep s, boolean float32) {
            return new AdamConstants(
                    r(s.gradScale(), float32),
                    r(s.weightDecay(), float32),
                    r(s.beta1(), float32),
                    r(1 - s.beta1(), float32),
                    r(s.beta2(), float32),
                    r(1 - s.beta2(), float32),
                    r(s.firstBiasCorrection(), float32),
                    r(s.secondBiasCorrection(), float32),
                    r(s.epsilon(), float32),
                    r(s.learningRate(), float32));
        }

        private static double r(double v, boolean float32) {
            return float32 ? (float) v : v;
        }
    }

    /**
     * One Adam step in place on {@code [from, to)}, with the operations of the composed default
     * in its order, each rounded to float:
     * {@code g' = g sc + p wd; m = m b1 + g' (1 - b1); v = v b2 + g'^2 (1 - b2);
     * p = p - (m / c1) / (sqrt(v / c2) + eps) lr}. Same inputs, same bits as the default (whose
     * product by a gradient scale of 1 is left out, and is exact).
     */
    void adamF(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamConstants k) {
        float sc = (float) k.gradScale();
        float wd = (float) k.decay();
        float b1 = (float) k.beta1();
        float nb1 = (float) k.oneMinusBeta1();
        float b2 = (float) k.beta2();
        float nb2 = (float) k.oneMinusBeta2();
        float c1 = (float) k.firstCorrection();
        float c2 = (float) k.secondCorrection();
        float eps = (float) k.epsilon();
        float lr = (float) k.rate();
        boolean decay = wd != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = decay ? g[i] * sc + pi * wd : g[i] * sc;
            float mi = m[i] * b1 + gi * nb1;
            float vi = v[i] * b2 + (gi * gi) * nb2;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - (mi / c1) / ((float) Math.sqrt(vi / c2) + eps) * lr;
        }
    }

    /** As {@link #adamF}, in float64. */
    void adamD(double[] p, double[] g, double[] m, double[] v, int from, int to, AdamConstants k) {
        double sc = k.gradScale();
        double wd = k.decay();
        double b1 = k.beta1();
        double nb1 = k.oneMinusBeta1();
        double b2 = k.beta2();
        double nb2 = k.oneMinusBeta2();
        double c1 = k.firstCorrection();
        double c2 = k.secondCorrection();
        double eps = k.epsilon();
        double lr = k.rate();
        boolean decay = wd != 0;
        for (int i = from; i < to; i++) {
            double pi = p[i];
            double gi = decay ? g[i] * sc + pi * wd : g[i] * sc;
            double mi = m[i] * b1 + gi * nb1;
            double vi = v[i] * b2 + (gi * gi) * nb2;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - (mi / c1) / (Math.sqrt(vi / c2) + eps) * lr;
        }
    }

    // ---- sum of squares -------------------------------------------------------------------

    /** {@code sum a[i]^2} over {@code [from, to)}: each square rounded to float, the sum kept in double. */
    double sumSquaresF(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            float x = a[i];
            s += x * x;
        }
        return s;
    }

    /** {@code sum a[i]^2} over {@code [from, to)}, in double. */
    double sumSquaresD(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            double x = a[i];
            s += x * x;
        }
        return s;
    }
}
