package org.flows4j.conformance.backends;

import java.util.stream.Stream;
import org.flows4j.conformance.ConformanceKit;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance kit against the DJL (PyTorch) backend, found by name through discovery on
 * the class path: the whole test class a backend author writes.
 */
class DjlConformanceTest {

    @TestFactory
    Stream<DynamicNode> conformance() {
        return ConformanceKit.forBackend("djl").dynamicTests();
    }
}
