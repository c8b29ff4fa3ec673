/** The flows4j backend on DJL with the PyTorch engine. Exports nothing; it will provide a BackendProvider. */
module org.flows4j.backend.djl {
    requires org.flows4j.api;
}
