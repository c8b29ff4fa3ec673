package org.flows4j.backend.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.flows4j.api.backend.AdamStep;

/**
 * The loops of {@link DirectAdam} and {@link DirectSquares}, the only class of this module that
 * names the Vector API: it is loaded once {@link DirectAdam} has found the incubator module. Whole vectors run in lanes;
 * the last few elements run the same arithmetic on scalars, which Java rounds exactly as a lane.
 * Each loop is its own small method, so that C2 keeps every vector in a register.
 */
final class DirectAdamLanes {

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private DirectAdamLanes() {}

    static void updateFloats(
            ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, AdamStep s, ByteOrder order) {
        float sc = (float) s.gradScale();
        float wd = (float) s.weightDecay();
        float b1 = (float) s.beta1();
        float nb1 = (float) (1 - s.beta1());
        float b2 = (float) s.beta2();
        float nb2 = (float) (1 - s.beta2());
        float c1 = (float) s.firstBiasCorrection();
        float c2 = (float) s.secondBiasCorrection();
        float eps = (float) s.epsilon();
        float lr = (float) s.learningRate();
        int bound = FS.loopBound(n);
        if (wd != 0) {
            floatsDecay(p, g, m, v, bound, order, sc, wd, b1, nb1, b2, nb2, c1, c2, eps, lr);
        } else {
            floats(p, g, m, v, bound, order, sc, b1, nb1, b2, nb2, c1, c2, eps, lr);
        }
        for (int i = bound; i < n; i++) {
            int at = 4 * i;
            float pi = p.getFloat(at);
            float gi = wd != 0 ? g.getFloat(at) * sc + pi * wd : g.getFloat(at) * sc;
            float mi = m.getFloat(at) * b1 + gi * nb1;
            float vi = v.getFloat(at) * b2 + (gi * gi) * nb2;
            m.putFloat(at, mi);
            v.putFloat(at, vi);
            p.putFloat(at, pi - (mi / c1) / ((float) Math.sqrt(vi / c2) + eps) * lr);
        }
    }

    private static void floats(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int bound,
            ByteOrder order,
            float sc,
            float b1,
            float nb1,
            float b2,
            float nb2,
            float c1,
            float c2,
            float eps,
            float lr) {
        for (int i = 0; i < bound; i += FS.length()) {
            int at = 4 * i;
            FloatVector gi = FloatVector.fromByteBuffer(FS, g, at, order).mul(sc);
            FloatVector mi =
                    FloatVector.fromByteBuffer(FS, m, at, order).mul(b1).add(gi.mul(nb1));
            FloatVector vi = FloatVector.fromByteBuffer(FS, v, at, order)
                    .mul(b2)
                    .add(gi.mul(gi).mul(nb2));
            mi.intoByteBuffer(m, at, order);
            vi.intoByteBuffer(v, at, order);
            FloatVector.fromByteBuffer(FS, p, at, order)
                    .sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr))
                    .intoByteBuffer(p, at, order);
        }
    }

    private static void floatsDecay(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int bound,
            ByteOrder order,
            float sc,
            float wd,
            float b1,
            float nb1,
            float b2,
            float nb2,
            float c1,
            float c2,
            float eps,
            float lr) {
        for (int i = 0; i < bound; i += FS.length()) {
            int at = 4 * i;
            FloatVector pi = FloatVector.fromByteBuffer(FS, p, at, order);
            FloatVector gi =
                    FloatVector.fromByteBuffer(FS, g, at, order).mul(sc).add(pi.mul(wd));
            FloatVector mi =
                    FloatVector.fromByteBuffer(FS, m, at, order).mul(b1).add(gi.mul(nb1));
            FloatVector vi = FloatVector.fromByteBuffer(FS, v, at, order)
                    .mul(b2)
                    .add(gi.mul(gi).mul(nb2));
            mi.intoByteBuffer(m, at, order);
            vi.intoByteBuffer(v, at, order);
            pi.sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr)).intoByteBuffer(p, at, order);
        }
    }

    static void updateDoubles(
            ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, AdamStep s, ByteOrder order) {
        double sc = s.gradScale();
        double wd = s.weightDecay();
        double b1 = s.beta1();
        double nb1 = 1 - s.beta1();
        double b2 = s.beta2();
        double nb2 = 1 - s.beta2();
        double c1 = s.firstBiasCorrection();
        double c2 = s.secondBiasCorrection();
        double eps = s.epsilon();
        double lr = s.learningRate();
        int bound = DS.loopBound(n);
        if (wd != 0) {
            doublesDecay(p, g, m, v, bound, order, sc, wd, b1, nb1, b2, nb2, c1, c2, eps, lr);
        } else {
            doubles(p, g, m, v, bound, order, sc, b1, nb1, b2, nb2, c1, c2, eps, lr);
        }
        for (int i = bound; i < n; i++) {
            int at = 8 * i;
            double pi = p.getDouble(at);
            double gi = wd != 0 ? g.getDouble(at) * sc + pi * wd : g.getDouble(at) * sc;
            double mi = m.getDouble(at) * b1 + gi * nb1;
            double vi = v.getDouble(at) * b2 + (gi * gi) * nb2;
            m.putDouble(at, mi);
            v.putDouble(at, vi);
            p.putDouble(at, pi - (mi / c1) / (Math.sqrt(vi / c2) + eps) * lr);
        }
    }

    private static void doubles(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int bound,
            ByteOrder order,
            double sc,
            double b1,
            double nb1,
            double b2,
            double nb2,
            double c1,
            double c2,
            double eps,
            double lr) {
        for (int i = 0; i < bound; i += DS.length()) {
            int at = 8 * i;
            DoubleVector gi = DoubleVector.fromByteBuffer(DS, g, at, order).mul(sc);
            DoubleVector mi =
                    DoubleVector.fromByteBuffer(DS, m, at, order).mul(b1).add(gi.mul(nb1));
            DoubleVector vi = DoubleVector.fromByteBuffer(DS, v, at, order)
                    .mul(b2)
                    .add(gi.mul(gi).mul(nb2));
            mi.intoByteBuffer(m, at, order);
            vi.intoByteBuffer(v, at, order);
            DoubleVector.fromByteBuffer(DS, p, at, order)
                    .sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr))
                    .intoByteBuffer(p, at, order);
        }
    }

    private static void doublesDecay(
            ByteBuffer p,
            ByteBuffer g,
            ByteBuffer m,
            ByteBuffer v,
            int bound,
            ByteOrder order,
            double sc,
            double wd,
            double b1,
            double nb1,
            double b2,
            double nb2,
            double c1,
            double c2,
            double eps,
            double lr) {
        for (int i = 0; i < bound; i += DS.length()) {
            int at = 8 * i;
            DoubleVector pi = DoubleVector.fromByteBuffer(DS, p, at, order);
            DoubleVector gi =
                    DoubleVector.fromByteBuffer(DS, g, at, order).mul(sc).add(pi.mul(wd));
            DoubleVector mi =
                    DoubleVector.fromByteBuffer(DS, m, at, order).mul(b1).add(gi.mul(nb1));
            DoubleVector vi = DoubleVector.fromByteBuffer(DS, v, at, order)
                    .mul(b2)
                    .add(gi.mul(gi).mul(nb2));
            mi.intoByteBuffer(m, at, order);
            vi.intoByteBuffer(v, at, order);
            pi.sub(mi.div(c1).div(vi.div(c2).sqrt().add(eps)).mul(lr)).intoByteBuffer(p, at, order);
        }
    }

    /** Vectors per run of {@link #sumSquaresFloats}: a lane adds up at most this many float squares. */
    private static final int SQUARES_RUN = 64;

    static double sumSquaresFloats(ByteBuffer a, int n, ByteOrder order) {
        int bound = FS.loopBound(n);
        double s = 0;
        for (int i = 0; i < bound; ) {
            int end = Math.min(bound, i + SQUARES_RUN * FS.length());
            s += squaresRunFloats(a, i, end, order);
            i = end;
        }
        for (int i = bound; i < n; i++) {
            float x = a.getFloat(4 * i);
            s += x * x;
        }
        return s;
    }

    private static double squaresRunFloats(ByteBuffer a, int from, int to, ByteOrder order) {
        FloatVector acc = FloatVector.zero(FS);
        for (int i = from; i < to; i += FS.length()) {
            FloatVector x = FloatVector.fromByteBuffer(FS, a, 4 * i, order);
            acc = acc.add(x.mul(x));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static double sumSquaresDoubles(ByteBuffer a, int n, ByteOrder order) {
        int bound = DS.loopBound(n);
        double s = 0;
        for (int i = 0; i < bound; ) {
            int end = Math.min(bound, i + SQUARES_RUN * DS.length());
            s += squaresRunDoubles(a, i, end, order);
            i = end;
        }
        for (int i = bound; i < n; i++) {
            double x = a.getDouble(8 * i);
            s += x * x;
        }
        return s;
    }

    private static double squaresRunDoubles(ByteBuffer a, int from, int to, ByteOrder order) {
        DoubleVector acc = DoubleVector.zero(DS);
        for (int i = from; i < to; i += DS.length()) {
            DoubleVector x = DoubleVector.fromByteBuffer(DS, a, 8 * i, order);
            acc = acc.add(x.mul(x));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
