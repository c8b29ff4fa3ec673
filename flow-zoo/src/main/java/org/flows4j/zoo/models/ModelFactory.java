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

    /**
     * The family name.
     *
     * @return the family name, lower case, the part of a spec before the ':'; unique in a {@code Zoo}
     */
    String family();

    /**
     * The presets, the default first.
     *
     * @return the preset names, lower case, at least one, the default first
     */
    List<String> presets();

    /**
     * The preset used when a spec names none.
     *
     * @return the preset used for a bare family name; by default the first of {@link #presets()}
     */
    default String defaultPreset() {
        return presets().get(0);
    }

    /**
     * One line describing a preset, for help output.
     *
     * @param preset one of {@link #presets()}
     * @return a one-line description of the preset
     * @throws IllegalArgumentException if {@code preset} is not one of this family's
     */
    String describe(String preset);

    /**
     * The training settings the preset learns well with, which {@code flows4j train} uses for
     * every flag it is not given.
     *
     * @param preset one of {@link #presets()}
     * @return the preset's recipe; by default {@link Recipe#DEFAULT}
     * @throws IllegalArgumentException if {@code preset} is not one of this family's (implementations
     *     that override this method)
     */
    default Recipe recipe(String preset) {
        return Recipe.DEFAULT;
    }

    /**
     * Builds the model. Its size is the built flow's: {@code build(r).flow().parameterCount()}.
     *
     * @param request the preset, the data's event shape and kind, the build context, options and conditioning
     * @return the model, its parameters freshly initialized on the request's backend
     * @throws IllegalArgumentException for an unknown preset, an unknown option, or data the
     *     family cannot model, saying which and what would work
     */
    ZooModel build(ModelRequest request);
}
