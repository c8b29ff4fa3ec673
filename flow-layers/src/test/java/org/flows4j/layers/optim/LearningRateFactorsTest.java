package org.flows4j.layers.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Per-parameter learning-rate factors: matching, parsing, metadata, and what Adam and SGD do with them. */
class LearningRateFactorsTest {

    private static final double[] CURVATURE = {0.5, 2, 8, 0.1};
    private static final double[] A0 = {3, -2, 1.5, 0};
    private static final double[] B0 = {-1, 0.25, 4, 2};

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
        }
    }

    @Test
    void a_pattern_matches_whole_names_with_star_for_any_run_of_characters() {
        LearningRateFactors f = LearningRateFactors.of(Map.of("*.logScale", 10.0));
        assertEquals(10, f.factorFor("bijector.6.logScale"));
        assertEquals(10, f.factorFor("a.b.c.logScale"));
        assertEquals(1, f.factorFor("bijector.6.logScale.x"), "the whole name must match");
        assertEquals(1, f.factorFor("logScale"), "the dot is literal");
        assertEquals(1, f.factorFor("bijector.2.net.layers.0.bias"));
        // regex characters in a pattern are literal
        LearningRateFactors dots = LearningRateFactors.of(Map.of("layers.0.bias", 2.0));
        assertEquals(2, dots.factorFor("layers.0.bias"));
        assertEquals(1, dots.factorFor("layersX0Xbias"));
        LearningRateFactors middle = LearningRateFactors.of(Map.of("bijector.*.weight", 0.5));
        assertEquals(0.5, middle.factorFor("bijector.3.net.layers.1.weight"));
        assertEquals(1, middle.factorFor("bijector.3.net.layers.1.bias"));
    }

    @Test
    void the_first_matching_pattern_decides() {
        Map<String, Double> ordered = new LinkedHashMap<>();
        ordered.put("bijector.6.*", 3.0);
        ordered.put("*.logScale", 10.0);
        LearningRateFactors f = LearningRateFactors.of(ordered);
        assertEquals(3, f.factorFor("bijector.6.logScale"));
        assertEquals(10, f.factorFor("bijector.1.logScale"));
        assertEquals(
                List.of("bijector.6.*", "*.logScale"), List.copyOf(f.asMap().keySet()));
    }

    @Test
    void entries_parse_and_round_trip_through_the_description() {
        LearningRateFactors f = LearningRateFactors.parse(List.of("*.logScale=10", " bijector.2.* = 0.5"));
        assertEquals(Map.of("*.logScale", 10.0, "bijector.2.*", 0.5), f.asMap());
        Map<String, String> described = new LinkedHashMap<>();
        described.put("optimizer", "adam");
        f.describe(described);
        assertEquals("10.0", described.get("lr_factor.*.logScale"));
        assertEquals("0.5", described.get("lr_factor.bijector.2.*"));
        assertEquals(f, LearningRateFactors.fromDescription(described));
        assertEquals(
                f.hashCode(), LearningRateFactors.fromDescription(described).hashCode());
        assertSame(LearningRateFactors.NONE, LearningRateFactors.parse(List.of()));
        assertSame(LearningRateFactors.NONE, LearningRateFactors.fromDescription(Map.of("optimizer", "adam")));
        Map<String, String> none = new LinkedHashMap<>();
        LearningRateFactors.NONE.describe(none);
        assertTrue(none.isEmpty(), "no factors add no key, so older checkpoints describe the same");
        assertNotEquals(f, LearningRateFactors.parse(List.of("bijector.2.*=0.5", "*.logScale=10")));
    }

    @Test
    void bad_entries_are_refused_naming_what_is_wrong() {
        assertMessage(() -> LearningRateFactors.parse(List.of("*.logScale")), "PATTERN=FACTOR", "*.logScale");
        assertMessage(() -> LearningRateFactors.parse(List.of("=3")), "PATTERN=FACTOR");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=")), "PATTERN=FACTOR");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=ten")), "not a number", "a=ten");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=0")), "'a'", "> 0", "0.0");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=-2")), "> 0");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=NaN")), "> 0");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=Infinity")), "finite");
        assertMessage(() -> LearningRateFactors.parse(List.of("a=2", "a=3")), "'a'", "twice");
        assertMessage(() -> LearningRateFactors.of(Map.of("a b", 2.0)), "'a b'");
        assertMessage(() -> LearningRateFactors.of(Map.of(" ", 2.0)), "pattern");
        assertMessage(
                () -> LearningRateFactors.fromDescription(Map.of("lr_factor.a", "x")), "lr_factor.a", "not a number");
    }

    @Test
    void a_pattern_that_matches_no_parameter_is_refused_when_the_optimizer_is_made() {
        try (Backend cpu = Backends.create("cpu")) {
            Map<String, Parameter> params = OptimTesting.twoParameters(cpu, DType.FLOAT64, A0, B0);
            LearningRateFactors typo = LearningRateFactors.of(Map.of("*.logscale", 10.0));
            assertMessage(
                    () -> Adam.builder().learningRateFactors(typo).create(params), "Adam", "'*.logscale'", "a, b");
            assertMessage(
                    () -> Sgd.builder().learningRateFactors(typo).create(params), "Sgd", "'*.logscale'", "matches no");
        }
    }

    @Test
    void the_settings_carry_and_describe_their_factors() {
        LearningRateFactors f = LearningRateFactors.of(Map.of("b", 4.0));
        Adam.Config adam =
                Adam.builder().learningRate(0.1).learningRateFactors(f).build();
        assertEquals(f, adam.learningRateFactors());
        assertEquals("4.0", adam.describe().get("lr_factor.b"));
        assertEquals(adam, adam.toBuilder().build());
        assertEquals(f, adam.withSchedule(LearningRateSchedule.constant(0.2)).learningRateFactors());
        assertEquals(
                LearningRateFactors.NONE,
                adam.withLearningRateFactors(LearningRateFactors.NONE).learningRateFactors());
        assertFalse(Adam.builder().build().describe().keySet().stream().anyMatch(k -> k.startsWith("lr_factor.")));
        Sgd.Config sgd = Sgd.builder().learningRate(0.1).learningRateFactors(f).build();
        assertEquals("4.0", sgd.describe().get("lr_factor.b"));
        assertEquals(sgd, sgd.toBuilder().build());
        assertEquals(
                LearningRateFactors.NONE,
                new Sgd.Config(LearningRateSchedule.constant(0.1), 0, false, 0).learningRateFactors());
        assertThrows(NullPointerException.class, () -> Adam.builder().learningRateFactors(null));
    }

    /**
     * With factor {@code f} on parameter {@code b}, {@code b} follows exactly the run of an
     * optimizer at {@code f} times the rate, and {@code a} the run at the base rate: the factor
     * multiplies the rate and nothing else (Adam's moments do not depend on the rate).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void a_factor_gives_its_parameters_exactly_the_run_at_the_multiplied_rate(DType dtype) {
        LearningRateSchedule base = LearningRateSchedule.linearWarmup(0.05, 3);
        LearningRateSchedule times4 = LearningRateSchedule.linearWarmup(0.2, 3);
        LearningRateFactors f = LearningRateFactors.of(Map.of("b", 4.0));
        try (Backend cpu = Backends.create("cpu")) {
            double[][] mixed = run(
                    cpu,
                    dtype,
                    params ->
                            Adam.builder().schedule(base).learningRateFactors(f).create(params));
            double[][] slow =
                    run(cpu, dtype, params -> Adam.builder().schedule(base).create(params));
            double[][] fast =
                    run(cpu, dtype, params -> Adam.builder().schedule(times4).create(params));
            assertArrayEquals(slow[0], mixed[0], "a keeps the base rate");
            assertArrayEquals(fast[1], mixed[1], "b runs at four times the rate");
            assertFalse(java.util.Arrays.equals(slow[1], mixed[1]), "the factor changes b");

            double[][] sgdMixed = run(
                    cpu,
                    dtype,
                    params -> Sgd.builder()
                            .schedule(base)
                            .momentum(0.9)
                            .learningRateFactors(f)
                            .create(params));
            double[][] sgdSlow = run(
                    cpu,
                    dtype,
                    params -> Sgd.builder().schedule(base).momentum(0.9).create(params));
            double[][] sgdFast = run(
                    cpu,
                    dtype,
                    params -> Sgd.builder().schedule(times4).momentum(0.9).create(params));
            assertArrayEquals(sgdSlow[0], sgdMixed[0], "SGD: a keeps the base rate");
            assertArrayEquals(sgdFast[1], sgdMixed[1], "SGD: b runs at four times the rate");
        }
    }

    /** Five steps on the quadratic from {@link #A0} and {@link #B0}; the final values of a and b. */
    private static double[][] run(Backend backend, DType dtype, Function<Map<String, Parameter>, Optimizer> make) {
        Map<String, Parameter> params = OptimTesting.twoParameters(backend, dtype, A0, B0);
        Optimizer opt = make.apply(params);
        for (int i = 0; i < 5; i++) {
            Map<String, Tensor> g = OptimTesting.quadraticGradients(params, CURVATURE);
            opt.step(g);
            g.values().forEach(Tensor::free);
        }
        return new double[][] {
            params.get("a").value().toDoubleArray(), params.get("b").value().toDoubleArray()
        };
    }
}
