package org.flows4j.layers;

import java.util.Arrays;
import org.flows4j.api.Shape;
import org.flows4j.api.tensor.Tensor;

/**
 * Batches of events: tensors {@code [batch, ...eventShape]}, the layout of every bijector and
 * distribution. Shared shape helpers, so that each check and reduction is written once.
 */
public final class Events {

    private Events() {}

    /**
     * Sums per-element terms over every axis but the batch axis: {@code [batch, ...]} to {@code [batch]}.
     *
     * @param perElement the terms, {@code [batch, ...]}; a rank-1 tensor is already per sample
     * @return the per-sample sums, {@code [batch]} ({@code perElement} itself when it has rank 1)
     */
    public static Tensor sumPerSample(Tensor perElement) {
        if (perElement.rank() == 1) {
            return perElement;
        }
        return perElement.reshape(perElement.shape().dim(0), -1).sum(1);
    }

    /**
     * The shape of a batch of {@code n} events: {@code [n, ...eventShape]}.
     *
     * @param n the number of events, {@code >= 0}
     * @param eventShape the shape of one event (rank 0 gives {@code [n]})
     * @return the batch shape, one rank more than {@code eventShape}
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Shape batchShape(int n, Shape eventShape) {
        if (n < 0) {
            throw new IllegalArgumentException("a batch cannot have " + n + " samples");
        }
        int[] e = eventShape.dims();
        int[] d = new int[e.length + 1];
        d[0] = n;
        System.arraycopy(e, 0, d, 1, e.length);
        return Shape.of(d);
    }

    /**
     * Throws, naming {@code who}, unless {@code x} is a batch of events of {@code eventShape}.
     *
     * @param who the caller, named in the exception message
     * @param eventShape the shape one event must have
     * @param x the tensor to check, expected {@code [batch, ...eventShape]}
     * @throws IllegalArgumentException if {@code x} is not a batch of events of {@code eventShape}
     */
    public static void check(String who, Shape eventShape, Tensor x) {
        int[] d = x.shape().dims();
        if (d.length != eventShape.rank() + 1
                || !Shape.of(Arrays.copyOfRange(d, 1, d.length)).equals(eventShape)) {
            throw new IllegalArgumentException(
                    who + ": input of shape " + x.shape() + " is not a batch of events of shape " + eventShape);
        }
    }
}
