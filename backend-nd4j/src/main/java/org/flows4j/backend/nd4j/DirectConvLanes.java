package org.flows4j.backend.nd4j;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link DirectConv}, naming the Vector API (loaded only once
 * {@link DirectKernels#available()} has found it). They are backend-cpu's {@code conv4F} and
 * {@code convWeight4F} ({@code VectorKernels}) over the same padded-width layout: backend-cpu
 * cannot be a dependency of this module, nor this of it, so the two short loops are kept in
 * both; a change to one belongs in the other.
 */
final class DirectConvLanes {

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    /** Floats in a vector; at most 64 ({@code DirectConv}'s slack). */
    static final int LANES = FL;

    private DirectConvLanes() {}

    /**
     * {@code out[r q1 + q] = sum_t wb[wo + 4 t + r] xp[off[t] + q]} for the four rows {@code r}
     * and {@code q} in {@code [0, q1)} ({@code q1} a multiple of the vector length).
     */
    static void conv4(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1) {
        for (int q = 0; q < q1; q += FL) {
            conv4At(xp, off, taps, wb, wo, out, q1, q);
        }
    }

    /**
     * One vector of positions of {@link #conv4}: four accumulators in registers over every tap.
     * The same loop as backend-cpu's {@code VectorKernels.conv4Vector} (no module may serve both).
     */
    private static void conv4At(float[] xp, int[] off, int taps, float[] wb, int wo, float[] out, int q1, int q) {
        FloatVector s0 = FloatVector.zero(FS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int wi = wo;
        for (int t = 0; t < taps; t++) {
            FloatVector v = FloatVector.fromArray(FS, xp, off[t] + q);
            s0 = v.fma(FloatVector.broadcast(FS, wb[wi]), s0);
            s1 = v.fma(FloatVector.broadcast(FS, wb[wi + 1]), s1);
            s2 = v.fma(FloatVector.broadcast(FS, wb[wi + 2]), s2);
            s3 = v.fma(FloatVector.broadcast(FS, wb[wi + 3]), s3);
            wi += 4;
        }
        s0.intoArray(out, q);
        s1.intoArray(out, q + q1);
        s2.intoArray(out, q + 2 * q1);
        s3.intoArray(out, q + 3 * q1);
    }

    /**
     * {@code acc[ao + 4 t + r] += sum_q gp[r q1 + q] xp[off[t] + q]} for every tap {@code t} and
     * the four rows {@code r}. The lanes of each sum are added in order from an array, not with
     * {@code reduceLanes}, whose order may differ between compiled and interpreted code: the
     * result must not depend on when the JIT compiler finished.
     */
    static void weight4(float[] xp, int[] off, int taps, float[] gp, int q1, float[] acc, int ao) {
        float[] lanes = new float[4 * FL];
        for (int t = 0; t < taps; t++) {
            weight4Tap(xp, off[t], gp, q1, lanes);
            for (int r = 0; r < 4; r++) {
                float s = 0;
                for (int l = r * FL; l < (r + 1) * FL; l++) {
                    s += lanes[l];
                }
                acc[ao + 4 * t + r] += s;
            }
        }
    }

    /**
     * One tap of {@link #weight4}: four vectors of partial sums into {@code lanes}. The same loop as
     * a single-tap pass of backend-cpu's {@code VectorKernels.convWeight4F} (no module may serve
     * both), which since adds its lanes into the accumulator instead of summing them per tap.
     */
    private static void weight4Tap(float[] xp, int xo, float[] gp, int q1, float[] lanes) {
        FloatVector s0 = FloatVector.zero(FS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int q = 0; q < q1; q += FL) {
            FloatVector v = FloatVector.fromArray(FS, xp, xo + q);
            s0 = FloatVector.fromArray(FS, gp, q).fma(v, s0);
            s1 = FloatVector.fromArray(FS, gp, q + q1).fma(v, s1);
            s2 = FloatVector.fromArray(FS, gp, q + 2 * q1).fma(v, s2);
            s3 = FloatVector.fromArray(FS, gp, q + 3 * q1).fma(v, s3);
        }
        s0.intoArray(lanes, 0);
        s1.intoArray(lanes, FL);
        s2.intoArray(lanes, 2 * FL);
        s3.intoArray(lanes, 3 * FL);
    }

    /** Vectors of input channels that {@link #outer2} keeps per row; {@code xt}'s rows are whole multiples of them. */
    static final int OUTER_VECTORS = 4;

    /**
     * {@code acc[(r0 + r) ci1 + ci] += sum_{p < np} g[(r0 + r) np + p] xt[p ci1 + ci]} for the two
     * rows {@code r} and {@code ci} in {@code [c0, c0 + 4 LANES)}: the weight gradient of a 1x1
     * kernel as a product with the channels along the vectors, the positions in order, so no
     * lanes are ever added across.
     */
    static void outer2(float[] g, int r0, int np, float[] xt, int ci1, int c0, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(FS, acc, r0 * ci1 + c0);
        FloatVector a1 = FloatVector.fromArray(FS, acc, r0 * ci1 + c0 + FL);
        FloatVector a2 = FloatVector.fromArray(FS, acc, r0 * ci1 + c0 + 2 * FL);
        FloatVector a3 = FloatVector.fromArray(FS, acc, r0 * ci1 + c0 + 3 * FL);
        FloatVector b0 = FloatVector.fromArray(FS, acc, (r0 + 1) * ci1 + c0);
        FloatVector b1 = FloatVector.fromArray(FS, acc, (r0 + 1) * ci1 + c0 + FL);
        FloatVector b2 = FloatVector.fromArray(FS, acc, (r0 + 1) * ci1 + c0 + 2 * FL);
        FloatVector b3 = FloatVector.fromArray(FS, acc, (r0 + 1) * ci1 + c0 + 3 * FL);
        int ga = r0 * np;
        int gb = ga + np;
        for (int p = 0, xo = c0; p < np; p++, xo += ci1) {
            FloatVector x0 = FloatVector.fromArray(FS, xt, xo);
            FloatVector x1 = FloatVector.fromArray(FS, xt, xo + FL);
            FloatVector x2 = FloatVector.fromArray(FS, xt, xo + 2 * FL);
            FloatVector x3 = FloatVector.fromArray(FS, xt, xo + 3 * FL);
            FloatVector ua = FloatVector.broadcast(FS, g[ga + p]);
            FloatVector ub = FloatVector.broadcast(FS, g[gb + p]);
            a0 = x0.fma(ua, a0);
            a1 = x1.fma(ua, a1);
            a2 = x2.fma(ua, a2);
            a3 = x3.fma(ua, a3);
            b0 = x0.fma(ub, b0);
            b1 = x1.fma(ub, b1);
            b2 = x2.fma(ub, b2);
            b3 = x3.fma(ub, b3);
        }
        a0.intoArray(acc, r0 * ci1 + c0);
        a1.intoArray(acc, r0 * ci1 + c0 + FL);
        a2.intoArray(acc, r0 * ci1 + c0 + 2 * FL);
        a3.intoArray(acc, r0 * ci1 + c0 + 3 * FL);
        b0.intoArray(acc, (r0 + 1) * ci1 + c0);
        b1.intoArray(acc, (r0 + 1) * ci1 + c0 + FL);
        b2.intoArray(acc, (r0 + 1) * ci1 + c0 + 2 * FL);
        b3.intoArray(acc, (r0 + 1) * ci1 + c0 + 3 * FL);
    }
}
