package org.flows4j.backend.nd4j;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Loops written from Java straight over ND4J's native buffers, seen as direct
 * {@link ByteBuffer}s, with the Vector API, where ND4J's own operations cost far more than the
 * memory traffic (measured with {@code ModelBench --profile}, see docs/BENCHMARKS.md):
 * <ul>
 *   <li>{@link #hasNaN}, whether an array holds a NaN, for the kernels that must propagate one
 *       where ND4J does not (sign, maximum, minimum, max): ND4J's {@code MatchCondition} took
 *       1.2 ms for 256,000 floats, which made sign, ReLU's backward pass, a tenth of a
 *       nice:paper step.</li>
 *   <li>{@link #sign} itself, whose ND4J operation and NaN check cost about 0.25 ms for
 *       256,000 floats, and {@link #binary} for sums, differences and products of arrays of
 *       one shape, where ND4J's dispatch cost 0.1 to 0.2 ms a call.</li>
 * </ul>
 *
 * <p>The fused Adam update lives in backend-support ({@code org.flows4j.backend.support.DirectAdam}),
 * shared with backend-djl. The Vector API is an incubator module ({@code --add-modules
 * jdk.incubator.vector}, which the {@code flows4j} launcher passes); without it
 * {@link #available()} is false and the backend uses ND4J's operations instead.
 */
final class DirectKernels {

    private static final System.Logger LOG = System.getLogger("org.flows4j.backend.nd4j");

    private DirectKernels() {}

    /** Whether the Vector API is present: detected once, on first use. */
    static boolean available() {
        return Detect.AVAILABLE;
    }

    private static final class Detect {
        static final boolean AVAILABLE = detect();
    }

    private static boolean detect() {
        Module own = DirectKernels.class.getModule();
        Optional<Module> vector = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (vector.isEmpty() && own.getLayer() != null) {
            vector = own.getLayer().findModule("jdk.incubator.vector");
        }
        if (vector.isEmpty()) {
            LOG.log(
                    Level.DEBUG,
                    "nd4j backend: Adam and NaN scans by ND4J's operations (start the JVM with"
                            + " --add-modules jdk.incubator.vector for the faster loops)");
            return false;
        }
        try {
            if (own.isNamed() && !own.canRead(vector.get())) {
                own.addReads(vector.get());
            }
            Class.forName("org.flows4j.backend.nd4j.DirectLanes", true, DirectKernels.class.getClassLoader());
            return true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "nd4j backend: the Vector API is present but unusable (" + e
                            + "); ND4J's operations are used instead");
            return false;
        }
    }

    /**
     * Whether any of the first {@code n} elements of {@code data} (machine byte order) is NaN.
     * Call only when {@link #available()}.
     */
    static boolean hasNaN(ByteBuffer data, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        return float32 ? DirectLanes.hasNaNFloats(data, n, order) : DirectLanes.hasNaNDoubles(data, n, order);
    }

    /**
     * {@code out = sign(in)} for {@code n} elements: +-1 off zero, +0 at both zeros, NaN at NaN.
     * Call only when {@link #available()}.
     */
    static void sign(ByteBuffer in, ByteBuffer out, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        if (float32) {
            DirectLanes.signFloats(in, out, n, order);
        } else {
            DirectLanes.signDoubles(in, out, n, order);
        }
    }

    /**
     * {@code out = x op y} for {@code n} elements of three buffers, {@code op} one of ADD, SUB
     * and MUL, each lane one IEEE operation as ND4J's. Call only when {@link #available()}.
     */
    static void binary(
            org.flows4j.api.backend.BinaryOp op, ByteBuffer x, ByteBuffer y, ByteBuffer out, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        int code = switch (op) {
            case ADD -> DirectLanes.ADD;
            case SUB -> DirectLanes.SUB;
            case MUL -> DirectLanes.MUL;
            default -> throw new IllegalArgumentException("no direct loop for " + op);
        };
        if (float32) {
            DirectLanes.binaryFloats(code, x, y, out, n, order);
        } else {
            DirectLanes.binaryDoubles(code, x, y, out, n, order);
        }
    }
}
