package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
        Object v = Json.parse(" {\"z\": [1, -0, 2.5e-3, 12345678901234567890, true, false, null], \"a\": {}, \"m\": []}\n  ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
        List<?> z = (List<?>) m.get("z");
        assertEquals(1L, z.get(0));
        assertEquals(0L, z.get(1));
        assertEquals(new BigDecimal("2.5e-3"), z.get(2));
        assertEquals(new BigDecimal("12345678901234567890"), z.get(3), "an integer beyond long stays exact");
        assertEquals(Boolean.TRUE, z.get(4));
        assertEquals(Boolean.FALSE, z.get(5));
        assertSame(Json.NULL, z.get(6));
        assertEquals(Map.of(), m.get("a"));
        assertEquals(List.of(), m.get("m"));
    }

    @Test
    void decodes_escapes() throws Json.SyntaxException {
        assertEquals("a\"b\\c/d\b\f\n\r\t\u00e9\ud83d\ude00",
                Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\":1,}                    | expected a string key, found '}' at byte 7",
        "[1,]                          | expected a JSON value, found ']' at byte 3",
        "{\"a\":01}                    | leading zero in a number at byte 6",
        "{\"a\":1} // comment          | unexpected '/' after the end of the JSON value at byte 8",
        "{'a':1}                       | expected a string key, found ''' at byte 1",
        "{\"a\":1,\"a\":2}             | duplicate key \"a\" at byte 7",
        "{\"a\":.5}                    | expected a JSON value, found '.' at byte 5",
        "{\"a\":1.}                    | expected a digit after the decimal point, found '}' at byte 7",
        "{\"a\":1e}                    | expected a digit in the exponent, found '}' at byte 7",
        "{\"a\":tru}                   | expected a JSON value, found 't' at byte 5",
        "{\"a\":\"x\\q\"}              | invalid escape sequence '\\q' at byte 7",
        "{\"a\":\"\\u12G4\"}           | invalid \\u escape at byte 6",
        "{\"a\" 1}                     | expected ':', found '1' at byte 5",
        "{\"a\":1                      | expected ',' or '}', found the end of the text at byte 6",
        "\"abc                         | unterminated string at byte 4",
        "{\"\u00e9\u00e9\":1 x}        | expected ',' or '}', found 'x' at byte 10",
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
        assertEquals("unescaped control character U+0009 in a string at byte 2", e.getMessage());
        String deep = "[".repeat(65) + "]".repeat(65);
        e = assertThrows(Json.SyntaxException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().startsWith("nesting deeper than 64 levels"), e.getMessage());
        assertThrows(Json.SyntaxException.class, () -> Json.parse("1" + "0".repeat(500)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", "quote \" backslash \\ slash /", "tab\tnewline\ncr\r", "\u0000\u0001\u001f",
        "\u00e9\u2603\ud83d\ude00", "{\"json\": [1]}"})
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
        assertEquals(List.copyOf(m.keySet()), List.copyOf(Json.parseStringObject(Json.stringObject(m)).keySet()));
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
