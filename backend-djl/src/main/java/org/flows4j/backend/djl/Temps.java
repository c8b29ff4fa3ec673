package org.flows4j.backend.djl;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;

/**
 * The intermediate tensors of one kernel, released when it returns. DJL attaches every result
 * to its first operand's manager (here always the backend's root), so intermediates are not
 * freed by any manager until the backend closes; a kernel registers each one here and its
 * try-with-resources releases them, leaving only the result it returns.
 */
final class Temps implements AutoCloseable {

    private final ArrayList<NDArray> arrays = new ArrayList<>();

    /** Registers {@code a} for release and returns it. */
    NDArray add(NDArray a) {
        arrays.add(a);
        return a;
    }

    @Override
    public void close() {
        for (int i = arrays.size() - 1; i >= 0; i--) {
            NDArray a = arrays.get(i);
            if (!a.isReleased()) {
                a.close();
            }
        }
        arrays.clear();
    }
}
