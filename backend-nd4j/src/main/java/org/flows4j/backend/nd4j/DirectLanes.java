package org.flows4j.backend.nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops of {@link DirectKernels}, the only class of this backend that names the Vector API: it
 * is loaded once {@link DirectKernels} has found the incubator module. Whole vectors run in lanes;
 * the last few elements run the same arithmetic on scalars, which Java rounds exactly as a lane.
 * Each loop is its own small method, so that C2 keeps every vector in a register.
 */
final class DirectLanes {

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private DirectLanes() {}

    static boolean hasNaNFloats(ByteBuffer data, int n, ByteOrder order) {
        int bound = FS.loopBound(n);
        for (int i = 0; i < bound; i += FS.length()) {
            FloatVector v = FloatVector.fromByteBuffer(FS, data, 4 * i, order);
            if (v.compare(VectorOperators.NE, v).anyTrue()) {
                return true;
            }
        }
        for (int i = bound; i < n; i++) {
            if (Float.isNaN(data.getFloat(4 * i))) {
                return true;
            }
        }
        return false;
    }

    static boolean hasNaNDoubles(ByteBuffer data, int n, ByteOrder order) {
        int bound = DS.loopBound(n);
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector v = DoubleVector.fromByteBuffer(DS, data, 8 * i, order);
            if (v.compare(VectorOperators.NE, v).anyTrue()) {
                return true;
            }
        }
        for (int i = bound; i < n; i++) {
            if (Double.isNaN(data.getDouble(8 * i))) {
                return true;
            }
        }
        return false;
    }

    static final int ADD = 0;
    static final int SUB = 1;
    static final int MUL = 2;

    static void binaryFloats(int op, ByteBuffer x, ByteBuffer y, ByteBuffer out, int n, ByteOrder order) {
        int bound = FS.loopBound(n);
        switch (op) {
            case ADD -> addFloats(x, y, out, bound, order);
            case SUB -> subFloats(x, y, out, bound, order);
            default -> mulFloats(x, y, out, bound, order);
        }
        for (int i = bound; i < n; i++) {
            float a = x.getFloat(4 * i);
            float b = y.getFloat(4 * i);
            out.putFloat(4 * i, op == ADD ? a + b : op == SUB ? a - b : a * b);
        }
    }

    private static void addFloats(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += FS.length()) {
            FloatVector.fromByteBuffer(FS, x, 4 * i, order)
                    .add(FloatVector.fromByteBuffer(FS, y, 4 * i, order))
                    .intoByteBuffer(out, 4 * i, order);
        }
    }

    private static void subFloats(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += FS.length()) {
            FloatVector.fromByteBuffer(FS, x, 4 * i, order)
                    .sub(FloatVector.fromByteBuffer(FS, y, 4 * i, order))
                    .intoByteBuffer(out, 4 * i, order);
        }
    }

    private static void mulFloats(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += FS.length()) {
            FloatVector.fromByteBuffer(FS, x, 4 * i, order)
                    .mul(FloatVector.fromByteBuffer(FS, y, 4 * i, order))
                    .intoByteBuffer(out, 4 * i, order);
        }
    }

    static void binaryDoubles(int op, ByteBuffer x, ByteBuffer y, ByteBuffer out, int n, ByteOrder order) {
        int bound = DS.loopBound(n);
        switch (op) {
            case ADD -> addDoubles(x, y, out, bound, order);
            case SUB -> subDoubles(x, y, out, bound, order);
            default -> mulDoubles(x, y, out, bound, order);
        }
        for (int i = bound; i < n; i++) {
            double a = x.getDouble(8 * i);
            double b = y.getDouble(8 * i);
            out.putDouble(8 * i, op == ADD ? a + b : op == SUB ? a - b : a * b);
        }
    }

    private static void addDoubles(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector.fromByteBuffer(DS, x, 8 * i, order)
                    .add(DoubleVector.fromByteBuffer(DS, y, 8 * i, order))
                    .intoByteBuffer(out, 8 * i, order);
        }
    }

    private static void subDoubles(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector.fromByteBuffer(DS, x, 8 * i, order)
                    .sub(DoubleVector.fromByteBuffer(DS, y, 8 * i, order))
                    .intoByteBuffer(out, 8 * i, order);
        }
    }

    private static void mulDoubles(ByteBuffer x, ByteBuffer y, ByteBuffer out, int bound, ByteOrder order) {
        for (int i = 0; i < bound; i += DS.length()) {
            DoubleVector.fromByteBuffer(DS, x, 8 * i, order)
                    .mul(DoubleVector.fromByteBuffer(DS, y, 8 * i, order))
                    .intoByteBuffer(out, 8 * i, order);
        }
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
            float x = in.getFloat(4 * i);
            out.putFloat(4 * i, x > 0 ? 1f : x < 0 ? -1f : x == 0 ? 0f : x);
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
            double x = in.getDouble(8 * i);
            out.putDouble(8 * i, x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x);
        }
    }
}
