package org.flows4j.layers.bijectors;

import org.flows4j.api.tensor.Tensor;

/**
 * Which elements a coupling layer keeps (and conditions on) and which it transforms. Two
 * kinds exist, made by {@link Masks}:
 * <ul>
 *   <li>a <em>partition</em> of axis 1 into two index sets (NICE's halves and odd/even
 *       split of a vector, RealNVP's channel-wise split of an image): the conditioner sees
 *       only the kept part and predicts parameters for the transformed part alone;</li>
 *   <li>a <em>binary</em> mask over the whole event (RealNVP's checkerboard): the conditioner
 *       sees {@code b * x} and predicts parameters for every element, and only the elements
 *       where {@code b = 0} change.</li>
 * </ul>
 * Implemented by the two kinds here only.
 */
public sealed interface Mask permits PartitionMask, BinaryMask {

    /**
     * What the conditioner network sees.
     *
     * @param x the input batch, {@code [batch, ...event]}
     * @return the conditioner's input: the kept part {@code [batch, conditionerSize(), ...]} (partition) or
     *     {@code b * x} (binary)
     * @throws IllegalArgumentException if {@code x} does not fit the mask
     */
    Tensor conditionerInput(Tensor x);

    /**
     * The elements the element transform acts on.
     *
     * @param x the input batch, {@code [batch, ...event]}
     * @return the transformed part, {@code [batch, transformedSize(), ...]}
     * @throws IllegalArgumentException if {@code x} does not fit the mask
     */
    Tensor transformedPart(Tensor x);

    /**
     * The output: kept elements of {@code x} with the transformed part put back.
     *
     * @param x the input batch, whose kept elements are passed through
     * @param transformed the transformed part, of the shape {@link #transformedPart} returned
     * @return the output batch, of {@code x}'s shape
     */
    Tensor combine(Tensor x, Tensor transformed);

    /**
     * Per-element log-det terms of the transformed part with the kept elements zeroed.
     *
     * @param perElement the element transform's per-element log-derivatives, of the transformed part's shape
     * @return the terms that count toward the log-det; sum per sample for the layer's log-det
     */
    Tensor maskLogDet(Tensor perElement);

    /**
     * The size of axis 1 of {@link #transformedPart}, for sizing the conditioner's output.
     *
     * @return the number of transformed features or channels, {@code > 0}
     */
    int transformedSize();

    /**
     * The size of axis 1 of {@link #conditionerInput}, for sizing the conditioner's input.
     *
     * @return the number of features or channels the conditioner sees, {@code > 0}
     */
    int conditionerSize();
}
