/**
 * The flows4j backend conformance kit: every primitive kernel of a backend checked against the
 * reference backend ({@code cpu}) and a host computation of the specification, every autodiff
 * rule checked against finite differences on that backend, and the API's memory and error
 * behaviour, delivered as JUnit dynamic tests from {@link org.flows4j.conformance.ConformanceKit}.
 *
 * <p>Backends are found by name through discovery, never by class, so this module requires no
 * backend; the reference {@code cpu} comes in as a Maven dependency. It requires the library
 * modules only (api, layers, the zoo for the model checks): no part of the {@code flows4j}
 * application, so a backend author's test class path holds no Guice, picocli or
 * {@code java.desktop}.
 */
module org.flows4j.conformance {
    // Transitive: ConformanceKit's signatures use BackendOptions, DType and DynamicNode, so a
    // backend author's test module reads both by requiring this one.
    requires transitive org.flows4j.api;
    requires transitive org.junit.jupiter.api;
    // Tolerance appears in the kit's signatures (Session, KernelCase)
    requires transitive org.flows4j.testing;
    requires org.flows4j.layers;
    requires org.flows4j.zoo;

    exports org.flows4j.conformance;
}
