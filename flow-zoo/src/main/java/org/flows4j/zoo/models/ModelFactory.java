package org.flows4j.zoo.models;

import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.zoo.data.Dataset;

/**
 * Builds the models of one family ({@code nice}, {@code realnvp}, {@code glow}) from named
 * presets. Registered in the zoo's Guice map of models; a plugin adds its own through a
 * contributed Guice module.
 *
 * <p>Implemented by the zoo and by plugins.
 */
public interface ModelFactory {

    /** The family name. */
    String family();

    /** The presets, the default first. */
    List<String> presets();

    /** The preset used when a spec names none. */
    default String defaultPreset() {
        return presets().get(0);
    }

    /** One line describing a preset, for help output. */
    String describe(String preset);

    /**
     * The number of trainable parameters the preset has for data of {@code eventShape}, counted
     * without allocating anything (a paper preset can have tens of millions).
     *
     * @throws IllegalArgumentException for an unknown preset or data the family cannot model
     */
    long parameterCount(String preset, Shape eventShape, Dataset.Kind kind);

    /**
     * Builds the model.
     *
     * @throws IllegalArgumentException for an unknown preset, an unknown option, or data the
     *     family cannot model, saying which and what would work
     */
    ZooModel build(ModelRequest request);
}
