package org.flows4j.backend.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The sum of squares of a native buffer, read once from Java with the Vector API: what the global
 * gradient norm of clipping needs of each gradient. Composed from an engine's kernels it squares
 * the gradient into a new array and sums that, three passes over memory the size of the
 * gradient and an allocation. Each square is rounded to the buffer's dtype; the lanes add up
 * runs of squares that are then added into a {@code double}, so the sum is as close as a
 * float32 threshold needs and does not depend on the number of threads.
 *
 * <p>Used by backend-djl and backend-nd4j for {@link org.flows4j.api.backend.Backend#sumOfSquares},
 * when {@link DirectAdam#available()} (the Vector API is present).
 */
public final class DirectSquares {

    private DirectSquares() {}

    /**
     * {@code sum x[i]^2} over the first {@code n} elements of {@code x}, in the machine's byte
     * order. Call only when {@link DirectAdam#available()}.
     *
     * @param x the elements from index 0; only read
     * @param n how many, at most the buffer's capacity in elements
     * @param float32 true for {@code float}s (4 bytes each), false for {@code double}s (8 bytes each)
     * @return the sum of squares; infinite when a square or the sum overflows, NaN when an element is NaN
     */
    public static double sum(ByteBuffer x, int n, boolean float32) {
        ByteOrder order = ByteOrder.nativeOrder();
        return float32 ? DirectAdamLanes.sumSquaresFloats(x, n, order) : DirectAdamLanes.sumSquaresDoubles(x, n, order);
    }
}
