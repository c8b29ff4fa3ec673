package org.flows4j.layers.bijectors;

import org.flows4j.api.tensor.Tensor;

/** Log-determinant helpers shared by the bijectors. */
final class LogDets {

    private LogDets() {}

    /** Zeros of shape {@code [batch]}: the log-det of a volume-preserving map. */
    static Tensor zero(Tensor x) {
        return Tensor.zeros(x.backend(), x.dtype(), x.shape().dim(0));
    }

    /** A per-sample constant broadcast to {@code [batch]}: for log-dets that do not depend on the input. */
    static Tensor constant(Tensor x, Tensor scalar) {
        return zero(x).add(scalar);
    }

    /** The number of elements per sample along every axis after the first two (pixels of an NCHW image; 1 for vectors). */
    static int spatialSize(Tensor x) {
        int n = 1;
        for (int i = 2; i < x.rank(); i++) {
            n *= x.shape().dim(i);
        }
        return n;
    }

    /** Checks that {@code x} has at least a batch and a feature (channel) axis. */
    static void checkBatched(String name, Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException(
                    name + ": input of shape " + x.shape() + " needs a batch axis and a feature or channel axis");
        }
    }

    /**
     * The shape {@code [1, c, 1, ..., 1]} of a per-channel parameter broadcast over a tensor of
     * {@code rank}: axis 1 is the feature or channel axis of every bijector here.
     */
    static int[] channelShape(int channels, int rank) {
        int[] d = new int[rank];
        java.util.Arrays.fill(d, 1);
        d[1] = channels;
        return d;
    }
}
