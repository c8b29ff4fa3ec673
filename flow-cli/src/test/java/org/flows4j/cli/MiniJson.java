package org.flows4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A strict JSON reader for the tests (RFC 8259: one value, nothing after it but whitespace,
 * no duplicate keys) on Jackson's streaming parser, so the tests check the writer's output
 * against the parser, not against the writer. Objects become ordered maps, numbers doubles.
 */
final class MiniJson {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private MiniJson() {}

    /** Parses exactly one JSON value. */
    static Object parse(String text) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
            Object v = value(p, p.nextToken());
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing content after the JSON value: " + text);
            }
            return v;
        }
    }

    /** Parses exactly one JSON object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("not a JSON object: " + text);
        }
        return (Map<String, Object>) v;
    }

    private static Object value(JsonParser p, JsonToken t) {
        if (t == null) {
            throw new IllegalArgumentException("unexpected end of the JSON text");
        }
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    if (m.containsKey(key)) {
                        throw new IllegalArgumentException("duplicate key " + key);
                    }
                    m.put(key, value(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                yield l;
            }
            case VALUE_STRING -> p.getString();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IllegalArgumentException("unexpected " + t);
        };
    }
}
