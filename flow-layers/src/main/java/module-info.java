/** flows4j layers: networks, bijectors, distributions, optimizers, checkpoints. */
module org.flows4j.layers {
    requires transitive org.flows4j.api;
    // the checkpoint header's JSON, behind package-private code: no Jackson type is exported
    requires tools.jackson.core;

    exports org.flows4j.layers;
    exports org.flows4j.layers.optim;
    exports org.flows4j.layers.distributions;
    exports org.flows4j.layers.bijectors;
    exports org.flows4j.layers.nn;
    exports org.flows4j.layers.io;
}
