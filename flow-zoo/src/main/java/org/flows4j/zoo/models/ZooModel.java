package org.flows4j.zoo.models;

import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Flow;
import org.flows4j.zoo.data.Dataset;

/**
 * A built zoo model: the flow and what is needed to rebuild it from a checkpoint. For 8-bit
 * images the flow's input is dequantized pixels in {@code [0, 256)}; it begins with a fixed
 * scaling (and, for RealNVP, the logit), so its log-density is one of pixel space and bits per
 * dimension are exact.
 *
 * @param spec the full spec, preset filled in
 * @param flow the flow
 * @param eventShape the shape of one sample
 * @param kind continuous values or 8-bit pixels
 * @param backend where the parameters live
 * @param dtype the parameters' precision
 * @param options every build option of the model with the value it took, the preset's defaults
 *     included (the zoo's factories record them): saved in checkpoints, so that a checkpoint rebuilds
 *     the model it was trained as even after a preset's default changes
 * @param conditioning what the flow is conditioned on (saved in checkpoints, label names included)
 */
public record ZooModel(
        ModelSpec spec,
        Flow flow,
        Shape eventShape,
        Dataset.Kind kind,
        Backend backend,
        DType dtype,
        Map<String, String> options,
        Conditioning conditioning) {

    /**
     * An unconditional model.
     *
     * @param spec the full spec, preset filled in
     * @param flow the built flow
     * @param eventShape the shape of one sample
     * @param kind continuous values or 8-bit pixels
     * @param backend where the parameters live
     * @param dtype the parameters' precision
     * @param options the options it was built with, defaults included; empty for none (copied; saved in
     *     checkpoints)
     */
    public ZooModel(
            ModelSpec spec,
            Flow flow,
            Shape eventShape,
            Dataset.Kind kind,
            Backend backend,
            DType dtype,
            Map<String, String> options) {
        this(spec, flow, eventShape, kind, backend, dtype, options, Conditioning.none());
    }

    /**
     * Copies the options.
     *
     * @param spec the full spec, preset filled in
     * @param flow the built flow
     * @param eventShape the shape of one sample
     * @param kind continuous values or 8-bit pixels
     * @param backend where the parameters live
     * @param dtype the parameters' precision
     * @param options the options it was built with, defaults included; empty for none (copied; saved in
     *     checkpoints)
     * @param conditioning what the flow is conditioned on; not null
     * @throws NullPointerException if {@code options} or {@code conditioning} is null
     */
    public ZooModel {
        options = Map.copyOf(options);
        java.util.Objects.requireNonNull(conditioning, "conditioning");
    }
}
