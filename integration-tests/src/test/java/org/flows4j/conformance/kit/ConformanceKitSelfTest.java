package org.flows4j.conformance.kit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.flows4j.conformance.ConformanceKit;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * The kit fails when it should, seen through its public face: a kit that passes everything
 * would prove nothing. (The harness-level checks, which need package access, are nested in
 * {@code ConformanceKitCpuTest}.)
 */
class ConformanceKitSelfTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void allclose_rejects_values_beyond_the_bound_and_accepts_those_within() {
        Tolerance f64 = Tolerance.FLOAT64;
        assertTrue(f64.allclose(new double[] {1, -2, 0}, new double[] {1 + 1e-12, -2, -0.0}));
        assertFalse(f64.allclose(new double[] {1, 2}, new double[] {1, 2 + 1e-9}), "2e-9 relative > 1e-10");
        assertFalse(f64.allclose(new double[] {1e-20}, new double[] {0}), "float64 has no absolute floor");
        assertFalse(f64.allclose(new double[] {1, 2}, new double[] {1, 2, 3}), "lengths differ");
        assertFalse(Tolerance.EXACT.allclose(new double[] {1}, new double[] {Math.nextUp(1.0)}), "one ulp");
    }

    @Test
    void allclose_treats_nan_and_infinities_by_identity() {
        Tolerance t = Tolerance.FLOAT32;
        assertTrue(t.allclose(new double[] {NAN, INF, -INF}, new double[] {NAN, INF, -INF}));
        assertFalse(t.allclose(new double[] {NAN}, new double[] {1}));
        assertFalse(t.allclose(new double[] {1}, new double[] {NAN}));
        assertFalse(t.allclose(new double[] {INF}, new double[] {-INF}));
        assertFalse(t.allclose(new double[] {1e38}, new double[] {INF}), "a large finite value is not infinity");
        assertFalse(t.close(1, 2, INF), "an infinite scale bounds nothing: only equal values match");
        assertFalse(t.close(1, 1.5, NAN), "a NaN scale rejects");
    }

    @Test
    void allclose_bounds_sums_by_the_scale_of_their_terms() {
        // a sum that cancels to ~0: the result is tiny, the terms are not
        double[] actual = {3e-11};
        double[] expected = {0};
        assertFalse(Tolerance.FLOAT64.allclose(actual, expected));
        assertTrue(Tolerance.FLOAT64.allclose(actual, expected, new double[] {1e3}));
        assertTrue(Tolerance.FLOAT32.allclose(new double[] {5e-7}, new double[] {0}), "float32 floor 1e-6");
        assertFalse(Tolerance.FLOAT32.allclose(new double[] {5e-6}, new double[] {0}));
    }

    @Test
    void assert_allclose_names_what_differs_and_where() {
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> Tolerance.FLOAT64.assertAllclose("exp [3]", new double[] {1, 2.5, 3}, new double[] {1, 2, 3}));
        assertTrue(
                e.getMessage().contains("exp [3]")
                        && e.getMessage().contains("[1] 2.5 expected 2.0")
                        && e.getMessage().contains("1 of 3 elements"),
                e.getMessage());
    }

    @Test
    void an_unknown_backend_fails_once_listing_the_backends_found_and_aborts_the_rest() {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<DynamicNode> s = ConformanceKit.forBackend("does-not-exist").dynamicTests()) {
            s.forEach(n -> collect(n, tests));
            AssertionError e = assertThrows(
                    AssertionError.class, () -> tests.get(0).getExecutable().execute());
            assertTrue(
                    tests.get(0).getDisplayName().contains("does-not-exist"),
                    tests.get(0).getDisplayName());
            String m = e.getMessage();
            assertTrue(
                    m.contains("no backend named 'does-not-exist'")
                            && m.contains("found: ")
                            && m.contains("cpu (priority 10"),
                    m);
            DynamicTest kernel = tests.stream()
                    .filter(t -> t.getDisplayName().startsWith("exp [3, 4]"))
                    .findFirst()
                    .orElseThrow();
            assertThrows(
                    TestAbortedException.class, () -> kernel.getExecutable().execute());
        }
        assertTrue(tests.size() > 300, "the kit should hold hundreds of tests, found " + tests.size());
    }

    private static void collect(DynamicNode n, List<DynamicTest> out) {
        if (n instanceof DynamicTest t) {
            out.add(t);
        } else if (n instanceof DynamicContainer c) {
            c.getChildren().forEach(child -> collect(child, out));
        }
    }
}
