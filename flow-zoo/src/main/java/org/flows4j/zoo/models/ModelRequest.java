package org.flows4j.zoo.models;

import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.zoo.data.Dataset;

/**
 * Everything a model factory needs to build a model: the preset, the data it will model,
 * where and in which precision, the randomness for its initialization, and options that
 * override a preset's defaults (for example {@code coupling=additive} for Glow).
 *
 * @param preset the preset name (never null: the factory's default is filled in)
 * @param eventShape the shape of one sample
 * @param kind continuous values or 8-bit pixels
 * @param backend where the parameters live
 * @param dtype the parameters' precision
 * @param random the source of every initial value
 * @param options preset overrides, by name
 */
public record ModelRequest(String preset, Shape eventShape, Dataset.Kind kind, Backend backend, DType dtype,
                           RandomSource random, Map<String, String> options) {

    /** Copies the options. */
    public ModelRequest {
        options = Map.copyOf(options);
    }
}
