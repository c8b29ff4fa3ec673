package org.flows4j.layers.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void constant() {
        LearningRateSchedule s = LearningRateSchedule.constant(1e-3);
        assertEquals(1e-3, s.at(0));
        assertEquals(1e-3, s.at(1_000_000));
    }

    @Test
    void linear_warmup_then_constant() {
        LearningRateSchedule s = LearningRateSchedule.linearWarmup(0.4, 4);
        assertEquals(0.1, s.at(0), 1e-17);
        assertEquals(0.2, s.at(1), 1e-17);
        assertEquals(0.3, s.at(2), 1e-16);
        assertEquals(0.4, s.at(3));
        assertEquals(0.4, s.at(100));
    }

    @Test
    void warmup_then_cosine_to_a_floor() {
        LearningRateSchedule s = LearningRateSchedule.warmupCosine(1.0, 2, 12, 0.1);
        assertEquals(0.5, s.at(0));
        assertEquals(1.0, s.at(1));
        assertEquals(1.0, s.at(2)); // decay starts: cos 0
        assertEquals(0.55, s.at(7), 1e-15); // halfway: floor + (peak - floor) / 2
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.3)), s.at(5), 1e-15);
        assertEquals(0.1, s.at(12), 1e-15);
        assertEquals(0.1, s.at(1000), 1e-15);
        LearningRateSchedule noWarmup = LearningRateSchedule.warmupCosine(2.0, 0, 4, 0);
        assertEquals(2.0, noWarmup.at(0));
        assertEquals(1.0, noWarmup.at(2), 1e-15);
        assertEquals(0.0, noWarmup.at(4), 1e-15);
    }

    @Test
    void exponential_decay() {
        LearningRateSchedule s = LearningRateSchedule.exponentialDecay(0.8, 0.5, 10);
        assertEquals(0.8, s.at(0));
        assertEquals(0.4, s.at(10), 1e-16);
        assertEquals(0.1, s.at(30), 1e-16);
        assertEquals(0.8 * Math.pow(0.5, 0.5), s.at(5), 1e-16);
    }

    @Test
    void rejects_bad_arguments() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.linearWarmup(0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(0.1, 10, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(0.1, 1, 10, 0.2));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.exponentialDecay(0.1, 1.5, 10));
    }

    @Test
    void aCosineByFractionWarmsUpInStepsThenReachesItsFloorAtFractionOne() {
        ScheduleConfig.WarmupCosine c = new ScheduleConfig.WarmupCosine(0.1, 4, 0, 0.01);
        assertEquals(0.025, c.atFraction(0, 0.9), 1e-15, "warm-up follows the step, whatever the fraction");
        assertEquals(0.1, c.atFraction(3, 0.9), 1e-15);
        assertEquals(0.1, c.atFraction(4, 0.0), 1e-15, "the peak at fraction 0");
        assertEquals(0.01 + 0.09 * 0.5, c.atFraction(50, 0.5), 1e-15, "the middle at half the budget");
        assertEquals(0.01, c.atFraction(9, 1.0), 1e-15, "the floor when the budget is spent");
        assertEquals(0.01, c.atFraction(9, 3.0), 1e-15, "and after");
        assertEquals(0.1, c.atFraction(9, Double.NaN), 1e-15);
        ScheduleConfig resolved = c.forRun(20);
        assertEquals(resolved.at(12), c.atFraction(12, 0.5), 1e-15, "by steps, half of the decay is the same point");
    }
}
