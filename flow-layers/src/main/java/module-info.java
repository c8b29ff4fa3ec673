/**
 * flows4j layers: networks, bijectors, distributions, optimizers, checkpoints. Its packages
 * are exported as the flow-layers issue fills them.
 */
module org.flows4j.layers {
    requires transitive org.flows4j.api;
}
