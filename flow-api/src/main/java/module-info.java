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
    // Tensor internals for the project's own modules: the layers call fused kernels directly,
    // and the reference backend's tests feed kernels.
    exports org.flows4j.api.internal to
            org.flows4j.layers,
            org.flows4j.backend.cpu;

    uses org.flows4j.api.backend.BackendProvider;
}
