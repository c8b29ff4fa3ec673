package org.flows4j.zoo.models;

import java.util.Map;
import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.layers.BuildContext;
import org.flows4j.zoo.data.Dataset;

/**
 * Everything a model factory needs to build a model: the preset, the data it will model,
 * where, in which precision and from which randomness its parameters are made (the
 * {@link BuildContext}), and options that override a preset's defaults (for example
 * {@code coupling=additive} for Glow).
 *
 * @param preset the preset name (never null: the factory's default is filled in)
 * @param eventShape the shape of one sample
 * @param kind continuous values or 8-bit pixels
 * @param context the backend, dtype and random source of every initial value
 * @param options preset overrides, by name
 * @param conditioning what a conditional preset is conditioned on ({@link Conditioning#none()} otherwise)
 */
public record ModelRequest(
        String preset,
        Shape eventShape,
        Dataset.Kind kind,
        BuildContext context,
        Map<String, String> options,
        Conditioning conditioning) {

    /**
     * An unconditional request: {@link Conditioning#none()}.
     *
     * @param preset the preset name, never null
     * @param eventShape the shape of one sample
     * @param kind continuous values or 8-bit pixels
     * @param context the backend, dtype and random source of every initial value
     * @param options preset overrides by name, empty for none (copied)
     */
    public ModelRequest(
            String preset, Shape eventShape, Dataset.Kind kind, BuildContext context, Map<String, String> options) {
        this(preset, eventShape, kind, context, options, Conditioning.none());
    }

    /**
     * This request with {@code conditioning}.
     *
     * @param conditioning what the model is to be conditioned on; not null
     * @return a new request that differs from this one in its conditioning only
     */
    public ModelRequest withConditioning(Conditioning conditioning) {
        return new ModelRequest(preset, eventShape, kind, context, options, conditioning);
    }

    /**
     * Checks for nulls and copies the options.
     *
     * @param preset the preset name, never null
     * @param eventShape the shape of one sample
     * @param kind continuous values or 8-bit pixels
     * @param context the backend, dtype and random source of every initial value
     * @param options preset overrides by name, empty for none (copied)
     * @param conditioning what a conditional preset is conditioned on, {@link Conditioning#none()} otherwise
     * @throws NullPointerException naming the component that is null
     */
    public ModelRequest {
        Objects.requireNonNull(preset, "preset");
        Objects.requireNonNull(eventShape, "eventShape");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(context, "context");
        options = Map.copyOf(Objects.requireNonNull(options, "options"));
        Objects.requireNonNull(conditioning, "conditioning");
    }
}
