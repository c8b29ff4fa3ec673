package org.flows4j.layers.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.junit.jupiter.api.Test;

/** Optimizer settings as values: defaults, validation naming the setting, stable descriptions, named schedules. */
class OptimizerConfigTest {

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
        }
    }

    @Test
    void adam_builds_with_the_usual_defaults_and_describes_itself() {
        Adam.Config c = Adam.builder()
                .schedule(LearningRateSchedule.linearWarmup(3e-3, 10))
                .build();
        assertEquals(0.9, c.beta1());
        assertEquals(0.999, c.beta2());
        assertEquals(1e-8, c.epsilon());
        assertEquals(0.0, c.weightDecay());
        assertEquals("adam", c.name());
        Map<String, String> d = c.describe();
        assertEquals("adam", d.get("optimizer"));
        assertEquals("0.9", d.get("beta1"));
        assertEquals("1.0E-8", d.get("epsilon"));
        assertEquals("warmup", d.get("schedule"));
        assertEquals("0.003", d.get("schedule.lr"));
        assertEquals("10", d.get("schedule.warmup_steps"));
        assertEquals(c, c.toBuilder().build());
        assertEquals(
                "custom",
                Adam.builder().schedule(step -> 0.1).build().describe().get("schedule"));
    }

    @Test
    void sgd_describes_momentum_and_nesterov() {
        Sgd.Config c = Sgd.builder()
                .learningRate(0.1)
                .momentum(0.9)
                .nesterov(true)
                .weightDecay(1e-4)
                .build();
        Map<String, String> d = c.describe();
        assertEquals("sgd", d.get("optimizer"));
        assertEquals("0.9", d.get("momentum"));
        assertEquals("true", d.get("nesterov"));
        assertEquals("1.0E-4", d.get("weight_decay"));
        assertEquals("constant", d.get("schedule"));
        assertEquals("0.1", d.get("schedule.lr"));
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void bad_settings_are_refused_naming_the_setting() {
        assertMessage(() -> Adam.builder().betas(1.0, 0.999).build(), "beta1", "[0, 1)");
        assertMessage(() -> Adam.builder().betas(0.9, -0.1).build(), "beta2");
        assertMessage(() -> Adam.builder().epsilon(0).build(), "epsilon", "> 0");
        assertMessage(() -> Adam.builder().weightDecay(-1).build(), "weightDecay");
        assertMessage(() -> Adam.builder().learningRate(0).build(), "lr");
        assertMessage(() -> Sgd.builder().momentum(1).build(), "momentum");
        assertMessage(() -> Sgd.builder().nesterov(true).build(), "nesterov", "momentum > 0");
        assertMessage(() -> new ScheduleConfig.WarmupCosine(0.1, 5, 3, 0), "totalSteps", "warmupSteps");
        assertMessage(() -> new ScheduleConfig.WarmupCosine(0.1, 0, 10, 0.2), "floor");
    }

    @Test
    void configs_create_their_optimizer_and_a_cosine_needs_its_length() {
        try (Backend backend = Backends.create("cpu")) {
            Map<String, Parameter> params = Map.of("w", OptimTesting.parameter(backend, DType.FLOAT64, 1, 2));
            OptimizerConfig adam = Adam.builder().learningRate(0.01).build();
            Adam a = (Adam) adam.create(params);
            assertSame(adam, a.config());
            assertEquals(0.01, a.learningRate());
            Sgd s = Sgd.builder().learningRate(0.2).momentum(0.5).create(params);
            assertEquals(0.5, s.momentum());
            ScheduleConfig.WarmupCosine open = new ScheduleConfig.WarmupCosine(0.1, 2, 0, 0);
            assertMessage(() -> Adam.builder().schedule(open).create(params), "cosine", "totalSteps");
            assertThrows(IllegalStateException.class, () -> open.at(0));
            ScheduleConfig run = open.forRun(12);
            assertEquals(new ScheduleConfig.WarmupCosine(0.1, 2, 12, 0), run);
            assertEquals(0.1, run.at(2));
            assertEquals(0.0, run.at(12));
            assertEquals("12", run.describe().get("total_steps"));
            assertSame(run, run.forRun(50), "a schedule with a length keeps it");
            assertMessage(() -> open.forRun(2), "2 steps", "warmupSteps 2");
        }
    }

    @Test
    void the_factories_return_named_schedules() {
        assertEquals("constant", LearningRateSchedule.constant(0.1).name());
        assertEquals("warmup", LearningRateSchedule.linearWarmup(0.1, 3).name());
        assertEquals("cosine", LearningRateSchedule.warmupCosine(0.1, 1, 10, 0).name());
        assertEquals(
                "exponential",
                LearningRateSchedule.exponentialDecay(0.1, 0.5, 10).name());
        assertEquals(
                Map.of("lr", "0.1", "rate", "0.5", "decay_steps", "10"),
                LearningRateSchedule.exponentialDecay(0.1, 0.5, 10).describe());
    }
}
