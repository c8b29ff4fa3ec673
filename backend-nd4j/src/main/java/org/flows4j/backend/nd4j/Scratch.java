package org.flows4j.backend.nd4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The temporary arrays of one kernel, released when it returns (normally or not), so that a
 * kernel's intermediate native buffers never wait for the garbage collector. Only arrays that
 * own their buffer may be added.
 */
final class Scratch implements AutoCloseable {

    private final List<INDArray> arrays = new ArrayList<>();

    /** Registers {@code a} for release and returns it. */
    INDArray add(INDArray a) {
        arrays.add(a);
        return a;
    }

    @Override
    public void close() {
        for (int i = arrays.size() - 1; i >= 0; i--) {
            Nd.release(arrays.get(i));
        }
        arrays.clear();
    }
}
