package org.flows4j.backend.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops of {@link DirectElementwise}, naming the Vector API (loaded only once
 * {@link DirectAdam#available()} has found it). Whole vectors run in lanes and the last few
 * elements the same arithmetic on scalars; each loop is its own small method, so that C2 keeps
 * every vector in a register.
 */
final class DirectElementwiseLanes {

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private DirectElementwiseLanes() {}

    /** +-1 off zero, +0 at zeros, the value itself (NaN) at NaN; the lanes blend the same way, starting from the value. */
    private static float sign(float v) {
        return v > 0 ? 1f : v < 0 ? -1f : v == 0 ? 0f : v;
    }

    private static double sign(double v) {
        return v > 0 ? 1.0 : v < 0 ? -1.0 : v == 0 ? 0.0 : v;
    }

    static void signFloats(ByteBuffer in, ByteBuffer out, int n, ByteOrder order) {
        int bound = FS.loopBound(n);
        for (int i = 0; i < bound; i += FS.length()) {
            FloatVector v = FloatVector.fromByteBuffer(FS, in, 4 * i, order);
            v.blend(1f, v.compare(VectorOperators.GT, 0f))
                    .blend(-1f, v.compare(VectorOperators.LT, 0f))
                    .blend(0f, v.compare(VectorOperators.EQ, 0f))
                    .intoByteBuffer(out, 4 * i, order);
        }
        for (int i = bound; i < n; i++) {
            out.putFloat(4 * i, sign(in.getFloat(4 * i)));
        }
    }

    static void signDoubles(ByteBuffer in, ByteBuffer out, int n, ByteOrder order) {
        int bound = DS.loopBound(n);
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector v = DoubleVector.fromByteBuffer(DS, in, 8 * i, order);
            v.blend(1.0, v.compare(VectorOperators.GT, 0.0))
                    .blend(-1.0, v.compare(VectorOperators.LT, 0.0))
                    .blend(0.0, v.compare(VectorOperators.EQ, 0.0))
                    .intoByteBuffer(out, 8 * i, order);
        }
        for (int i = bound; i < n; i++) {
            out.putDouble(8 * i, sign(in.getDouble(8 * i)));
        }
    }

    static void reluBackwardFloats(ByteBuffer g, ByteBuffer y, ByteBuffer out, int n, ByteOrder order) {
        int bound = FS.loopBound(n);
        for (int i = 0; i < bound; i += FS.length()) {
            // the sign of y written out (see signFloats): a vector passed to a helper may be boxed
            FloatVector v = FloatVector.fromByteBuffer(FS, y, 4 * i, order);
            FloatVector s = v.blend(1f, v.compare(VectorOperators.GT, 0f))
                    .blend(-1f, v.compare(VectorOperators.LT, 0f))
                    .blend(0f, v.compare(VectorOperators.EQ, 0f));
            FloatVector.fromByteBuffer(FS, g, 4 * i, order).mul(s).intoByteBuffer(out, 4 * i, order);
        }
        for (int i = bound; i < n; i++) {
            out.putFloat(4 * i, g.getFloat(4 * i) * sign(y.getFloat(4 * i)));
        }
    }

    static void reluBackwardDoubles(ByteBuffer g, ByteBuffer y, ByteBuffer out, int n, ByteOrder order) {
        int bound = DS.loopBound(n);
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector v = DoubleVector.fromByteBuffer(DS, y, 8 * i, order);
            DoubleVector s = v.blend(1.0, v.compare(VectorOperators.GT, 0.0))
                    .blend(-1.0, v.compare(VectorOperators.LT, 0.0))
                    .blend(0.0, v.compare(VectorOperators.EQ, 0.0));
            DoubleVector.fromByteBuffer(DS, g, 8 * i, order).mul(s).intoByteBuffer(out, 8 * i, order);
        }
        for (int i = bound; i < n; i++) {
            out.putDouble(8 * i, g.getDouble(8 * i) * sign(y.getDouble(8 * i)));
        }
    }
}
