package org.flows4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.DifferentiableFunction;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The kit against the reference backend itself: the kernel comparisons with the reference are
 * trivial here, but the comparisons with the host specification, the finite-difference
 * gradients, the NaN and size-0 rules and the behaviour checks all bite. The method
 * {@link #conformance()} is the whole test class a third-party backend author writes, with
 * their backend's name.
 */
class ConformanceKitCpuTest {

    @TestFactory
    Stream<DynamicNode> conformance() {
        return ConformanceKit.forBackend("cpu").dynamicTests();
    }

    // The harness catches what it should. These need the kit's package-private classes, so they
    // live here rather than in kit/ConformanceKitSelfTest; a backend author's class stops above.

    @Test
    void a_kernel_that_disagrees_with_the_specification_fails() throws Throwable {
        try (Session session = new Session("cpu", "cpu", BackendOptions.defaults())) {
            Data x = Data.of(new int[] {2}, 0.5, -1);
            KernelCase.of("exp [2]", x)
                    .op(t -> t[0].exp())
                    .host(d -> Host.unary(d[0], Math::exp))
                    .test(session, DType.FLOAT64)
                    .getExecutable()
                    .execute();
            DynamicTest wrong = KernelCase.of("exp [2]", x)
                    .op(t -> t[0].exp())
                    .host(d -> Host.unary(d[0], v -> Math.exp(v) * (1 + 1e-8)))
                    .test(session, DType.FLOAT64);
            AssertionError e = assertThrows(
                    AssertionError.class, () -> wrong.getExecutable().execute());
            assertTrue(
                    e.getMessage().contains("exp [2] float64") && e.getMessage().contains("specification"),
                    e.getMessage());
        }
    }

    @Test
    void a_kernel_result_of_the_wrong_shape_fails() {
        try (Session session = new Session("cpu", "cpu", BackendOptions.defaults())) {
            DynamicTest shape = KernelCase.of("sum [2, 3] over axis 0", Data.of(new int[] {2, 3}, 1, 2, 3, 4, 5, 6))
                    .accumulates()
                    .op(t -> t[0].sum(0))
                    .host(d -> Host.reduce(ReduceOp.SUM, d[0], true, 0))
                    .test(session, DType.FLOAT32);
            AssertionError s = assertThrows(
                    AssertionError.class, () -> shape.getExecutable().execute());
            assertTrue(s.getMessage().contains("shape") && s.getMessage().contains("[1, 3]"), s.getMessage());
        }
    }

    @Test
    void a_wrong_backward_rule_fails_the_finite_difference_check() throws Throwable {
        try (Session session = new Session("cpu", "cpu", BackendOptions.defaults())) {
            Data x = Data.of(new int[] {2, 2}, 0.5, -1, 2, 0.25);
            GradientCase.of("square by a custom rule", 1, x)
                    .op(t -> Autodiff.apply(new ScaledSquare(2), t[0]))
                    .test(session)
                    .getExecutable()
                    .execute();
            DynamicTest wrong = GradientCase.of("square by a wrong rule", 1, x)
                    .op(t -> Autodiff.apply(new ScaledSquare(3), t[0]))
                    .test(session);
            AssertionError e = assertThrows(
                    AssertionError.class, () -> wrong.getExecutable().execute());
            assertTrue(e.getMessage().contains("autodiff vs central differences"), e.getMessage());
            assertEquals("square by a wrong rule float64", wrong.getDisplayName());
        }
    }

    /** {@code x^2} whose backward rule is {@code factor * x * g}: right for 2, wrong otherwise. */
    private static final class ScaledSquare implements DifferentiableFunction {
        private final double factor;

        ScaledSquare(double factor) {
            this.factor = factor;
        }

        @Override
        public Tensor forward(Tensor... inputs) {
            return inputs[0].square();
        }

        @Override
        public Tensor[] backward(Tensor gradOutput, Tensor output, Tensor... inputs) {
            return new Tensor[] {gradOutput.mul(inputs[0]).mul(factor)};
        }
    }
}
