package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The header's JSON reader accepts exactly RFC 8259 (minus duplicate keys) and the writer round-trips. */
class JsonTest {

    @Test
    void parses_every_kind_of_value_in_document_order() throws Json.SyntaxException {
        Object v = Json.parse(
                " {\"z\": [1, -0, 2.5e-3, 12345678901234567890, true, false, null], \"a\": {}, \"m\": []}\n  ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
        List<?> z = (List<?>) m.get("z");
        assertEquals(1L, z.get(0));
        assertEquals(0L, z.get(1));
        assertEquals(new BigDecimal("2.5e-3"), z.get(2));
        assertEquals(new BigDecimal("12345678901234567890"), z.get(3), "an integer beyond long stays exact");
        assertEquals(true, z.get(4));
        assertEquals(false, z.get(5));
        assertSame(Json.NULL, z.get(6));
        assertEquals(Map.of(), m.get("a"));
        assertEquals(List.of(), m.get("m"));
    }

    @Test
    void decodes_escapes() throws Json.SyntaxException {
        assertEquals(
                "a\"b\\c/d\b\f\n\r\t\u00e9\ud83d\ude00",
                Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
    }

    // Jackson's messages, with the byte offset of where it stopped reading: at the offending
    // character, or just past an escape sequence that turned out invalid.
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"a\":1,}                    | Unexpected character ('}' (code 125)): was expecting double-quote to start property name at byte 7",
                "[1,]                          | Unexpected character (']' (code 93)): expected a value at byte 3",
                "{\"a\":01}                    | Invalid numeric value: Leading zeroes not allowed at byte 6",
                "{\"a\":1} // comment          | Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser) at byte 8",
                "{\"a\":1} 2                   | unexpected content after the end of the JSON value at byte 8",
                "{'a':1}                       | Unexpected character (''' (code 39)): was expecting double-quote to start property name at byte 1",
                "{\"a\":1,\"a\":2}             | duplicate key \"a\" at byte 7",
                "{\"a\":.5}                    | Unexpected character ('.' (code 46)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at byte 5",
                "{\"a\":1.}                    | Unexpected character ('}' (code 125)) in numeric value: Decimal point not followed by a digit at byte 7",
                "{\"a\":1e}                    | Unexpected character ('}' (code 125)) in numeric value: Exponent indicator not followed by a digit at byte 7",
                "{\"a\":tru}                   | Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at byte 5",
                "{\"a\":\"x\\q\"}              | Unrecognized character escape 'q' (code 113) at byte 8",
                "{\"a\":\"\\u12G4\"}           | Unexpected character ('G' (code 71)): expected a hex-digit for character escape sequence at byte 10",
                "{\"a\" 1}                     | Unexpected character ('1' (code 49)): was expecting a colon to separate property name and value at byte 5",
                "{\"a\":1                      | Unexpected end-of-input: expected close marker for Object at byte 6",
                "\"abc                         | Unexpected end-of-input in VALUE_STRING at byte 4",
                "{\"\u00e9\u00e9\":1 x}        | Unexpected character ('x' (code 120)): was expecting comma to separate Object entries at byte 10",
                "{\"a\":1e99999999999}         | number 1e99999999999 is out of range at byte 5",
                "''                            | unexpected end of JSON text at byte 0",
            })
    void rejects_what_rfc_8259_does_not_allow(String text, String message) {
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejects_raw_control_characters_and_deep_nesting() {
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse("\"a\tb\""));
        assertEquals(
                "Illegal unquoted character ((CTRL-CHAR, code 9)): has to be escaped using backslash to be "
                        + "included in string value at byte 2",
                e.getMessage());
        assertDoesNotThrow(() -> Json.parse("[".repeat(64) + "]".repeat(64)), "64 levels are allowed");
        String deep = "[".repeat(65) + "]".repeat(65);
        e = assertThrows(Json.SyntaxException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("exceeds the maximum allowed (64"), e.getMessage());
        e = assertThrows(Json.SyntaxException.class, () -> Json.parse("1" + "0".repeat(500)));
        assertTrue(
                e.getMessage().contains("Number value length") && e.getMessage().contains("400"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "plain",
                "quote \" backslash \\ slash /",
                "tab\tnewline\ncr\r",
                "\u0000\u0001\u001f",
                "\u00e9\u2603\ud83d\ude00",
                "{\"json\": [1]}"
            })
    void quoted_strings_parse_back(String s) throws Json.SyntaxException {
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void string_objects_and_long_arrays_round_trip() throws Json.SyntaxException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("levels", "3");
        m.put("we\"ird", "va\\lue\n");
        assertEquals("{\"levels\":\"3\",\"we\\\"ird\":\"va\\\\lue\\n\"}", Json.stringObject(m));
        assertEquals(m, Json.parseStringObject(Json.stringObject(m)));
        assertEquals(
                List.copyOf(m.keySet()),
                List.copyOf(Json.parseStringObject(Json.stringObject(m)).keySet()));
        long[] words = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        assertEquals("[-9223372036854775808,-1,0,9223372036854775807]", Json.longArray(words));
        assertArrayEquals(words, Json.parseLongArray(Json.longArray(words)));
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parseStringObject("{\"a\":1}"));
        assertEquals("the value of \"a\" is an integer, expected a string", e.getMessage());
        e = assertThrows(Json.SyntaxException.class, () -> Json.parseLongArray("[1, 2.5]"));
        assertEquals("element 1 is a number, expected a 64-bit integer", e.getMessage());
        assertEquals("[]", Arrays.toString(Json.parseLongArray("[]")));
    }
}
