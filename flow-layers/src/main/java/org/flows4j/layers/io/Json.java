package org.flows4j.layers.io;

import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;

/**
 * The strict JSON reader and writer that a safetensors header needs, on Jackson 3's streaming
 * core ({@code tools.jackson.core}, no databind): a small library, fuzzed upstream, whose
 * package names cannot clash with a Jackson 2 on the same class path.
 *
 * <p>Reading follows RFC 8259 to the letter (Jackson's defaults: no comments, trailing commas,
 * leading zeros, unescaped control characters, single quotes or NaN) and also rejects
 * duplicate object keys, since a header with two entries of one name is ambiguous, and
 * anything but whitespace after the value. Values become {@code Map<String, Object>} (in
 * document order), {@code List<Object>}, {@code String}, {@code Long} (integers that fit),
 * {@code BigDecimal} (other numbers), {@code Boolean} or {@link #NULL}. Errors give the byte
 * offset into the UTF-8 text, which is what a person inspecting the file with a hex dump sees.
 */
final class Json {

    /** JSON {@code null}; a sentinel, since maps here never hold Java nulls. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Nesting deeper than this is rejected rather than risking a stack overflow on hostile input. */
    static final int MAX_DEPTH = 64;

    /** Long enough for any double; longer literals would only cost quadratic parsing time. */
    static final int MAX_NUMBER_LENGTH = 400;

    /**
     * Strings and names may be as long as the header ({@link SafeTensors#MAX_HEADER_BYTES}),
     * which bounds the document; Jackson's own defaults (20 M characters, 50,000 for a name)
     * would be a second, different limit.
     */
    private static final int MAX_STRING_LENGTH = (int) SafeTensors.MAX_HEADER_BYTES;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(MAX_STRING_LENGTH)
                    .maxDocumentLength(SafeTensors.MAX_HEADER_BYTES)
                    .build())
            .build();

    /** A syntax error; the message already names the byte offset. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message);
        }
    }

    private Json() {}

    /**
     * Parses one JSON value; whitespace may follow it (safetensors pads the header with
     * spaces), nothing else may.
     */
    static Object parse(String text) throws SyntaxException {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses one JSON value from UTF-8 bytes, as {@link #parse(String)}. */
    static Object parse(byte[] utf8) throws SyntaxException {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), utf8)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw error("unexpected end of JSON text", utf8.length);
            }
            Object value = value(p, first);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw error("unexpected content after the end of the JSON value", p.currentTokenLocation());
            }
            return value;
        } catch (JacksonException e) {
            throw error(describe(e), e.getLocation());
        } catch (NumberFormatException | ArithmeticException e) {
            // Jackson defers number conversion; a literal that fits no BigDecimal ends here.
            throw new SyntaxException("number out of range: " + e.getMessage());
        }
    }

    private static Object value(JsonParser p, JsonToken token) throws SyntaxException {
        return switch (token) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> array(p);
            case VALUE_STRING -> p.getString();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> NULL;
            case VALUE_NUMBER_INT -> integer(p);
            case VALUE_NUMBER_FLOAT -> decimal(p);
            default -> throw error("unexpected " + token, p.currentTokenLocation());
        };
    }

    private static Object integer(JsonParser p) throws SyntaxException {
        JsonParser.NumberType type = p.getNumberType();
        if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
            return p.getLongValue();
        }
        BigInteger big = p.getBigIntegerValue(); // an integer beyond long stays exact
        return new BigDecimal(big);
    }

    private static Object decimal(JsonParser p) throws SyntaxException {
        TokenStreamLocation at = p.currentTokenLocation();
        String literal = p.getString();
        try {
            return new BigDecimal(literal);
        } catch (NumberFormatException exponentOutOfRange) {
            throw error("number " + literal + " is out of range", at);
        }
    }

    private static Map<String, Object> object(JsonParser p) throws SyntaxException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            // Jackson only ever returns a property name here: anything else is its syntax error.
            TokenStreamLocation keyAt = p.currentTokenLocation();
            String key = p.currentName();
            Object v = value(p, p.nextToken());
            if (out.putIfAbsent(key, v) != null) {
                throw error("duplicate key \"" + key + "\"", keyAt);
            }
        }
        return out;
    }

    private static List<Object> array(JsonParser p) throws SyntaxException {
        List<Object> out = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            out.add(value(p, t));
        }
        return out;
    }

    /** Jackson's message without its location suffix, on one line. */
    private static String describe(JacksonException e) {
        String m = e.getOriginalMessage();
        if (m == null || m.isBlank()) {
            return "malformed JSON";
        }
        // Jackson names where an unclosed object or array began, with the source redacted: the
        // byte offset appended to the message is the one a reader needs.
        return m.replaceAll("\\s*\\(start marker at \\[[^\\]]*\\]\\)", "")
                .strip()
                .replaceAll("\\s*\\R\\s*", " ");
    }

    private static SyntaxException error(String what, TokenStreamLocation at) {
        long offset = at == null ? -1 : at.getByteOffset();
        return offset < 0 ? new SyntaxException(what) : error(what, offset);
    }

    private static SyntaxException error(String what, long byteOffset) {
        return new SyntaxException(what + " at byte " + byteOffset);
    }

    // =====================================================================================
    // Writing
    // =====================================================================================

    /** Writes compact JSON through Jackson's generator; non-ASCII stays literal (the header is UTF-8). */
    @FunctionalInterface
    interface Writing {
        void write(JsonGenerator g);
    }

    /** The compact JSON text that {@code body} generates. */
    static String write(Writing body) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), w)) {
            body.write(g);
        }
        return w.toString();
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        return write(g -> g.writeString(s));
    }

    /** A flat object of string values, compact, in the map's order. */
    static String stringObject(Map<String, String> map) {
        return write(g -> writeStringObject(g, map));
    }

    /** Writes a flat object of string values, in the map's order. */
    static void writeStringObject(JsonGenerator g, Map<String, String> map) {
        g.writeStartObject();
        map.forEach(g::writeStringProperty);
        g.writeEndObject();
    }

    /** A compact array of integers. */
    static String longArray(long[] values) {
        return write(g -> g.writeArray(values, 0, values.length));
    }

    /** Parses a flat object of string values, as written by {@link #stringObject}. */
    static Map<String, String> parseStringObject(String text) throws SyntaxException {
        if (!(parse(text) instanceof Map<?, ?> map)) {
            throw new SyntaxException("expected a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SyntaxException(
                        "the value of \"" + e.getKey() + "\" is " + kind(e.getValue()) + ", expected a string");
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Parses an array of integers that fit in a long, as written by {@link #longArray}. */
    static long[] parseLongArray(String text) throws SyntaxException {
        if (!(parse(text) instanceof List<?> list)) {
            throw new SyntaxException("expected a JSON array");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long v)) {
                throw new SyntaxException("element " + i + " is " + kind(list.get(i)) + ", expected a 64-bit integer");
            }
            out[i] = v;
        }
        return out;
    }

    /** The JSON kind of a parsed value, for messages. */
    static String kind(Object v) {
        if (v instanceof Map<?, ?>) {
            return "an object";
        } else if (v instanceof List<?>) {
            return "an array";
        } else if (v instanceof String) {
            return "a string";
        } else if (v instanceof Long) {
            return "an integer";
        } else if (v instanceof BigDecimal) {
            return "a number";
        } else if (v instanceof Boolean) {
            return "a boolean";
        }
        return "null";
    }
}
