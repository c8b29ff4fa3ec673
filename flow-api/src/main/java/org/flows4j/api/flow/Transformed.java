package org.flows4j.api.flow;

import org.flows4j.api.tensor.Tensor;

/**
 * The result of one pass of a bijector: the transformed batch and, per sample, the log of
 * the absolute Jacobian determinant of that pass.
 *
 * @param value the output, of the same batch size as the input
 * @param logDet {@code log|det J|} of the pass, shape {@code [batch]}
 */
public record Transformed(Tensor value, Tensor logDet) {}
