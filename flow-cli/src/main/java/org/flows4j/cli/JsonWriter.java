package org.flows4j.cli;

import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Writes the command's results as JSON with Jackson 3's streaming generator (the library that
 * reads checkpoint headers; no databind). Maps become objects in their iteration order,
 * iterables arrays; numbers that JSON cannot hold (NaN, infinities) become {@code null}; paths,
 * enums and anything else become strings.
 */
final class JsonWriter {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private JsonWriter() {}

    /** The value as compact JSON text. */
    static String write(Object value) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), w)) {
            append(g, value);
        }
        return w.toString();
    }

    private static void append(JsonGenerator g, Object v) {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                g.writeNull();
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                g.writeNumber((long) d); // whole numbers print without a fraction
            } else {
                g.writeNumber(d);
            }
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof BigInteger i) {
            g.writeNumber(i);
        } else if (v instanceof Number n) {
            g.writeNumber(n.longValue());
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeName(String.valueOf(e.getKey()));
                append(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Iterable<?> it && !(v instanceof Path)) {
            // A Path is Iterable over its name elements: it must stay one string.
            g.writeStartArray();
            for (Object o : it) {
                append(g, o);
            }
            g.writeEndArray();
        } else {
            g.writeString(v.toString());
        }
    }
}
