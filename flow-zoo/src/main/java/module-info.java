/**
 * flows4j model zoo, a library: NICE, RealNVP and Glow with the papers' configurations, data
 * sets, training and evaluation, and the image tools (interpolation, inpainting, attribute
 * manipulation). Requires only the flows4j API and layers: no dependency injection, no command
 * line, no {@code java.desktop}. Depends on no backend: backends are found at run time through
 * discovery.
 *
 * <p>Plugins add model and data set families as {@link java.util.ServiceLoader} services of
 * {@link org.flows4j.zoo.models.ModelFactory} and {@link org.flows4j.zoo.data.DatasetFactory};
 * {@link org.flows4j.zoo.Zoo#discover()} finds them.
 */
module org.flows4j.zoo {
    requires transitive org.flows4j.layers;

    exports org.flows4j.zoo;
    exports org.flows4j.zoo.data;
    exports org.flows4j.zoo.models;
    exports org.flows4j.zoo.train;
    exports org.flows4j.zoo.tools;

    uses org.flows4j.zoo.models.ModelFactory;
    uses org.flows4j.zoo.data.DatasetFactory;
}
