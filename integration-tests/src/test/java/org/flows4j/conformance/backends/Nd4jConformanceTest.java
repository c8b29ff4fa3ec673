package org.flows4j.conformance.backends;

import java.util.stream.Stream;
import org.flows4j.conformance.ConformanceKit;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The whole conformance kit against the ND4J backend, found by name through discovery on the class path. */
class Nd4jConformanceTest {

    @TestFactory
    Stream<DynamicNode> conformance() {
        return ConformanceKit.forBackend("nd4j").dynamicTests();
    }
}
