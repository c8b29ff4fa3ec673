/**
 * The flows4j API: tensors, reverse-mode autodiff, memory scopes, randomness and the
 * backend SPI. Depends on {@code java.base} only.
 */
module org.flows4j.api {
    exports org.flows4j.api;
    exports org.flows4j.api.backend;
    exports org.flows4j.api.tensor;
    exports org.flows4j.api.random;
    exports org.flows4j.api.flow;

    uses org.flows4j.api.backend.BackendProvider;
}
