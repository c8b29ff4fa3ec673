package org.flows4j.backend.cpu;

import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;

/**
 * The kernels of {@link Kernels} on the Vector API, at the JVM's preferred vector width (512
 * bits on AVX-512: 16 floats or 8 doubles per vector). Loaded only by {@link Kernels#best()}
 * once {@code jdk.incubator.vector} is known to be in the running JVM; every method handles
 * whole vectors and leaves the ragged tail (and the operations it does not vectorize) to the
 * scalar code it overrides, so both give the same bits.
 *
 * <p>Every vector operation below is written out with a constant operator: C2 compiles a Vector
 * API call to machine instructions only when it sees the operator, and a loop that passed the
 * operator as a variable would box every vector on the heap.
 *
 * <p><b>GEMM micro-kernels.</b> Float64: a {@code 4 x 3}-vector tile ({@code 4 x 24} doubles at
 * 512 bits): twelve accumulators, three vectors of the packed B row and one broadcast of A make
 * 16 live vector registers. Float32: the tile and blocking of the plan chosen for the machine
 * ({@link GemmPlans}), from the generated tiles {@code TileF*} listed in {@link #catalog()}.
 */
final class VectorKernels extends Kernels {

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final int DL = DS.length();
    private static final int MR = 4;

    /** Lane {@code i} to lane {@code i ^ h}, for the halvings of {@link #sumLanes} (null where {@code h >= FL}). */
    private static final VectorShuffle<Float> SWAP8 = FL > 8 ? VectorShuffle.fromOp(FS, i -> i ^ 8) : null;

    private static final VectorShuffle<Float> SWAP4 = FL > 4 ? VectorShuffle.fromOp(FS, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(FS, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(FS, i -> i ^ 1);

    /** The float32 GEMM plans (see {@link GemmPlans}); built once, on first use. */
    private static final class Catalog {
        static final List<GemmPlan> PLANS = catalog();
    }

    /**
     * The vector registers the wide direct convolutions' register blocks are sized for: 32
     * (AVX-512) or 16 (AVX2). See {@link Kernels#CONV_REGISTERS_PROPERTY}.
     */
    private final int convRegisters;

    /** Reflectively, by {@link Kernels#vector()}; refuses vectors too short to pay (fewer than four floats). */
    VectorKernels() {
        this(null, "the default plan", defaultConvRegisters());
    }

    private VectorKernels(GemmPlan plan, String reason, int convRegisters) {
        super(plan != null ? plan : defaultFor(FS.vectorBitSize()), reason);
        if (FL < 4 || DL < 2) {
            throw new UnsupportedOperationException(
                    "preferred vectors of " + FS.vectorBitSize() + " bits are too short");
        }
        this.convRegisters = convRegisters;
    }

    /**
     * 32 registers where the JVM prefers 512-bit vectors (AVX-512 has 32), else 16 (AVX2 has 16;
     * a 24-accumulator block there spills to the stack on every tap).
     */
    private static int defaultConvRegisters() {
        return FS.vectorBitSize() >= 512 ? 32 : 16;
    }

    /**
     * Every vector plan, 512-bit ones first. Each names a tile ({@code bits-MRxNV}: rows by vectors
     * of that width), the k slice, and {@code -pa} when every panel of A is packed. The B panel
     * ({@code kc x nr} floats) is sized for a 32 to 48 KiB L1 (24 to 48 KiB), the block of A
     * ({@code mc x kc}) and of B ({@code kc x nc}) for a 1 to 2 MiB L2. {@code 512-4x3-k192} is
     * the tuning of the Zen 5 machine of {@code docs/BENCHMARKS.md} (A in place); tiles of more
     * than 16 registers are offered with A packed only (8 rows of A in place, 4 KiB apart in a
     * 1024-wide matrix, share L1 sets and ran at a third of the speed there). The {@code -rows}
     * plans visit a block's tiles row by row: on a Zen 3 (AVX2) that ran 1.25 to 1.4 times as
     * fast (C is written in address order instead of 6 rows 4 KiB apart per tile).
     */
    private static List<GemmPlan> catalog() {
        FloatTile t512x4x3 = new TileF512x4x3();
        FloatTile t256x4x3 = new TileF256x4x3();
        FloatTile t512x6x2 = new TileF512x6x2();
        FloatTile t256x6x2 = new TileF256x6x2();
        return List.of(
                GemmPlan.of(t512x4x3, 192, 128, 1024, false, false),
                GemmPlan.of(t512x4x3, 192, 128, 1024, false, true),
                GemmPlan.of(t512x4x3, 128, 128, 1024, false, false),
                GemmPlan.of(t512x4x3, 128, 192, 1024, true, false),
                GemmPlan.of(t512x6x2, 192, 192, 1024, true, false),
                GemmPlan.of(t512x6x2, 192, 192, 1024, true, true),
                GemmPlan.of(new TileF512x8x2(), 192, 192, 1024, true, false),
                GemmPlan.of(new TileF512x12x2(), 192, 192, 1024, true, false),
                GemmPlan.of(new TileF512x8x3(), 128, 192, 1024, true, false),
                GemmPlan.of(new TileF512x6x4(), 96, 192, 1024, true, false),
                GemmPlan.of(t256x4x3, 192, 128, 1024, false, false),
                GemmPlan.of(t256x4x3, 192, 128, 1024, false, true),
                GemmPlan.of(t256x6x2, 256, 192, 1024, true, false),
                GemmPlan.of(t256x6x2, 256, 192, 1024, true, true),
                GemmPlan.of(new TileF256x8x2(), 256, 192, 1024, true, false),
                GemmPlan.of(new TileF256x8x3(), 192, 192, 1024, true, false),
                GemmPlan.of(new TileF256x6x4(), 192, 192, 1024, true, false));
    }

    /** The plan of a JVM whose preferred vectors are {@code bits} wide when nothing is probed or forced. */
    private static GemmPlan defaultFor(int bits) {
        if (bits < 256) {
            return GemmPlan.SCALAR; // no tile of narrower vectors: the 256-bit ones would run emulated
        }
        String name = bits >= 512 ? "512-4x3-k192" : "256-4x3-k192";
        for (GemmPlan p : Catalog.PLANS) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalStateException(name);
    }

    @Override
    Kernels withGemm(GemmPlan plan, String reason) {
        if (!Catalog.PLANS.contains(plan) && !GemmPlan.SCALAR.equals(plan)) {
            throw new IllegalArgumentException("unknown GEMM plan " + plan.name());
        }
        return new VectorKernels(plan, reason, convRegisters);
    }

    @Override
    int convRegisters() {
        return convRegisters;
    }

    @Override
    Kernels withConvRegisters(int registers) {
        return new VectorKernels(gemmF(), gemmReason(), checkedRegisters(registers));
    }

    @Override
    int autoConvRegisters() {
        return defaultConvRegisters();
    }

    @Override
    List<GemmPlan> plans() {
        List<GemmPlan> all = new java.util.ArrayList<>(Catalog.PLANS);
        all.add(GemmPlan.SCALAR);
        return List.copyOf(all);
    }

    @Override
    GemmPlan defaultPlan() {
        return defaultFor(FS.vectorBitSize());
    }

    /** The JVM's preferred vector width in bits. */
    static int preferredBits() {
        return FS.vectorBitSize();
    }

    @Override
    String description() {
        return "Vector API kernels, " + FS.vectorBitSize() + "-bit vectors, float32 GEMM " + gemmF().name() + " ("
                + gemmReason() + "), convolution blocks for " + convRegisters + " registers";
    }

    @Override
    boolean isVector() {
        return true;
    }

    // ---- GEMM micro-kernels --------------------------------------------------------------

    @Override
    int mrD() {
        return MR;
    }

    @Override
    int nrD() {
        return 3 * DL;
    }

    @Override
    int narrowD() {
        return DL;
    }

    /**
     * One vector wide: the last panel of a product 196 or 392 columns wide is mostly padding.
     * The B panel is this class's own, {@code bs = nrD()} wide.
     */
    @Override
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
        int r1 = rs;
        int r2 = 2 * rs;
        int r3 = 3 * rs;
        DoubleVector c0 = DoubleVector.zero(DS);
        DoubleVector c1 = c0;
        DoubleVector c2 = c0;
        DoubleVector c3 = c0;
        for (int p = 0, x = ao; p < kc; p++, x += cs) {
            // bs is always this class's panel width; the constant lets C2 hoist the range check
            DoubleVector b0 = DoubleVector.fromArray(DS, b, bo + p * (3 * DL));
            c0 = b0.fma(DoubleVector.broadcast(DS, a[x]), c0);
            c1 = b0.fma(DoubleVector.broadcast(DS, a[x + r1]), c1);
            c2 = b0.fma(DoubleVector.broadcast(DS, a[x + r2]), c2);
            c3 = b0.fma(DoubleVector.broadcast(DS, a[x + r3]), c3);
        }
        // each branch stores its own vectors: a vector merged from two branches may be boxed
        if (add) {
            DoubleVector.fromArray(DS, c, co).add(c0).intoArray(c, co);
            DoubleVector.fromArray(DS, c, co + ldc).add(c1).intoArray(c, co + ldc);
            DoubleVector.fromArray(DS, c, co + 2 * ldc).add(c2).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(DS, c, co + 3 * ldc).add(c3).intoArray(c, co + 3 * ldc);
        } else {
            c0.intoArray(c, co);
            c1.intoArray(c, co + ldc);
            c2.intoArray(c, co + 2 * ldc);
            c3.intoArray(c, co + 3 * ldc);
        }
    }

    @Override
    void microD(
            int kc, double[] a, int ao, int rs, int cs, double[] b, int bo, double[] c, int co, int ldc, boolean add) {
        int r1 = rs;
        int r2 = 2 * rs;
        int r3 = 3 * rs;
        DoubleVector c00 = DoubleVector.zero(DS);
        DoubleVector c01 = c00;
        DoubleVector c02 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c12 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c22 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        DoubleVector c32 = c00;
        // y is an affine function of the one loop counter, so that C2 can hoist the range checks of the B loads
        for (int p = 0, x = ao; p < kc; p++, x += cs) {
            int y = bo + p * (3 * DL);
            DoubleVector b0 = DoubleVector.fromArray(DS, b, y);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, y + DL);
            DoubleVector b2 = DoubleVector.fromArray(DS, b, y + 2 * DL);
            DoubleVector v = DoubleVector.broadcast(DS, a[x]);
            c00 = b0.fma(v, c00);
            c01 = b1.fma(v, c01);
            c02 = b2.fma(v, c02);
            v = DoubleVector.broadcast(DS, a[x + r1]);
            c10 = b0.fma(v, c10);
            c11 = b1.fma(v, c11);
            c12 = b2.fma(v, c12);
            v = DoubleVector.broadcast(DS, a[x + r2]);
            c20 = b0.fma(v, c20);
            c21 = b1.fma(v, c21);
            c22 = b2.fma(v, c22);
            v = DoubleVector.broadcast(DS, a[x + r3]);
            c30 = b0.fma(v, c30);
            c31 = b1.fma(v, c31);
            c32 = b2.fma(v, c32);
        }
        // written out: vectors passed to a helper that C2 declines to inline are boxed
        if (add) {
            DoubleVector.fromArray(DS, c, co).add(c00).intoArray(c, co);
            DoubleVector.fromArray(DS, c, co + DL).add(c01).intoArray(c, co + DL);
            DoubleVector.fromArray(DS, c, co + 2 * DL).add(c02).intoArray(c, co + 2 * DL);
            DoubleVector.fromArray(DS, c, co + ldc).add(c10).intoArray(c, co + ldc);
            DoubleVector.fromArray(DS, c, co + ldc + DL).add(c11).intoArray(c, co + ldc + DL);
            DoubleVector.fromArray(DS, c, co + ldc + 2 * DL).add(c12).intoArray(c, co + ldc + 2 * DL);
            DoubleVector.fromArray(DS, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(DS, c, co + 2 * ldc + DL).add(c21).intoArray(c, co + 2 * ldc + DL);
            DoubleVector.fromArray(DS, c, co + 2 * ldc + 2 * DL).add(c22).intoArray(c, co + 2 * ldc + 2 * DL);
            DoubleVector.fromArray(DS, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            DoubleVector.fromArray(DS, c, co + 3 * ldc + DL).add(c31).intoArray(c, co + 3 * ldc + DL);
            DoubleVector.fromArray(DS, c, co + 3 * ldc + 2 * DL).add(c32).intoArray(c, co + 3 * ldc + 2 * DL);
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, co + DL);
            c02.intoArray(c, co + 2 * DL);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + DL);
            c12.intoArray(c, co + ldc + 2 * DL);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + DL);
            c22.intoArray(c, co + 2 * ldc + 2 * DL);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + DL);
            c32.intoArray(c, co + 3 * ldc + 2 * DL);
        }
    }

    /**
     * Two vectors of positions a pass ({@code q1} is a multiple of 64, so of twice every vector
     * length): eight independent sums, enough to keep both FMA pipes busy through the FMA's
     * latency, where one vector's four left them half idle (1.5 to 1.7 times the speed on the
     * Zen 3 of {@code docs/BENCHMARKS.md}). One flat loop over the taps, as the GEMM
     * micro-kernels have, so that C2 keeps the accumulators in registers (nested loops over
     * channels and kernel rows left them boxed).
     */
    @Override
    void conv4F(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1) {
        if (64 % (2 * FL) != 0) { // vectors of more than 1024 bits: q1 need not be a multiple of two
            super.conv4F(xp, off, taps, wb, wo, out, q1);
            return;
        }
        for (int q = 0; q < q1; q += 2 * FL) {
            conv4x2(xp, off, taps, wb, wo, out, q1, q);
        }
    }

    private static void conv4x2(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1, int q) {
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int t = 0, w = wo; t < taps; t++, w += 4) {
            int o = off[t] + q;
            FloatVector v = FloatVector.fromArray(FS, xp, o);
            FloatVector u = FloatVector.fromArray(FS, xp, o + FL);
            FloatVector c = FloatVector.broadcast(FS, wb[w]);
            a0 = v.fma(c, a0);
            b0 = u.fma(c, b0);
            c = FloatVector.broadcast(FS, wb[w + 1]);
            a1 = v.fma(c, a1);
            b1 = u.fma(c, b1);
            c = FloatVector.broadcast(FS, wb[w + 2]);
            a2 = v.fma(c, a2);
            b2 = u.fma(c, b2);
            c = FloatVector.broadcast(FS, wb[w + 3]);
            a3 = v.fma(c, a3);
            b3 = u.fma(c, b3);
        }
        a0.intoArray(out, q);
        b0.intoArray(out, q + FL);
        a1.intoArray(out, q1 + q);
        b1.intoArray(out, q1 + q + FL);
        a2.intoArray(out, 2 * q1 + q);
        b2.intoArray(out, 2 * q1 + q + FL);
        a3.intoArray(out, 3 * q1 + q);
        b3.intoArray(out, 3 * q1 + q + FL);
    }

    /**
     * Four vectors of positions a pass for the two channels: eight independent sums again, and
     * none spent on the block's two absent channels (three times {@link #conv4F}'s old speed on
     * a convolution to 2 channels on the Zen 3).
     */
    @Override
    void conv2F(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1) {
        if (64 % (4 * FL) != 0) { // vectors of more than 512 bits: q1 need not be a multiple of four
            super.conv2F(xp, off, taps, wb, wo, out, q1);
            return;
        }
        for (int q = 0; q < q1; q += 4 * FL) {
            conv2x4(xp, off, taps, wb, wo, out, q1, q);
        }
    }

    private static void conv2x4(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1, int q) {
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        for (int t = 0, w = wo; t < taps; t++, w += 4) {
            int o = off[t] + q;
            FloatVector v = FloatVector.fromArray(FS, xp, o);
            FloatVector u = FloatVector.fromArray(FS, xp, o + FL);
            FloatVector y = FloatVector.fromArray(FS, xp, o + 2 * FL);
            FloatVector z = FloatVector.fromArray(FS, xp, o + 3 * FL);
            FloatVector c = FloatVector.broadcast(FS, wb[w]);
            a0 = v.fma(c, a0);
            b0 = u.fma(c, b0);
            c0 = y.fma(c, c0);
            d0 = z.fma(c, d0);
            c = FloatVector.broadcast(FS, wb[w + 1]);
            a1 = v.fma(c, a1);
            b1 = u.fma(c, b1);
            c1 = y.fma(c, c1);
            d1 = z.fma(c, d1);
        }
        a0.intoArray(out, q);
        b0.intoArray(out, q + FL);
        c0.intoArray(out, q + 2 * FL);
        d0.intoArray(out, q + 3 * FL);
        a1.intoArray(out, q1 + q);
        b1.intoArray(out, q1 + q + FL);
        c1.intoArray(out, q1 + q + 2 * FL);
        d1.intoArray(out, q1 + q + 3 * FL);
    }

    /**
     * Blocks of eight channels by three vectors of positions (24 accumulators, three loads of
     * the input and eight broadcasts of the weight per tap) with 32 registers, then single
     * vectors (8 accumulators: all of them with 16 registers, where 24 would spill), then the
     * scalar tail. Each output element is the same chain of fused multiply-adds in both blocks.
     */
    @Override
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
        int q = q0;
        if (convRegisters >= 32) {
            for (; q + 3 * FL <= q1; q += 3 * FL) {
                conv8x3(xp, off, t0, t1, wb, wo, out, stride, q, add);
            }
        }
        for (; q + FL <= q1; q += FL) {
            conv8x1(xp, off, t0, t1, wb, wo, out, stride, q, add);
        }
        if (q < q1) {
            super.conv8F(xp, off, t0, t1, wb, wo, out, stride, q, q1, add);
        }
    }

    private static FloatVector start(float[] out, int at, boolean add) {
        return add ? FloatVector.fromArray(FS, out, at) : FloatVector.zero(FS);
    }

    private static void conv8x3(
            float[] xp, int[] off, int t0, int t1, float[] wb, int wo, float[] out, int stride, int q, boolean add) {
        FloatVector a00 = start(out, q, add);
        FloatVector a01 = start(out, q + FL, add);
        FloatVector a02 = start(out, q + 2 * FL, add);
        FloatVector a10 = start(out, stride + q, add);
        FloatVector a11 = start(out, stride + q + FL, add);
        FloatVector a12 = start(out, stride + q + 2 * FL, add);
        FloatVector a20 = start(out, 2 * stride + q, add);
        FloatVector a21 = start(out, 2 * stride + q + FL, add);
        FloatVector a22 = start(out, 2 * stride + q + 2 * FL, add);
        FloatVector a30 = start(out, 3 * stride + q, add);
        FloatVector a31 = start(out, 3 * stride + q + FL, add);
        FloatVector a32 = start(out, 3 * stride + q + 2 * FL, add);
        FloatVector a40 = start(out, 4 * stride + q, add);
        FloatVector a41 = start(out, 4 * stride + q + FL, add);
        FloatVector a42 = start(out, 4 * stride + q + 2 * FL, add);
        FloatVector a50 = start(out, 5 * stride + q, add);
        FloatVector a51 = start(out, 5 * stride + q + FL, add);
        FloatVector a52 = start(out, 5 * stride + q + 2 * FL, add);
        FloatVector a60 = start(out, 6 * stride + q, add);
        FloatVector a61 = start(out, 6 * stride + q + FL, add);
        FloatVector a62 = start(out, 6 * stride + q + 2 * FL, add);
        FloatVector a70 = start(out, 7 * stride + q, add);
        FloatVector a71 = start(out, 7 * stride + q + FL, add);
        FloatVector a72 = start(out, 7 * stride + q + 2 * FL, add);
        for (int t = t0, w = wo + 8 * t0; t < t1; t++, w += 8) {
            int o = off[t] + q;
            FloatVector v0 = FloatVector.fromArray(FS, xp, o);
            FloatVector v1 = FloatVector.fromArray(FS, xp, o + FL);
            FloatVector v2 = FloatVector.fromArray(FS, xp, o + 2 * FL);
            FloatVector b = FloatVector.broadcast(FS, wb[w]);
            a00 = v0.fma(b, a00);
            a01 = v1.fma(b, a01);
            a02 = v2.fma(b, a02);
            b = FloatVector.broadcast(FS, wb[w + 1]);
            a10 = v0.fma(b, a10);
            a11 = v1.fma(b, a11);
            a12 = v2.fma(b, a12);
            b = FloatVector.broadcast(FS, wb[w + 2]);
            a20 = v0.fma(b, a20);
            a21 = v1.fma(b, a21);
            a22 = v2.fma(b, a22);
            b = FloatVector.broadcast(FS, wb[w + 3]);
            a30 = v0.fma(b, a30);
            a31 = v1.fma(b, a31);
            a32 = v2.fma(b, a32);
            b = FloatVector.broadcast(FS, wb[w + 4]);
            a40 = v0.fma(b, a40);
            a41 = v1.fma(b, a41);
            a42 = v2.fma(b, a42);
            b = FloatVector.broadcast(FS, wb[w + 5]);
            a50 = v0.fma(b, a50);
            a51 = v1.fma(b, a51);
            a52 = v2.fma(b, a52);
            b = FloatVector.broadcast(FS, wb[w + 6]);
            a60 = v0.fma(b, a60);
            a61 = v1.fma(b, a61);
            a62 = v2.fma(b, a62);
            b = FloatVector.broadcast(FS, wb[w + 7]);
            a70 = v0.fma(b, a70);
            a71 = v1.fma(b, a71);
            a72 = v2.fma(b, a72);
        }
        a00.intoArray(out, q);
        a01.intoArray(out, q + FL);
        a02.intoArray(out, q + 2 * FL);
        a10.intoArray(out, stride + q);
        a11.intoArray(out, stride + q + FL);
        a12.intoArray(out, stride + q + 2 * FL);
        a20.intoArray(out, 2 * stride + q);
        a21.intoArray(out, 2 * stride + q + FL);
        a22.intoArray(out, 2 * stride + q + 2 * FL);
        a30.intoArray(out, 3 * stride + q);
        a31.intoArray(out, 3 * stride + q + FL);
        a32.intoArray(out, 3 * stride + q + 2 * FL);
        a40.intoArray(out, 4 * stride + q);
        a41.intoArray(out, 4 * stride + q + FL);
        a42.intoArray(out, 4 * stride + q + 2 * FL);
        a50.intoArray(out, 5 * stride + q);
        a51.intoArray(out, 5 * stride + q + FL);
        a52.intoArray(out, 5 * stride + q + 2 * FL);
        a60.intoArray(out, 6 * stride + q);
        a61.intoArray(out, 6 * stride + q + FL);
        a62.intoArray(out, 6 * stride + q + 2 * FL);
        a70.intoArray(out, 7 * stride + q);
        a71.intoArray(out, 7 * stride + q + FL);
        a72.intoArray(out, 7 * stride + q + 2 * FL);
    }

    private static void conv8x1(
            float[] xp, int[] off, int t0, int t1, float[] wb, int wo, float[] out, int stride, int q, boolean add) {
        FloatVector a0 = start(out, q, add);
        FloatVector a1 = start(out, stride + q, add);
        FloatVector a2 = start(out, 2 * stride + q, add);
        FloatVector a3 = start(out, 3 * stride + q, add);
        FloatVector a4 = start(out, 4 * stride + q, add);
        FloatVector a5 = start(out, 5 * stride + q, add);
        FloatVector a6 = start(out, 6 * stride + q, add);
        FloatVector a7 = start(out, 7 * stride + q, add);
        for (int t = t0, w = wo + 8 * t0; t < t1; t++, w += 8) {
            FloatVector v = FloatVector.fromArray(FS, xp, off[t] + q);
            a0 = v.fma(FloatVector.broadcast(FS, wb[w]), a0);
            a1 = v.fma(FloatVector.broadcast(FS, wb[w + 1]), a1);
            a2 = v.fma(FloatVector.broadcast(FS, wb[w + 2]), a2);
            a3 = v.fma(FloatVector.broadcast(FS, wb[w + 3]), a3);
            a4 = v.fma(FloatVector.broadcast(FS, wb[w + 4]), a4);
            a5 = v.fma(FloatVector.broadcast(FS, wb[w + 5]), a5);
            a6 = v.fma(FloatVector.broadcast(FS, wb[w + 6]), a6);
            a7 = v.fma(FloatVector.broadcast(FS, wb[w + 7]), a7);
        }
        a0.intoArray(out, q);
        a1.intoArray(out, stride + q);
        a2.intoArray(out, 2 * stride + q);
        a3.intoArray(out, 3 * stride + q);
        a4.intoArray(out, 4 * stride + q);
        a5.intoArray(out, 5 * stride + q);
        a6.intoArray(out, 6 * stride + q);
        a7.intoArray(out, 7 * stride + q);
    }

    /**
     * Blocks of twelve taps by two vectors of channels (24 accumulators, two loads of the
     * transposed gradient and twelve broadcasts of the input per position) with 32 registers,
     * of six taps (12 accumulators) with 16, kept in registers over all positions; then single
     * taps; then single vectors of channels. Each sum is the same chain over the positions
     * whatever the block.
     */
    @Override
    void convWeightWideF(
            float[] xp, int[] off, int t0, int t1, float[] gt, int cp, int c0, int c1, int nq, float[] acc) {
        if (FL > 16) {
            super.convWeightWideF(xp, off, t0, t1, gt, cp, c0, c1, nq, acc);
            return;
        }
        int c = c0;
        for (; c + 2 * FL <= c1; c += 2 * FL) {
            int t = t0;
            if (convRegisters >= 32) {
                for (; t + 12 <= t1; t += 12) {
                    weight12x2(xp, off, t, gt, cp, c, nq, acc);
                }
            } else {
                for (; t + 6 <= t1; t += 6) {
                    weight6x2(xp, off, t, gt, cp, c, nq, acc);
                }
            }
            // the taps left over (4 of glow:small's 64 in a 1x1 convolution): single taps keep one
            // sum in flight, an eighth of the pipes' need, so four at a time where four are left
            for (; t + 4 <= t1; t += 4) {
                weight4x2(xp, off, t, gt, cp, c, nq, acc);
            }
            for (; t < t1; t++) {
                weight1(xp, off[t], gt, cp, c, nq, acc, t * cp + c);
                weight1(xp, off[t], gt, cp, c + FL, nq, acc, t * cp + c + FL);
            }
        }
        for (; c < c1; c += FL) {
            for (int t = t0; t < t1; t++) {
                weight1(xp, off[t], gt, cp, c, nq, acc, t * cp + c);
            }
        }
    }

    private static void weight1(float[] xp, int o, float[] gt, int cp, int c, int nq, float[] acc, int at) {
        FloatVector s = FloatVector.fromArray(FS, acc, at);
        for (int q = 0, g = c; q < nq; q++, g += cp) {
            s = FloatVector.fromArray(FS, gt, g).fma(FloatVector.broadcast(FS, xp[o + q]), s);
        }
        s.intoArray(acc, at);
    }

    private static void weight12x2(float[] xp, int[] off, int t, float[] gt, int cp, int c, int nq, float[] acc) {
        int o0 = off[t];
        int o1 = off[t + 1];
        int o2 = off[t + 2];
        int o3 = off[t + 3];
        int o4 = off[t + 4];
        int o5 = off[t + 5];
        int o6 = off[t + 6];
        int o7 = off[t + 7];
        int o8 = off[t + 8];
        int o9 = off[t + 9];
        int o10 = off[t + 10];
        int o11 = off[t + 11];
        int at = t * cp + c;
        FloatVector s00 = FloatVector.fromArray(FS, acc, at);
        FloatVector s01 = FloatVector.fromArray(FS, acc, at + FL);
        FloatVector s10 = FloatVector.fromArray(FS, acc, at + cp);
        FloatVector s11 = FloatVector.fromArray(FS, acc, at + cp + FL);
        FloatVector s20 = FloatVector.fromArray(FS, acc, at + 2 * cp);
        FloatVector s21 = FloatVector.fromArray(FS, acc, at + 2 * cp + FL);
        FloatVector s30 = FloatVector.fromArray(FS, acc, at + 3 * cp);
        FloatVector s31 = FloatVector.fromArray(FS, acc, at + 3 * cp + FL);
        FloatVector s40 = FloatVector.fromArray(FS, acc, at + 4 * cp);
        FloatVector s41 = FloatVector.fromArray(FS, acc, at + 4 * cp + FL);
        FloatVector s50 = FloatVector.fromArray(FS, acc, at + 5 * cp);
        FloatVector s51 = FloatVector.fromArray(FS, acc, at + 5 * cp + FL);
        FloatVector s60 = FloatVector.fromArray(FS, acc, at + 6 * cp);
        FloatVector s61 = FloatVector.fromArray(FS, acc, at + 6 * cp + FL);
        FloatVector s70 = FloatVector.fromArray(FS, acc, at + 7 * cp);
        FloatVector s71 = FloatVector.fromArray(FS, acc, at + 7 * cp + FL);
        FloatVector s80 = FloatVector.fromArray(FS, acc, at + 8 * cp);
        FloatVector s81 = FloatVector.fromArray(FS, acc, at + 8 * cp + FL);
        FloatVector s90 = FloatVector.fromArray(FS, acc, at + 9 * cp);
        FloatVector s91 = FloatVector.fromArray(FS, acc, at + 9 * cp + FL);
        FloatVector sa0 = FloatVector.fromArray(FS, acc, at + 10 * cp);
        FloatVector sa1 = FloatVector.fromArray(FS, acc, at + 10 * cp + FL);
        FloatVector sb0 = FloatVector.fromArray(FS, acc, at + 11 * cp);
        FloatVector sb1 = FloatVector.fromArray(FS, acc, at + 11 * cp + FL);
        for (int q = 0, g = c; q < nq; q++, g += cp) {
            FloatVector g0 = FloatVector.fromArray(FS, gt, g);
            FloatVector g1 = FloatVector.fromArray(FS, gt, g + FL);
            FloatVector x = FloatVector.broadcast(FS, xp[o0 + q]);
            s00 = g0.fma(x, s00);
            s01 = g1.fma(x, s01);
            x = FloatVector.broadcast(FS, xp[o1 + q]);
            s10 = g0.fma(x, s10);
            s11 = g1.fma(x, s11);
            x = FloatVector.broadcast(FS, xp[o2 + q]);
            s20 = g0.fma(x, s20);
            s21 = g1.fma(x, s21);
            x = FloatVector.broadcast(FS, xp[o3 + q]);
            s30 = g0.fma(x, s30);
            s31 = g1.fma(x, s31);
            x = FloatVector.broadcast(FS, xp[o4 + q]);
            s40 = g0.fma(x, s40);
            s41 = g1.fma(x, s41);
            x = FloatVector.broadcast(FS, xp[o5 + q]);
            s50 = g0.fma(x, s50);
            s51 = g1.fma(x, s51);
            x = FloatVector.broadcast(FS, xp[o6 + q]);
            s60 = g0.fma(x, s60);
            s61 = g1.fma(x, s61);
            x = FloatVector.broadcast(FS, xp[o7 + q]);
            s70 = g0.fma(x, s70);
            s71 = g1.fma(x, s71);
            x = FloatVector.broadcast(FS, xp[o8 + q]);
            s80 = g0.fma(x, s80);
            s81 = g1.fma(x, s81);
            x = FloatVector.broadcast(FS, xp[o9 + q]);
            s90 = g0.fma(x, s90);
            s91 = g1.fma(x, s91);
            x = FloatVector.broadcast(FS, xp[o10 + q]);
            sa0 = g0.fma(x, sa0);
            sa1 = g1.fma(x, sa1);
            x = FloatVector.broadcast(FS, xp[o11 + q]);
            sb0 = g0.fma(x, sb0);
            sb1 = g1.fma(x, sb1);
        }
        s00.intoArray(acc, at);
        s01.intoArray(acc, at + FL);
        s10.intoArray(acc, at + cp);
        s11.intoArray(acc, at + cp + FL);
        s20.intoArray(acc, at + 2 * cp);
        s21.intoArray(acc, at + 2 * cp + FL);
        s30.intoArray(acc, at + 3 * cp);
        s31.intoArray(acc, at + 3 * cp + FL);
        s40.intoArray(acc, at + 4 * cp);
        s41.intoArray(acc, at + 4 * cp + FL);
        s50.intoArray(acc, at + 5 * cp);
        s51.intoArray(acc, at + 5 * cp + FL);
        s60.intoArray(acc, at + 6 * cp);
        s61.intoArray(acc, at + 6 * cp + FL);
        s70.intoArray(acc, at + 7 * cp);
        s71.intoArray(acc, at + 7 * cp + FL);
        s80.intoArray(acc, at + 8 * cp);
        s81.intoArray(acc, at + 8 * cp + FL);
        s90.intoArray(acc, at + 9 * cp);
        s91.intoArray(acc, at + 9 * cp + FL);
        sa0.intoArray(acc, at + 10 * cp);
        sa1.intoArray(acc, at + 10 * cp + FL);
        sb0.intoArray(acc, at + 11 * cp);
        sb1.intoArray(acc, at + 11 * cp + FL);
    }

    private static void weight4x2(float[] xp, int[] off, int t, float[] gt, int cp, int c, int nq, float[] acc) {
        int o0 = off[t];
        int o1 = off[t + 1];
        int o2 = off[t + 2];
        int o3 = off[t + 3];
        int at = t * cp + c;
        FloatVector s00 = FloatVector.fromArray(FS, acc, at);
        FloatVector s01 = FloatVector.fromArray(FS, acc, at + FL);
        FloatVector s10 = FloatVector.fromArray(FS, acc, at + cp);
        FloatVector s11 = FloatVector.fromArray(FS, acc, at + cp + FL);
        FloatVector s20 = FloatVector.fromArray(FS, acc, at + 2 * cp);
        FloatVector s21 = FloatVector.fromArray(FS, acc, at + 2 * cp + FL);
        FloatVector s30 = FloatVector.fromArray(FS, acc, at + 3 * cp);
        FloatVector s31 = FloatVector.fromArray(FS, acc, at + 3 * cp + FL);
        for (int q = 0, g = c; q < nq; q++, g += cp) {
            FloatVector g0 = FloatVector.fromArray(FS, gt, g);
            FloatVector g1 = FloatVector.fromArray(FS, gt, g + FL);
            FloatVector x = FloatVector.broadcast(FS, xp[o0 + q]);
            s00 = g0.fma(x, s00);
            s01 = g1.fma(x, s01);
            x = FloatVector.broadcast(FS, xp[o1 + q]);
            s10 = g0.fma(x, s10);
            s11 = g1.fma(x, s11);
            x = FloatVector.broadcast(FS, xp[o2 + q]);
            s20 = g0.fma(x, s20);
            s21 = g1.fma(x, s21);
            x = FloatVector.broadcast(FS, xp[o3 + q]);
            s30 = g0.fma(x, s30);
            s31 = g1.fma(x, s31);
        }
        s00.intoArray(acc, at);
        s01.intoArray(acc, at + FL);
        s10.intoArray(acc, at + cp);
        s11.intoArray(acc, at + cp + FL);
        s20.intoArray(acc, at + 2 * cp);
        s21.intoArray(acc, at + 2 * cp + FL);
        s30.intoArray(acc, at + 3 * cp);
        s31.intoArray(acc, at + 3 * cp + FL);
    }

    private static void weight6x2(float[] xp, int[] off, int t, float[] gt, int cp, int c, int nq, float[] acc) {
        int o0 = off[t];
        int o1 = off[t + 1];
        int o2 = off[t + 2];
        int o3 = off[t + 3];
        int o4 = off[t + 4];
        int o5 = off[t + 5];
        int at = t * cp + c;
        FloatVector s00 = FloatVector.fromArray(FS, acc, at);
        FloatVector s01 = FloatVector.fromArray(FS, acc, at + FL);
        FloatVector s10 = FloatVector.fromArray(FS, acc, at + cp);
        FloatVector s11 = FloatVector.fromArray(FS, acc, at + cp + FL);
        FloatVector s20 = FloatVector.fromArray(FS, acc, at + 2 * cp);
        FloatVector s21 = FloatVector.fromArray(FS, acc, at + 2 * cp + FL);
        FloatVector s30 = FloatVector.fromArray(FS, acc, at + 3 * cp);
        FloatVector s31 = FloatVector.fromArray(FS, acc, at + 3 * cp + FL);
        FloatVector s40 = FloatVector.fromArray(FS, acc, at + 4 * cp);
        FloatVector s41 = FloatVector.fromArray(FS, acc, at + 4 * cp + FL);
        FloatVector s50 = FloatVector.fromArray(FS, acc, at + 5 * cp);
        FloatVector s51 = FloatVector.fromArray(FS, acc, at + 5 * cp + FL);
        for (int q = 0, g = c; q < nq; q++, g += cp) {
            FloatVector g0 = FloatVector.fromArray(FS, gt, g);
            FloatVector g1 = FloatVector.fromArray(FS, gt, g + FL);
            FloatVector x = FloatVector.broadcast(FS, xp[o0 + q]);
            s00 = g0.fma(x, s00);
            s01 = g1.fma(x, s01);
            x = FloatVector.broadcast(FS, xp[o1 + q]);
            s10 = g0.fma(x, s10);
            s11 = g1.fma(x, s11);
            x = FloatVector.broadcast(FS, xp[o2 + q]);
            s20 = g0.fma(x, s20);
            s21 = g1.fma(x, s21);
            x = FloatVector.broadcast(FS, xp[o3 + q]);
            s30 = g0.fma(x, s30);
            s31 = g1.fma(x, s31);
            x = FloatVector.broadcast(FS, xp[o4 + q]);
            s40 = g0.fma(x, s40);
            s41 = g1.fma(x, s41);
            x = FloatVector.broadcast(FS, xp[o5 + q]);
            s50 = g0.fma(x, s50);
            s51 = g1.fma(x, s51);
        }
        s00.intoArray(acc, at);
        s01.intoArray(acc, at + FL);
        s10.intoArray(acc, at + cp);
        s11.intoArray(acc, at + cp + FL);
        s20.intoArray(acc, at + 2 * cp);
        s21.intoArray(acc, at + 2 * cp + FL);
        s30.intoArray(acc, at + 3 * cp);
        s31.intoArray(acc, at + 3 * cp + FL);
        s40.intoArray(acc, at + 4 * cp);
        s41.intoArray(acc, at + 4 * cp + FL);
        s50.intoArray(acc, at + 5 * cp);
        s51.intoArray(acc, at + 5 * cp + FL);
    }

    @Override
    int convWeightLanes() {
        return FL;
    }

    /**
     * Lanes of partial sums, added lane by lane into the accumulator: no {@code reduceLanes}
     * for each tap of each image (its order may differ between compiled and interpreted code,
     * and a sum across lanes per tap cost more than the tap's products at 14 x 14 and 7 x 7).
     */
    @Override
    void convWeight4F(float[] xp, int[] off, int taps, float[] gp, int q1, float[] acc, int ao) {
        int t = 0;
        int at = ao;
        // two taps a pass: each vector of the gradient loaded once for both, 8 independent sums
        for (; t + 2 <= taps; t += 2, at += 8 * FL) {
            int o = off[t];
            int p = off[t + 1];
            FloatVector s0 = FloatVector.zero(FS);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            FloatVector u0 = s0;
            FloatVector u1 = s0;
            FloatVector u2 = s0;
            FloatVector u3 = s0;
            for (int q = 0; q < q1; q += FL) {
                FloatVector v = FloatVector.fromArray(FS, xp, o + q);
                FloatVector w = FloatVector.fromArray(FS, xp, p + q);
                FloatVector g = FloatVector.fromArray(FS, gp, q);
                s0 = g.fma(v, s0);
                u0 = g.fma(w, u0);
                g = FloatVector.fromArray(FS, gp, q1 + q);
                s1 = g.fma(v, s1);
                u1 = g.fma(w, u1);
                g = FloatVector.fromArray(FS, gp, 2 * q1 + q);
                s2 = g.fma(v, s2);
                u2 = g.fma(w, u2);
                g = FloatVector.fromArray(FS, gp, 3 * q1 + q);
                s3 = g.fma(v, s3);
                u3 = g.fma(w, u3);
            }
            addInto(acc, at, s0, s1, s2, s3);
            addInto(acc, at + 4 * FL, u0, u1, u2, u3);
        }
        for (; t < taps; t++, at += 4 * FL) {
            int o = off[t];
            FloatVector s0 = FloatVector.zero(FS);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int q = 0; q < q1; q += FL) {
                FloatVector v = FloatVector.fromArray(FS, xp, o + q);
                s0 = FloatVector.fromArray(FS, gp, q).fma(v, s0);
                s1 = FloatVector.fromArray(FS, gp, q1 + q).fma(v, s1);
                s2 = FloatVector.fromArray(FS, gp, 2 * q1 + q).fma(v, s2);
                s3 = FloatVector.fromArray(FS, gp, 3 * q1 + q).fma(v, s3);
            }
            addInto(acc, at, s0, s1, s2, s3);
        }
    }

    /** {@code acc[at + r FL + l] += s_r[l]} for the four channels' vectors of partial sums. */
    private static void addInto(float[] acc, int at, FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3) {
        FloatVector.fromArray(FS, acc, at).add(s0).intoArray(acc, at);
        FloatVector.fromArray(FS, acc, at + FL).add(s1).intoArray(acc, at + FL);
        FloatVector.fromArray(FS, acc, at + 2 * FL).add(s2).intoArray(acc, at + 2 * FL);
        FloatVector.fromArray(FS, acc, at + 3 * FL).add(s3).intoArray(acc, at + 3 * FL);
    }

    // ---- unary -----------------------------------------------------------------------------

    @Override
    void unaryF(UnaryOp op, float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        switch (op) {
            case NEG -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).neg().intoArray(out, oo + i);
                }
            }
            case ABS -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).abs().intoArray(out, oo + i);
                }
            }
            case RELU -> {
                FloatVector zero = FloatVector.zero(FS);
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).max(zero).intoArray(out, oo + i);
                }
            }
            case SQUARE -> {
                for (; i < bound; i += FL) {
                    FloatVector v = FloatVector.fromArray(FS, x, xo + i);
                    v.mul(v).intoArray(out, oo + i);
                }
            }
            case SQRT -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).sqrt().intoArray(out, oo + i);
                }
            }
            case RECIPROCAL -> {
                FloatVector one = FloatVector.broadcast(FS, 1f);
                for (; i < bound; i += FL) {
                    one.div(FloatVector.fromArray(FS, x, xo + i)).intoArray(out, oo + i);
                }
            }
            case SIGN -> {
                for (; i < bound; i += FL) {
                    FloatVector v = FloatVector.fromArray(FS, x, xo + i);
                    // +-1 off zero, +0 at both zeros, NaN at NaN, as the scalar kernel
                    v.blend(1f, v.compare(VectorOperators.GT, 0f))
                            .blend(-1f, v.compare(VectorOperators.LT, 0f))
                            .blend(0f, v.compare(VectorOperators.EQ, 0f))
                            .intoArray(out, oo + i);
                }
            }
            case EXP -> i = expF(x, xo, out, oo, bound);
            case SIGMOID -> i = sigmoidF(x, xo, out, oo, bound);
            case SOFTPLUS -> i = softplusF(x, xo, out, oo, bound);
            case TANH -> i = tanhF(x, xo, out, oo, bound);
            default -> {
                // the other transcendental functions stay scalar in double, for the accuracy of Math
            }
        }
        super.unaryF(op, x, xo + i, out, oo + i, n - i);
    }

    /**
     * {@link FloatMath#exp} lane by lane: the same operations in the same order, so the same
     * bits as the scalar kernel.
     */
    private static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(FloatMath.EXP_LOW).min(FloatMath.EXP_HIGH);
        FloatVector t = c.mul(FloatMath.LOG2E).add(FloatMath.ROUND);
        FloatVector n = t.sub(FloatMath.ROUND);
        FloatVector r = c.sub(n.mul(FloatMath.LN2_HI)).sub(n.mul(FloatMath.LN2_LO));
        FloatVector z = r.mul(r);
        FloatVector p = r.mul(FloatMath.P0)
                .add(FloatMath.P1)
                .mul(r)
                .add(FloatMath.P2)
                .mul(r)
                .add(FloatMath.P3)
                .mul(r)
                .add(FloatMath.P4)
                .mul(r)
                .add(FloatMath.P5)
                .mul(z)
                .add(r)
                .add(1f);
        IntVector k = t.reinterpretAsInts().sub(FloatMath.ROUND_BITS);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    private static int expF(float[] x, int xo, float[] out, int oo, int bound) {
        for (int i = 0; i < bound; i += FL) {
            exp(FloatVector.fromArray(FS, x, xo + i)).intoArray(out, oo + i);
        }
        return bound;
    }

    /**
     * {@code e^-|x|} lane by lane into {@code out}: the first pass of the sigmoid and softplus,
     * which finish in a second loop. One loop with both would outgrow what C2 compiles to vector
     * instructions, and it then boxes every vector (measured: megabytes of garbage a call).
     */
    private static void expNegAbsF(float[] x, int xo, float[] out, int oo, int bound) {
        for (int i = 0; i < bound; i += FL) {
            exp(FloatVector.fromArray(FS, x, xo + i).abs().neg()).intoArray(out, oo + i);
        }
    }

    /** {@link FloatMath#sigmoid} lane by lane. */
    private static int sigmoidF(float[] x, int xo, float[] out, int oo, int bound) {
        expNegAbsF(x, xo, out, oo, bound);
        for (int i = 0; i < bound; i += FL) {
            FloatVector v = FloatVector.fromArray(FS, x, xo + i);
            FloatVector e = FloatVector.fromArray(FS, out, oo + i);
            FloatVector num = e.blend(1f, v.compare(VectorOperators.GE, 0f));
            num.div(e.add(1f)).intoArray(out, oo + i);
        }
        return bound;
    }

    /**
     * {@link FloatMath#tanh} lane by lane: {@code e^-2|x|} into {@code out} first, then both
     * branches, blended on {@code |x| < 0.625} (two loops, as {@link #sigmoidF}).
     */
    private static int tanhF(float[] x, int xo, float[] out, int oo, int bound) {
        for (int i = 0; i < bound; i += FL) {
            exp(FloatVector.fromArray(FS, x, xo + i).abs().mul(-2f)).intoArray(out, oo + i);
        }
        for (int i = 0; i < bound; i += FL) {
            FloatVector v = FloatVector.fromArray(FS, x, xo + i);
            FloatVector a = v.abs();
            FloatVector e = FloatVector.fromArray(FS, out, oo + i);
            FloatVector large = e.neg().add(1f).div(e.add(1f));
            FloatVector z = a.mul(a);
            FloatVector small = z.mul(FloatMath.T0)
                    .add(FloatMath.T1)
                    .mul(z)
                    .add(FloatMath.T2)
                    .mul(z)
                    .add(FloatMath.T3)
                    .mul(z)
                    .add(FloatMath.T4)
                    .mul(z)
                    .mul(a)
                    .add(a);
            IntVector sign = v.reinterpretAsInts().lanewise(VectorOperators.AND, FloatMath.SIGN_BIT);
            large.blend(small, a.compare(VectorOperators.LT, FloatMath.TANH_SMALL))
                    .reinterpretAsInts()
                    .lanewise(VectorOperators.OR, sign)
                    .reinterpretAsFloats()
                    .intoArray(out, oo + i);
        }
        return bound;
    }

    /** {@link FloatMath#softplus} lane by lane. */
    private static int softplusF(float[] x, int xo, float[] out, int oo, int bound) {
        expNegAbsF(x, xo, out, oo, bound);
        for (int i = 0; i < bound; i += FL) {
            FloatVector t = FloatVector.fromArray(FS, out, oo + i);
            FloatVector s = t.div(t.add(2f));
            FloatVector s2 = s.mul(s);
            FloatVector q = s2.mul(FloatMath.A15)
                    .add(FloatMath.A13)
                    .mul(s2)
                    .add(FloatMath.A11)
                    .mul(s2)
                    .add(FloatMath.A9)
                    .mul(s2)
                    .add(FloatMath.A7)
                    .mul(s2)
                    .add(FloatMath.A5)
                    .mul(s2)
                    .add(FloatMath.A3)
                    .mul(s2)
                    .add(1f);
            FloatVector.fromArray(FS, x, xo + i).max(0f).add(s.add(s).mul(q)).intoArray(out, oo + i);
        }
        return bound;
    }

    @Override
    void unaryD(UnaryOp op, double[] x, int xo, double[] out, int oo, int n) {
        int i = 0;
        int bound = DS.loopBound(n);
        switch (op) {
            case NEG -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).neg().intoArray(out, oo + i);
                }
            }
            case ABS -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).abs().intoArray(out, oo + i);
                }
            }
            case RELU -> {
                DoubleVector zero = DoubleVector.zero(DS);
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).max(zero).intoArray(out, oo + i);
                }
            }
            case SQUARE -> {
                for (; i < bound; i += DL) {
                    DoubleVector v = DoubleVector.fromArray(DS, x, xo + i);
                    v.mul(v).intoArray(out, oo + i);
                }
            }
            case SQRT -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).sqrt().intoArray(out, oo + i);
                }
            }
            case RECIPROCAL -> {
                DoubleVector one = DoubleVector.broadcast(DS, 1.0);
                for (; i < bound; i += DL) {
                    one.div(DoubleVector.fromArray(DS, x, xo + i)).intoArray(out, oo + i);
                }
            }
            default -> {
                // transcendental functions stay scalar, for the accuracy of Math
            }
        }
        super.unaryD(op, x, xo + i, out, oo + i, n - i);
    }

    // ---- binary ----------------------------------------------------------------------------

    @Override
    void binaryF(BinaryOp op, float[] x, int xo, int sx, float[] y, int yo, int sy, float[] out, int oo, int n) {
        int done;
        if (sx == 1 && sy == 1) {
            done = binaryF(op, x, xo, y, yo, out, oo, n);
        } else if (sx == 1 && sy == 0) {
            done = binaryF(op, x, xo, y[yo], out, oo, n);
        } else if (sx == 0 && sy == 1) {
            done = binaryF(op, x[xo], y, yo, out, oo, n);
        } else {
            done = 0;
        }
        super.binaryF(op, x, xo + done * sx, sx, y, yo + done * sy, sy, out, oo + done, n - done);
    }

    /** Both operands walk: returns how many leading elements were done. */
    private static int binaryF(BinaryOp op, float[] x, int xo, float[] y, int yo, float[] out, int oo, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .add(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .sub(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .mul(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .div(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .max(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i)
                            .min(FloatVector.fromArray(FS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    /** The right operand is one repeated value. */
    private static int binaryF(BinaryOp op, float[] x, int xo, float s, float[] out, int oo, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        FloatVector v = FloatVector.broadcast(FS, s);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).add(v).intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).sub(v).intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).mul(v).intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).div(v).intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).max(v).intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, xo + i).min(v).intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    /** The left operand is one repeated value. */
    private static int binaryF(BinaryOp op, float s, float[] y, int yo, float[] out, int oo, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        FloatVector v = FloatVector.broadcast(FS, s);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += FL) {
                    v.add(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += FL) {
                    v.sub(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += FL) {
                    v.mul(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += FL) {
                    v.div(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += FL) {
                    v.max(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += FL) {
                    v.min(FloatVector.fromArray(FS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    @Override
    void binaryD(BinaryOp op, double[] x, int xo, int sx, double[] y, int yo, int sy, double[] out, int oo, int n) {
        int done;
        if (sx == 1 && sy == 1) {
            done = binaryD(op, x, xo, y, yo, out, oo, n);
        } else if (sx == 1 && sy == 0) {
            done = binaryD(op, x, xo, y[yo], out, oo, n);
        } else if (sx == 0 && sy == 1) {
            done = binaryD(op, x[xo], y, yo, out, oo, n);
        } else {
            done = 0;
        }
        super.binaryD(op, x, xo + done * sx, sx, y, yo + done * sy, sy, out, oo + done, n - done);
    }

    private static int binaryD(BinaryOp op, double[] x, int xo, double[] y, int yo, double[] out, int oo, int n) {
        int i = 0;
        int bound = DS.loopBound(n);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .add(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .sub(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .mul(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .div(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .max(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i)
                            .min(DoubleVector.fromArray(DS, y, yo + i))
                            .intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    private static int binaryD(BinaryOp op, double[] x, int xo, double s, double[] out, int oo, int n) {
        int i = 0;
        int bound = DS.loopBound(n);
        DoubleVector v = DoubleVector.broadcast(DS, s);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).add(v).intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).sub(v).intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).mul(v).intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).div(v).intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).max(v).intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, xo + i).min(v).intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    private static int binaryD(BinaryOp op, double s, double[] y, int yo, double[] out, int oo, int n) {
        int i = 0;
        int bound = DS.loopBound(n);
        DoubleVector v = DoubleVector.broadcast(DS, s);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += DL) {
                    v.add(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += DL) {
                    v.sub(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += DL) {
                    v.mul(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += DL) {
                    v.div(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MAXIMUM -> {
                for (; i < bound; i += DL) {
                    v.max(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case MINIMUM -> {
                for (; i < bound; i += DL) {
                    v.min(DoubleVector.fromArray(DS, y, yo + i)).intoArray(out, oo + i);
                }
            }
            case POW -> {
                // Math.pow, scalar
            }
        }
        return i;
    }

    // ---- comparisons and selection ---------------------------------------------------------

    /**
     * Comparisons of a walking left operand with a walking or repeated right one; a repeated
     * left operand is the mirrored comparison ({@code s < y} is {@code y > s}, NaN included).
     * A repeated operand is read from a one-vector array of copies with step 0, so one loop
     * per operator serves both forms with no vector merged across a branch.
     */
    @Override
    void compareF(CompareOp op, float[] x, int xo, int sx, float[] y, int yo, int sy, float[] out, int oo, int n) {
        int done = 0;
        if (sx == 1 && sy == 1) {
            done = compareF(op, x, xo, y, yo, FL, out, oo, n);
        } else if (sx == 1 && sy == 0) {
            done = compareF(op, x, xo, copies(y[yo]), 0, 0, out, oo, n);
        } else if (sx == 0 && sy == 1) {
            done = compareF(mirror(op), y, yo, copies(x[xo]), 0, 0, out, oo, n);
        }
        super.compareF(op, x, xo + done * sx, sx, y, yo + done * sy, sy, out, oo + done, n - done);
    }

    private static float[] copies(float s) {
        float[] v = new float[FL];
        java.util.Arrays.fill(v, s);
        return v;
    }

    /** {@code y} advances by {@code ystep} per vector: {@code FL} to walk, 0 to repeat. */
    private static int compareF(
            CompareOp op, float[] x, int xo, float[] y, int yo, int ystep, float[] out, int oo, int n) {
        int bound = FS.loopBound(n);
        FloatVector zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        switch (op) {
            case EQ -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.EQ, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case NE -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.NE, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case LT -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.LT, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case LE -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.LE, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case GT -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.GT, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case GE -> {
                for (int i = 0, j = yo; i < bound; i += FL, j += ystep) {
                    VectorMask<Float> mask = FloatVector.fromArray(FS, x, xo + i)
                            .compare(VectorOperators.GE, FloatVector.fromArray(FS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
        }
        return bound;
    }

    @Override
    void compareD(CompareOp op, double[] x, int xo, int sx, double[] y, int yo, int sy, double[] out, int oo, int n) {
        int done = 0;
        if (sx == 1 && sy == 1) {
            done = compareD(op, x, xo, y, yo, DL, out, oo, n);
        } else if (sx == 1 && sy == 0) {
            done = compareD(op, x, xo, copies(y[yo]), 0, 0, out, oo, n);
        } else if (sx == 0 && sy == 1) {
            done = compareD(mirror(op), y, yo, copies(x[xo]), 0, 0, out, oo, n);
        }
        super.compareD(op, x, xo + done * sx, sx, y, yo + done * sy, sy, out, oo + done, n - done);
    }

    private static double[] copies(double s) {
        double[] v = new double[DL];
        java.util.Arrays.fill(v, s);
        return v;
    }

    private static int compareD(
            CompareOp op, double[] x, int xo, double[] y, int yo, int ystep, double[] out, int oo, int n) {
        int bound = DS.loopBound(n);
        DoubleVector zero = DoubleVector.zero(DS);
        DoubleVector one = DoubleVector.broadcast(DS, 1.0);
        switch (op) {
            case EQ -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.EQ, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case NE -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.NE, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case LT -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.LT, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case LE -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.LE, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case GT -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.GT, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
            case GE -> {
                for (int i = 0, j = yo; i < bound; i += DL, j += ystep) {
                    VectorMask<Double> mask = DoubleVector.fromArray(DS, x, xo + i)
                            .compare(VectorOperators.GE, DoubleVector.fromArray(DS, y, j));
                    zero.blend(one, mask).intoArray(out, oo + i);
                }
            }
        }
        return bound;
    }

    /** The comparison with its operands swapped. */
    private static CompareOp mirror(CompareOp op) {
        return switch (op) {
            case EQ, NE -> op;
            case LT -> CompareOp.GT;
            case LE -> CompareOp.GE;
            case GT -> CompareOp.LT;
            case GE -> CompareOp.LE;
        };
    }

    @Override
    void whereF(float[] c, float[] t, float[] f, float[] out, int from, int to) {
        int i = from;
        int bound = from + FS.loopBound(to - from);
        FloatVector zero = FloatVector.zero(FS);
        for (; i < bound; i += FL) {
            VectorMask<Float> yes = FloatVector.fromArray(FS, c, i).compare(VectorOperators.NE, zero);
            FloatVector.fromArray(FS, f, i)
                    .blend(FloatVector.fromArray(FS, t, i), yes)
                    .intoArray(out, i);
        }
        super.whereF(c, t, f, out, i, to);
    }

    @Override
    void whereD(double[] c, double[] t, double[] f, double[] out, int from, int to) {
        int i = from;
        int bound = from + DS.loopBound(to - from);
        DoubleVector zero = DoubleVector.zero(DS);
        for (; i < bound; i += DL) {
            VectorMask<Double> yes = DoubleVector.fromArray(DS, c, i).compare(VectorOperators.NE, zero);
            DoubleVector.fromArray(DS, f, i)
                    .blend(DoubleVector.fromArray(DS, t, i), yes)
                    .intoArray(out, i);
        }
        super.whereD(c, t, f, out, i, to);
    }

    // ---- Adam ------------------------------------------------------------------------------

    /**
     * One method per loop: C2 stops intrinsifying Vector API calls when a method's graph grows
     * past its node budget, and a method with both loops lost its last store that way (every
     * vector of the loop was then boxed on the heap).
     */
    @Override
    void adamF(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamConstants k) {
        int bound = from + FS.loopBound(to - from);
        if (k.decay() != 0) {
            adamDecayF(p, g, m, v, from, bound, k);
        } else {
            adamPlainF(p, g, m, v, from, bound, k);
        }
        super.adamF(p, g, m, v, bound, to, k);
    }

    private static void adamPlainF(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamConstants k) {
        FloatVector b1 = FloatVector.broadcast(FS, (float) k.beta1());
        FloatVector nb1 = FloatVector.broadcast(FS, (float) k.oneMinusBeta1());
        FloatVector b2 = FloatVector.broadcast(FS, (float) k.beta2());
        FloatVector nb2 = FloatVector.broadcast(FS, (float) k.oneMinusBeta2());
        FloatVector c1 = FloatVector.broadcast(FS, (float) k.firstCorrection());
        FloatVector c2 = FloatVector.broadcast(FS, (float) k.secondCorrection());
        FloatVector eps = FloatVector.broadcast(FS, (float) k.epsilon());
        FloatVector lr = FloatVector.broadcast(FS, (float) k.rate());
        FloatVector sc = FloatVector.broadcast(FS, (float) k.gradScale());
        for (int i = from; i < to; i += FL) {
            FloatVector gi = FloatVector.fromArray(FS, g, i).mul(sc);
            FloatVector mi = FloatVector.fromArray(FS, m, i).mul(b1).add(gi.mul(nb1));
            FloatVector vi =
                    FloatVector.fromArray(FS, v, i).mul(b2).add(gi.mul(gi).mul(nb2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector.fromArray(FS, p, i)
                    .sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr))
                    .intoArray(p, i);
        }
    }

    private static void adamDecayF(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamConstants k) {
        FloatVector wd = FloatVector.broadcast(FS, (float) k.decay());
        FloatVector b1 = FloatVector.broadcast(FS, (float) k.beta1());
        FloatVector nb1 = FloatVector.broadcast(FS, (float) k.oneMinusBeta1());
        FloatVector b2 = FloatVector.broadcast(FS, (float) k.beta2());
        FloatVector nb2 = FloatVector.broadcast(FS, (float) k.oneMinusBeta2());
        FloatVector c1 = FloatVector.broadcast(FS, (float) k.firstCorrection());
        FloatVector c2 = FloatVector.broadcast(FS, (float) k.secondCorrection());
        FloatVector eps = FloatVector.broadcast(FS, (float) k.epsilon());
        FloatVector lr = FloatVector.broadcast(FS, (float) k.rate());
        FloatVector sc = FloatVector.broadcast(FS, (float) k.gradScale());
        for (int i = from; i < to; i += FL) {
            FloatVector pi = FloatVector.fromArray(FS, p, i);
            FloatVector gi = FloatVector.fromArray(FS, g, i).mul(sc).add(pi.mul(wd));
            FloatVector mi = FloatVector.fromArray(FS, m, i).mul(b1).add(gi.mul(nb1));
            FloatVector vi =
                    FloatVector.fromArray(FS, v, i).mul(b2).add(gi.mul(gi).mul(nb2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            pi.sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr)).intoArray(p, i);
        }
    }

    @Override
    void adamD(double[] p, double[] g, double[] m, double[] v, int from, int to, AdamConstants k) {
        int bound = from + DS.loopBound(to - from);
        if (k.decay() != 0) {
            adamDecayD(p, g, m, v, from, bound, k);
        } else {
            adamPlainD(p, g, m, v, from, bound, k);
        }
        super.adamD(p, g, m, v, bound, to, k);
    }

    private static void adamPlainD(double[] p, double[] g, double[] m, double[] v, int from, int to, AdamConstants k) {
        DoubleVector b1 = DoubleVector.broadcast(DS, k.beta1());
        DoubleVector nb1 = DoubleVector.broadcast(DS, k.oneMinusBeta1());
        DoubleVector b2 = DoubleVector.broadcast(DS, k.beta2());
        DoubleVector nb2 = DoubleVector.broadcast(DS, k.oneMinusBeta2());
        DoubleVector c1 = DoubleVector.broadcast(DS, k.firstCorrection());
        DoubleVector c2 = DoubleVector.broadcast(DS, k.secondCorrection());
        DoubleVector eps = DoubleVector.broadcast(DS, k.epsilon());
        DoubleVector lr = DoubleVector.broadcast(DS, k.rate());
        DoubleVector sc = DoubleVector.broadcast(DS, k.gradScale());
        for (int i = from; i < to; i += DL) {
            DoubleVector gi = DoubleVector.fromArray(DS, g, i).mul(sc);
            DoubleVector mi = DoubleVector.fromArray(DS, m, i).mul(b1).add(gi.mul(nb1));
            DoubleVector vi =
                    DoubleVector.fromArray(DS, v, i).mul(b2).add(gi.mul(gi).mul(nb2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            DoubleVector.fromArray(DS, p, i)
                    .sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr))
                    .intoArray(p, i);
        }
    }

    private static void adamDecayD(double[] p, double[] g, double[] m, double[] v, int from, int to, AdamConstants k) {
        DoubleVector wd = DoubleVector.broadcast(DS, k.decay());
        DoubleVector b1 = DoubleVector.broadcast(DS, k.beta1());
        DoubleVector nb1 = DoubleVector.broadcast(DS, k.oneMinusBeta1());
        DoubleVector b2 = DoubleVector.broadcast(DS, k.beta2());
        DoubleVector nb2 = DoubleVector.broadcast(DS, k.oneMinusBeta2());
        DoubleVector c1 = DoubleVector.broadcast(DS, k.firstCorrection());
        DoubleVector c2 = DoubleVector.broadcast(DS, k.secondCorrection());
        DoubleVector eps = DoubleVector.broadcast(DS, k.epsilon());
        DoubleVector lr = DoubleVector.broadcast(DS, k.rate());
        DoubleVector sc = DoubleVector.broadcast(DS, k.gradScale());
        for (int i = from; i < to; i += DL) {
            DoubleVector pi = DoubleVector.fromArray(DS, p, i);
            DoubleVector gi = DoubleVector.fromArray(DS, g, i).mul(sc).add(pi.mul(wd));
            DoubleVector mi = DoubleVector.fromArray(DS, m, i).mul(b1).add(gi.mul(nb1));
            DoubleVector vi =
                    DoubleVector.fromArray(DS, v, i).mul(b2).add(gi.mul(gi).mul(nb2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            pi.sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr)).intoArray(p, i);
        }
    }

    /**
     * Squares summed in lanes, in runs of at most {@link #SQUARES_RUN} vectors, each run's lanes
     * added into a double: a lane adds up at most that many float squares before the sum widens.
     */
    private static final int SQUARES_RUN = 64;

    @Override
    double sumSquaresF(float[] a, int from, int to) {
        int bound = from + FS.loopBound(to - from);
        double s = 0;
        for (int i = from; i < bound; ) {
            int end = Math.min(bound, i + SQUARES_RUN * FL);
            s += squaresRunF(a, i, end);
            i = end;
        }
        return s + super.sumSquaresF(a, bound, to);
    }

    private static double squaresRunF(float[] a, int from, int to) {
        FloatVector acc = FloatVector.zero(FS);
        for (int i = from; i < to; i += FL) {
            FloatVector x = FloatVector.fromArray(FS, a, i);
            acc = acc.add(x.mul(x));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    double sumSquaresD(double[] a, int from, int to) {
        int bound = from + DS.loopBound(to - from);
        double s = 0;
        for (int i = from; i < bound; ) {
            int end = Math.min(bound, i + SQUARES_RUN * DL);
            s += squaresRunD(a, i, end);
            i = end;
        }
        return s + super.sumSquaresD(a, bound, to);
    }

    private static double squaresRunD(double[] a, int from, int to) {
        DoubleVector acc = DoubleVector.zero(DS);
        for (int i = from; i < to; i += DL) {
            DoubleVector x = DoubleVector.fromArray(DS, a, i);
            acc = acc.add(x.mul(x));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ---- outer and skinny products ------------------------------------------------------------

    /** A row of B contiguous: a broadcast of {@code a_i} times vectors of B, then added to C or to 0, as the scalar code rounds. */
    @Override
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
        if (bs != 1) {
            super.outerF(m, n, a, ao, as, b, bo, bs, c, co, ldc, add);
            return;
        }
        int nb = FS.loopBound(n);
        for (int i = 0; i < m; i++) {
            float ai = a[ao + i * as];
            FloatVector av = FloatVector.broadcast(FS, ai);
            int ci = co + i * ldc;
            for (int j = 0; j < nb; j += FL) {
                FloatVector prod = FloatVector.fromArray(FS, b, bo + j).mul(av);
                FloatVector old = add ? FloatVector.fromArray(FS, c, ci + j) : FloatVector.zero(FS);
                old.add(prod).intoArray(c, ci + j);
            }
            for (int j = nb; j < n; j++) {
                c[ci + j] = (add ? c[ci + j] : 0f) + ai * b[bo + j];
            }
        }
    }

    /**
     * Both transposes of A, any B. Without a transposed A, each element is a dot product of a row
     * of A and a column of B along k: vectors of products summed lane by lane, the lanes then
     * added in a fixed tree ({@link #sumLanes}), the ragged end of k after them. With one, the
     * rows of C are contiguous in A's rows, so a vector of rows takes each step of k at once, one
     * fused multiply-add per lane, in order from 0. Either way an element's sum depends on k and
     * the vector width only, not on m.
     */
    @Override
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
        if (ta) {
            skinnyColumnsF(m, n, k, a, ao, lda, b, bo, ldb, tb, c, co, ldc, add);
            return true;
        }
        // the columns of B as rows of k (B^T), contiguous along k
        float[] bt = b;
        int bto = bo;
        int ldbt = ldb;
        if (!tb) {
            bt = Buffers.get().floats(Buffers.SKINNY, n * k);
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    bt[j * k + p] = b[bo + p * ldb + j];
                }
            }
            bto = 0;
            ldbt = k;
        }
        int kb = FS.loopBound(k);
        for (int i = 0; i < m; i++) {
            int ai = ao + i * lda;
            for (int j = 0; j < n; j++) {
                int bj = bto + j * ldbt;
                FloatVector acc = FloatVector.zero(FS);
                for (int p = 0; p < kb; p += FL) {
                    acc = FloatVector.fromArray(FS, a, ai + p).fma(FloatVector.fromArray(FS, bt, bj + p), acc);
                }
                float s = sumLanes(acc);
                for (int p = kb; p < k; p++) {
                    s = Math.fma(a[ai + p], bt[bj + p], s);
                }
                int at = co + i * ldc + j;
                c[at] = add ? c[at] + s : s;
            }
        }
        return true;
    }

    /**
     * The lanes of {@code v} added in a fixed order: each halving adds lane {@code i ^ h} to lane
     * {@code i}, for {@code h = FL/2, ..., 1}, and lane 0 holds the total. Unlike
     * {@code reduceLanes}, whose order the JIT may choose, this gives the same bits compiled or
     * not.
     */
    private static float sumLanes(FloatVector v) {
        if (FL > 8) {
            v = v.add(v.rearrange(SWAP8));
        }
        if (FL > 4) {
            v = v.add(v.rearrange(SWAP4));
        }
        v = v.add(v.rearrange(SWAP2));
        v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    /**
     * {@link #skinnyF} with A transposed: {@code C[i, j] = sum_p A[p, i] B(p, j)}, A's row
     * {@code p} holding the rows of C side by side. Four vectors of rows at a time (four
     * independent chains of fused multiply-adds), then one, then single rows with
     * {@link Math#fma}, which rounds as a lane does.
     */
    private static void skinnyColumnsF(
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        float[] lanes = Buffers.get().floats(Buffers.TILE, 4 * FL);
        int bs = tb ? 1 : ldb; // the step of k along a column of B
        for (int j = 0; j < n; j++) {
            int bj = bo + (tb ? j * ldb : j);
            int i = 0;
            for (; i + 4 * FL <= m; i += 4 * FL) {
                FloatVector c0 = FloatVector.zero(FS);
                FloatVector c1 = c0;
                FloatVector c2 = c0;
                FloatVector c3 = c0;
                for (int p = 0, x = ao + i, y = bj; p < k; p++, x += lda, y += bs) {
                    FloatVector v = FloatVector.broadcast(FS, b[y]);
                    c0 = FloatVector.fromArray(FS, a, x).fma(v, c0);
                    c1 = FloatVector.fromArray(FS, a, x + FL).fma(v, c1);
                    c2 = FloatVector.fromArray(FS, a, x + 2 * FL).fma(v, c2);
                    c3 = FloatVector.fromArray(FS, a, x + 3 * FL).fma(v, c3);
                }
                c0.intoArray(lanes, 0);
                c1.intoArray(lanes, FL);
                c2.intoArray(lanes, 2 * FL);
                c3.intoArray(lanes, 3 * FL);
                storeColumn(lanes, 4 * FL, c, co + i * ldc + j, ldc, add);
            }
            for (; i + FL <= m; i += FL) {
                FloatVector c0 = FloatVector.zero(FS);
                for (int p = 0, x = ao + i, y = bj; p < k; p++, x += lda, y += bs) {
                    c0 = FloatVector.fromArray(FS, a, x).fma(FloatVector.broadcast(FS, b[y]), c0);
                }
                c0.intoArray(lanes, 0);
                storeColumn(lanes, FL, c, co + i * ldc + j, ldc, add);
            }
            for (; i < m; i++) {
                float s = 0;
                for (int p = 0, x = ao + i, y = bj; p < k; p++, x += lda, y += bs) {
                    s = Math.fma(a[x], b[y], s);
                }
                int at = co + i * ldc + j;
                c[at] = add ? c[at] + s : s;
            }
        }
    }

    /** {@code c[at + r ldc] (+)= sums[r]} for {@code r < count}: a run of a column of C. */
    private static void storeColumn(float[] sums, int count, float[] c, int at, int ldc, boolean add) {
        for (int r = 0; r < count; r++, at += ldc) {
            c[at] = add ? c[at] + sums[r] : sums[r];
        }
    }
}
