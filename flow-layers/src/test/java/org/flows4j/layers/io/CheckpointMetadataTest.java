package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.random.RandomSource;
import org.junit.jupiter.api.Test;

/** The metadata record validates, copies defensively and compares its random state by value. */
class CheckpointMetadataTest {

    @Test
    void copies_in_and_out() {
        Map<String, String> config = new HashMap<>(Map.of("hidden", "64"));
        long[] state = RandomSource.seeded(1).state();
        CheckpointMetadata m = new CheckpointMetadata("nice:mnist", config, DType.FLOAT32, 3, state, Map.of());
        config.put("hidden", "128");
        state[0] = 42;
        assertEquals("64", m.modelConfig().get("hidden"));
        assertArrayEquals(RandomSource.seeded(1).state(), m.randomState());
        m.randomState()[1] = 7;
        assertArrayEquals(RandomSource.seeded(1).state(), m.randomState());
        assertThrows(UnsupportedOperationException.class, () -> m.modelConfig().put("x", "y"));
    }

    @Test
    void equality_compares_the_random_state_by_value() {
        CheckpointMetadata a =
                CheckpointMetadata.of("glow:small", DType.FLOAT64).withRandomState(RandomSource.seeded(4));
        CheckpointMetadata b =
                CheckpointMetadata.of("glow:small", DType.FLOAT64).withRandomState(RandomSource.seeded(4));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, a.withRandomState(RandomSource.seeded(5)));
        assertNotEquals(a, a.withStep(1));
        assertTrue(a.toString().contains("randomState=["), a.toString());
    }

    @Test
    void rejects_invalid_values() {
        CheckpointMetadata m = CheckpointMetadata.of("glow:small", DType.FLOAT32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.withExtra("step", "9"));
        assertTrue(e.getMessage().startsWith("extra metadata key 'step' is reserved"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.withStep(-1));
        assertEquals("step must not be negative, got -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointMetadata.of(" ", DType.FLOAT32));
        assertEquals("modelSpec must not be blank", e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new CheckpointMetadata("a", Map.of(), DType.FLOAT32, 0, new long[3], Map.of()));
        assertThrows(
                IllegalArgumentException.class,
                () -> new CheckpointMetadata("a", Map.of(), DType.FLOAT32, 0, new long[4], Map.of()));
        assertThrows(NullPointerException.class, () -> m.withExtra("k", null));
    }

    @Test
    void extras_keep_their_order() {
        CheckpointMetadata m =
                CheckpointMetadata.of("x", DType.FLOAT32).withExtra("b", "1").withExtra("a", "2");
        assertEquals(List.of("b", "a"), List.copyOf(m.extra().keySet()));
        assertTrue(m.randomSource().isEmpty());
    }
}
