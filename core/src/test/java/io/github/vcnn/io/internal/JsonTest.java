package io.github.vcnn.io.internal;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The internal JSON reader and writer: the RFC 8259 grammar exactly, clear refusals, and write-then-read round trips. */
class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Map<String, Object> m = Json.parseObject(" {\"a\": [1, -2, 3.5, -0.25e2, 1E3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": []} \n");
        assertEquals(List.of("a", "b", "e"), List.copyOf(m.keySet()), "document order");
        assertEquals(Arrays.asList(1L, -2L, 3.5, -25.0, 1000.0, true, false, null), m.get("a"));
        assertEquals(Map.of("c", "d"), m.get("b"));
        assertEquals(List.of(), m.get("e"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals("x", Json.parse("\"x\""));
        assertNull(Json.parse("null"));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
        assertEquals("\"\\/\b\f\n\r\t", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("A\u00e9\u4e2d", Json.parse("\"\\u0041\\u00E9\\u4e2D\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\uD83D\\uDE00\""), "an escaped pair is one code point");
        assertEquals("\uD83D\uDE00 raw", Json.parse("\"\uD83D\uDE00 raw\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
    }

    @Test
    void refusesMalformedInputNamingWhatIsWrong() {
        refused("", "end of input");
        refused("   ", "end of input");
        refused("{", "end of input");
        refused("{\"a\":", "end of input");
        refused("{\"a\" 1}", "':'");
        refused("{\"a\":1,}", "member name");
        refused("[1,]", "a value");
        refused("[1 2]", "',' or ']'");
        refused("{\"a\":1 \"b\":2}", "',' or '}'");
        refused("{'a':1}", "member name");
        refused("{a:1}", "member name");
        refused("[01]", "leading zero");
        refused("[1.]", "digit after the decimal point");
        refused("[.5]", "a value");
        refused("[1e]", "exponent");
        refused("[-]", "digit");
        refused("[+1]", "a value");
        refused("[NaN]", "a value");
        refused("[Infinity]", "a value");
        refused("[tru]", "a value");
        refused("[nul]", "a value");
        refused("// c\n{}", "a value");
        refused("{} x", "unexpected character 'x'");
        refused("{}{}", "data after the JSON value");
        refused("\"abc", "not closed");
        refused("\"a\tb\"", "control character U+0009");
        refused("\"\\x\"", "valid escape");
        refused("\"\\u12\"", "four hex digits");
        refused("\"\\u12G4\"", "four hex digits");
        refused("\"\\u\u0661\u0662\u0663\u0664\"", "four hex digits"); // non-ASCII digits are not hex digits
        refused("\"\\uD83D\"", "unpaired surrogate");
        refused("\"\\uD83Dx\"", "unpaired surrogate");
        refused("\"\\uD83D\\u0041\"", "unpaired surrogate");
        refused("\"\\uDE00\"", "unpaired surrogate");
        refused("\"\uDE00\"", "unpaired surrogate");
        refused("\"\uD83D\"", "unpaired surrogate");
        refused("{\"a\":1,\"a\":2}", "duplicate key 'a'");
        refused("\u00a0{}", "U+00A0");
    }

    @Test
    void errorsGiveTheOffset() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2, x]"));
        assertTrue(e.getMessage().contains("offset 7"), e.getMessage());
    }

    @Test
    void nestingDepthIsLimited() {
        assertEquals(List.of(List.of()), Json.parse("[[]]", 2));
        refused(() -> Json.parse("[[[]]]", 2), "nesting depth exceeds the limit of 2");
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        refused(() -> Json.parse(deep), "nesting depth exceeds the limit of " + Json.DEFAULT_MAX_DEPTH);
        assertEquals(1L, Json.parse("1", 0), "a scalar needs no depth");
        refused(() -> Json.parse("[]", 0), "nesting depth");
    }

    @Test
    void parseObjectWantsAnObject() {
        refused(() -> Json.parseObject("[]"), "not a JSON object but an array");
        refused(() -> Json.parseObject("null"), "not a JSON object but null");
        refused(() -> Json.parse(null), "null");
    }

    @Test
    void writesCompactJsonThatReadsBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"b\\s/\n\t\u0001\u00e9\uD83D\uDE00");
        m.put("i", 3);
        m.put("l", 1L << 40);
        m.put("d", 0.5);
        m.put("small", 1e-4);
        m.put("f", 0.1f);
        m.put("b", true);
        m.put("n", null);
        m.put("list", List.of(1, List.of(), Map.of()));
        String json = Json.write(m);
        assertTrue(json.startsWith("{\"s\":\"q\\\"b\\\\s/\\n\\t\\u0001\u00e9\uD83D\uDE00\",\"i\":3,"), json);
        Map<String, Object> back = Json.parseObject(json);
        assertEquals("q\"b\\s/\n\t\u0001\u00e9\uD83D\uDE00", back.get("s"));
        assertEquals(3L, back.get("i"));
        assertEquals(1L << 40, back.get("l"));
        assertEquals(0.5, back.get("d"));
        assertEquals(1e-4, back.get("small"));
        assertEquals(0.1f, ((Number) back.get("f")).floatValue());
        assertEquals(true, back.get("b"));
        assertTrue(back.containsKey("n") && back.get("n") == null);
        assertEquals(Json.write(back), Json.write(Json.parse(Json.write(back))), "stable");
    }

    @Test
    void writeRefusesWhatJsonCannotHold() {
        refused(() -> Json.write(Double.NaN), "NaN");
        refused(() -> Json.write(List.of(Float.POSITIVE_INFINITY)), "Infinity");
        refused(() -> Json.write(Map.of(1, 2)), "not a string");
        refused(() -> Json.write(new Object()), "cannot write a java.lang.Object");
        refused(() -> Json.write("a\uD800b"), "unpaired surrogate");
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        refused(() -> Json.write(cycle), "deeper than");
    }

    @Test
    void theParserStreamsTokensAndSkipsValues() {
        Json.Parser p = new Json.Parser("{\"a\":{\"x\":[1,{\"y\":2}]},\"b\":\"v\"} {\"c\":1}", 8);
        assertEquals(Json.Token.START_OBJECT, p.nextToken());
        assertEquals(Json.Token.FIELD_NAME, p.nextToken());
        assertEquals("a", p.currentName());
        assertEquals(Json.Token.START_OBJECT, p.nextToken());
        p.skipChildren();
        assertEquals(Json.Token.END_OBJECT, p.token());
        assertEquals(Json.Token.FIELD_NAME, p.nextToken());
        assertEquals("b", p.text());
        assertEquals(Json.Token.STRING, p.nextToken());
        assertEquals("v", p.text());
        assertEquals(Json.Token.END_OBJECT, p.nextToken());
        assertEquals(Json.Token.START_OBJECT, p.nextToken(), "a second root value is the caller's to refuse");
        assertEquals(Json.Token.FIELD_NAME, p.nextToken());
        assertEquals(Json.Token.INTEGER, p.nextToken());
        assertEquals(1L, p.numberValue());
        assertEquals(Json.Token.END_OBJECT, p.nextToken());
        assertNull(p.nextToken());
    }

    /** Random mutations of valid documents: each is either read or refused with an IllegalArgumentException, nothing else. */
    @Test
    void mutatedDocumentsAreReadOrRefusedCleanly() {
        String base = "{\"__metadata__\":{\"k\":\"v\\u00e9\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"x\":[1.5e-3,true,null]}";
        String alphabet = "{}[]\",:\\u0123456789abcdefEe+-.tfnrl \t\n\uD83D\uDE00";
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder(base);
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextInt(sb.length() + 1);
                switch (r.nextInt(3)) {
                    case 0 -> sb.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                    default -> { if (at < sb.length()) sb.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length()))); }
                }
            }
            String doc = sb.toString();
            try {
                Object v = Json.parse(doc);
                assertEquals(Json.write(v), Json.write(Json.parse(Json.write(v))), doc);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), doc);
            }
        }
    }

    private static void refused(String json, String expected) {
        refused(() -> Json.parse(json), expected);
    }

    private static void refused(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
