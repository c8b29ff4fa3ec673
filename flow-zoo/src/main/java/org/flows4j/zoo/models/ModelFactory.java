package org.flows4j.zoo.models;

import java.util.List;

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
     * Builds the model. Its size is the built flow's: {@code build(r).flow().parameterCount()}.
     *
     * @throws IllegalArgumentException for an unknown preset, an unknown option, or data the
     *     family cannot model, saying which and what would work
     */
    ZooModel build(ModelRequest request);
}
