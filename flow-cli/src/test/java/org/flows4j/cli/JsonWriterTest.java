package org.flows4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {

    @Test
    void writes_nested_values_that_parse_back() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "a \"quoted\" \\ line\nnext\ttab \u0001 \u2028");
        m.put("int", 42);
        m.put("long", 1L << 40);
        m.put("double", 2.5);
        m.put("whole", 3.0);
        m.put("tiny", 1e-12);
        m.put("nan", Double.NaN);
        m.put("inf", Double.NEGATIVE_INFINITY);
        m.put("bool", true);
        m.put("null", null);
        m.put("path", Path.of("out", "last.safetensors"));
        m.put("list", Arrays.asList(1, "two", null));
        m.put("nested", Map.of("k", List.of()));
        Map<String, Object> back = MiniJson.object(JsonWriter.write(m));
        assertEquals(m.get("text"), back.get("text"));
        assertEquals(42.0, back.get("int"));
        assertEquals((double) (1L << 40), back.get("long"));
        assertEquals(2.5, back.get("double"));
        assertEquals(3.0, back.get("whole"));
        assertEquals(1e-12, back.get("tiny"));
        assertNull(back.get("nan"), "JSON has no NaN");
        assertNull(back.get("inf"), "JSON has no infinity");
        assertEquals(true, back.get("bool"));
        assertEquals(
                Path.of("out", "last.safetensors").toString(), back.get("path"), "a path is one string, not an array");
        assertEquals(Arrays.asList(1.0, "two", null), back.get("list"));
        assertEquals(Map.of("k", List.of()), back.get("nested"));
        assertEquals(List.copyOf(m.keySet()), List.copyOf(back.keySet()), "keys keep their order");
    }
}
