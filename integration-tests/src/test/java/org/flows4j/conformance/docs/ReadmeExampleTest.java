package org.flows4j.conformance.docs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The example in README.md, verbatim between the markers, so the documentation cannot rot. */
@SuppressWarnings("try") // scopes opened only for their close()
class ReadmeExampleTest {

    @Test
    void readmeExampleComputesTheGradientItClaims() {
        double value;
        double[] gradient;
        // README example begins
        try (Backend backend = Backends.create();           // the best installed backend (or -Dflows4j.backend=cpu)
             MemoryScope scope = MemoryScope.open()) {      // frees every tensor made inside
            Tensor x = Tensor.of(backend, new double[] {0.5, -1.0, 2.0}, 3).requiringGrad();
            Tensor w = Tensor.of(backend, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor y = w.matmul(x.reshape(3, 1)).tanh().sum();   // y = sum tanh(W x)
            Tensor dydx = Autodiff.grad(y, List.of(x)).get(0);    // W^T (1 - tanh^2(W x))
            value = y.item();
            gradient = dydx.toDoubleArray();
        }
        // README example ends
        double h0 = 0.5 * 1 - 1.0 * 2 + 2.0 * 3;   // W x = [4.5, 9]
        double h1 = 0.5 * 4 - 1.0 * 5 + 2.0 * 6;
        assertEquals(Math.tanh(h0) + Math.tanh(h1), value, 1e-12);
        double d0 = 1 - Math.tanh(h0) * Math.tanh(h0);
        double d1 = 1 - Math.tanh(h1) * Math.tanh(h1);
        assertArrayEquals(new double[] {1 * d0 + 4 * d1, 2 * d0 + 5 * d1, 3 * d0 + 6 * d1}, gradient, 1e-12);
    }
}
