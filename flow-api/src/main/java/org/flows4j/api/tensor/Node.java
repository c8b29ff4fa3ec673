package org.flows4j.api.tensor;

/**
 * How a tensor was computed: the operation's name, its inputs and the rule that maps the
 * gradient of the output to the gradients of the inputs (null entries where an input needs none).
 */
// A graph node is identified by the tensor that holds it and never compared or hashed, so the
// array's identity equality is the right one; the array is the rule's argument list as recorded.
@SuppressWarnings("ArrayRecordComponent")
record Node(String op, Tensor[] inputs, BackwardRule rule) {

    /** A backward rule, written with tensor operations so that it is the same on every backend. */
    @FunctionalInterface
    interface BackwardRule {
        Tensor[] apply(Tensor gradOutput, Tensor output);
    }
}
