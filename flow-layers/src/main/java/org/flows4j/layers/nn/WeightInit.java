package org.flows4j.layers.nn;

/**
 * How a {@link Linear} layer's weight and bias are drawn. Both draw the weight first, row-major,
 * from the layer's {@link org.flows4j.layers.BuildContext#random() random source}.
 */
public enum WeightInit {
    /**
     * PyTorch's default for {@code nn.Linear}: {@code W} and {@code b} uniform in
     * {@code [-1/sqrt(in), 1/sqrt(in))}, {@code in * out + out} draws. The weights' variance is
     * {@code 1/(3 in)}, so a ReLU layer passes on a sixth of its input's second moment: fine for
     * the shallow conditioners of the literature, whose learning rates were tuned for it.
     */
    PYTORCH,
    /**
     * He (Kaiming) uniform for ReLU networks: {@code W} uniform in
     * {@code [-sqrt(6/in), sqrt(6/in))}, variance {@code 2/in}, and {@code b = 0}; {@code in * out}
     * draws. Each ReLU layer keeps its input's second moment, so a deep stack (NICE's five layers of
     * 1000) starts with a signal in every layer and learns from the first steps; under
     * {@link #PYTORCH} the signal shrinks by a factor of about 2.4 in standard deviation per layer.
     */
    HE;

    /**
     * The half-width of the weight's uniform distribution for a layer of {@code in} inputs.
     *
     * @param in the fan-in, positive
     * @return {@code 1/sqrt(in)} for {@link #PYTORCH}, {@code sqrt(6/in)} for {@link #HE}
     */
    public double weightBound(long in) {
        return this == HE ? Math.sqrt(6.0 / in) : 1.0 / Math.sqrt((double) in);
    }
}
