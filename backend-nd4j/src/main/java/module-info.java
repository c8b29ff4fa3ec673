/** The flows4j backend on ND4J. Exports nothing; it will provide a BackendProvider. */
module org.flows4j.backend.nd4j {
    requires org.flows4j.api;
}
