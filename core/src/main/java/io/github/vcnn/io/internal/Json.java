package io.github.vcnn.io.internal;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer for the two places vcnn-core reads or writes JSON: the safetensors
 * header and the model-architecture metadata. It is hand-written on purpose: vcnn-core has no runtime dependency beyond
 * the JDK (the JDK has no JSON API), and both uses need little: objects, arrays, strings, numbers, booleans and null.
 *
 * <p>Reading is strict: exactly the RFC's grammar (no comments, no trailing commas, no single quotes, no leading
 * zeros, no NaN), strings with every escape (<code>&#92;uXXXX</code> surrogate pairs combined; an unpaired surrogate, escaped
 * or not, and an unescaped control character are refused), and a nesting depth limit. Malformed input is an
 * {@link IllegalArgumentException} naming what is wrong and the character offset where it was found; nothing else is
 * thrown. {@link #parse} builds a tree (objects as {@link LinkedHashMap} in document order, refusing a duplicate key;
 * arrays as {@link ArrayList}; integers as {@link Long}, or {@link BigInteger} beyond a long; other numbers as
 * {@link Double}; strings, {@link Boolean} and {@code null}). {@link Parser} is the token stream under it, for readers
 * that check a format as they go (the safetensors header).
 *
 * <p>Not exported from the module: an implementation detail of vcnn-core, not API.
 */
public final class Json {
    /** The nesting depth {@link #parse(CharSequence)} allows. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    private Json() {
    }

    /** The tokens of {@link Parser#nextToken()}. */
    public enum Token {
        START_OBJECT, END_OBJECT, START_ARRAY, END_ARRAY, FIELD_NAME, STRING, INTEGER, DECIMAL, TRUE, FALSE, NULL
    }

    /** Parses one JSON value (the whole input, surrounding whitespace allowed) into a tree; see the class comment. */
    public static Object parse(CharSequence text) {
        return parse(text, DEFAULT_MAX_DEPTH);
    }

    /** {@link #parse(CharSequence)} with another nesting depth limit (1: no container inside the root). */
    public static Object parse(CharSequence text, int maxDepth) {
        Parser p = new Parser(text, maxDepth);
        Object v = p.readValue(p.nextToken());
        if (p.nextToken() != null) throw p.error("data after the JSON value");
        return v;
    }

    /** Parses a JSON object; a valid document of another type is an {@link IllegalArgumentException} too. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(CharSequence text) {
        Object v = parse(text);
        if (!(v instanceof Map<?, ?>)) throw new IllegalArgumentException("not a JSON object but " + typeName(v));
        return (Map<String, Object>) v;
    }

    private static String typeName(Object v) {
        return v == null ? "null" : v instanceof List<?> ? "an array" : v instanceof String ? "a string"
                : v instanceof Boolean ? "a boolean" : "a number";
    }

    /**
     * Compact JSON of a tree of {@link Map} (string keys), {@link Collection}, {@link CharSequence}, {@link Number}
     * (finite), {@link Boolean} and {@code null}; anything else, a non-string key, a NaN or infinity, or a string with
     * an unpaired surrogate is an {@link IllegalArgumentException}.
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(value, sb, 0);
        return sb.toString();
    }

    private static void write(Object v, StringBuilder sb, int depth) {
        if (depth > 1000) throw new IllegalArgumentException("value nested deeper than 1000 levels (a cycle?)");
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b.booleanValue());
            case CharSequence s -> quote(s, sb);
            case Double d -> sb.append(finite(d, d));
            case Float f -> sb.append(finite(f, f));
            case Long l -> sb.append(l.longValue());
            case Integer i -> sb.append(i.intValue());
            case Short s -> sb.append(s.shortValue());
            case Byte b -> sb.append(b.byteValue());
            case BigInteger b -> sb.append(b);
            case java.math.BigDecimal b -> sb.append(b);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) throw new IllegalArgumentException("JSON object key " + e.getKey() + " is not a string");
                    if (!first) sb.append(',');
                    first = false;
                    quote(key, sb);
                    sb.append(':');
                    write(e.getValue(), sb, depth + 1);
                }
                sb.append('}');
            }
            case Collection<?> c -> {
                sb.append('[');
                boolean first = true;
                for (Object o : c) {
                    if (!first) sb.append(',');
                    first = false;
                    write(o, sb, depth + 1);
                }
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
        }
    }

    private static String finite(double d, Object original) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON has no " + d + " (number " + original + ")");
        return original.toString(); // Double/Float.toString: "0.5", "1.0E-4", valid JSON numbers that read back exactly
    }

    private static void quote(CharSequence s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c)) {
                        if (!Character.isHighSurrogate(c) || i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                            throw new IllegalArgumentException("string has an unpaired surrogate U+" + Integer.toHexString(c).toUpperCase()
                                    + " at index " + i);
                        }
                        sb.append(c).append(s.charAt(++i));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * The token stream of one JSON text. After the root value, {@link #nextToken()} returns {@code null} when only
     * whitespace is left, else the first token of the next value (a caller that wants one value checks for
     * {@code null}, as {@link Json#parse} does).
     */
    public static final class Parser {
        private static final int ROOT = 0, ROOT_DONE = 1, ARRAY_FIRST = 2, ARRAY_NEXT = 3, OBJECT_FIRST = 4, OBJECT_NEXT = 5,
                OBJECT_VALUE = 6;

        private final CharSequence s;
        private final int end;
        private final int maxDepth;
        private int pos;
        private int state = ROOT;
        /** true for an object, per open container */
        private boolean[] stack = new boolean[8];
        private int depth;
        private Token token;
        private int tokenStart;
        private String text;
        private String name;

        /** A parser of {@code text} that refuses containers nested deeper than {@code maxDepth}. */
        public Parser(CharSequence text, int maxDepth) {
            if (text == null) throw new IllegalArgumentException("JSON text is null");
            if (maxDepth < 0) throw new IllegalArgumentException("maxDepth " + maxDepth + " < 0");
            this.s = text;
            this.end = text.length();
            this.maxDepth = maxDepth;
        }

        /** The next token; {@code null} at the end of the input after a complete value. */
        public Token nextToken() {
            skipWhitespace();
            tokenStart = pos;
            switch (state) {
                case ROOT_DONE -> {
                    if (pos == end) return token = null;
                    return value();
                }
                case ROOT -> {
                    return value();
                }
                case ARRAY_FIRST, ARRAY_NEXT -> {
                    if (pos < end && s.charAt(pos) == ']') return close(Token.END_ARRAY);
                    if (state == ARRAY_NEXT) comma("',' or ']' after an array element");
                    return value();
                }
                case OBJECT_FIRST, OBJECT_NEXT -> {
                    if (pos < end && s.charAt(pos) == '}') return close(Token.END_OBJECT);
                    if (state == OBJECT_NEXT) comma("',' or '}' after an object member");
                    if (pos >= end || s.charAt(pos) != '"') throw expected("a member name (a string)");
                    name = string();
                    text = name;
                    skipWhitespace();
                    if (pos >= end || s.charAt(pos) != ':') throw expected("':' after the member name");
                    pos++;
                    state = OBJECT_VALUE;
                    return token = Token.FIELD_NAME;
                }
                case OBJECT_VALUE -> {
                    return value();
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }

        /** The current token. */
        public Token token() {
            return token;
        }

        /** The member name: of the {@link Token#FIELD_NAME} just read, and of the value after it. */
        public String currentName() {
            return name;
        }

        /** The value of a STRING, the name of a FIELD_NAME, the literal of a number, true, false or null; else the token's name. */
        public String text() {
            return switch (token) {
                case STRING, FIELD_NAME, INTEGER, DECIMAL -> text;
                case TRUE -> "true";
                case FALSE -> "false";
                case NULL -> "null";
                case START_OBJECT -> "{";
                case END_OBJECT -> "}";
                case START_ARRAY -> "[";
                case END_ARRAY -> "]";
                case null -> "end of input";
            };
        }

        /** The current number: a {@link Long} for an integer that fits, a {@link BigInteger} for one that does not, else a {@link Double}. */
        public Number numberValue() {
            if (token == Token.INTEGER) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException e) {
                    return new BigInteger(text);
                }
            }
            if (token == Token.DECIMAL) return Double.parseDouble(text);
            throw new IllegalStateException("the current token " + token + " is not a number");
        }

        /** Skips the value whose first token is the current one (the whole object or array at a START token). */
        public void skipChildren() {
            if (token != Token.START_OBJECT && token != Token.START_ARRAY) return;
            int open = 1;
            while (open > 0) {
                Token t = nextToken();
                if (t == Token.START_OBJECT || t == Token.START_ARRAY) open++;
                else if (t == Token.END_OBJECT || t == Token.END_ARRAY) open--;
            }
        }

        /** The character offset of the current token in the input. */
        public int offset() {
            return tokenStart;
        }

        /** An IllegalArgumentException naming the current offset. */
        public IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at offset " + tokenStart);
        }

        /** The tree of the value that starts with {@code first} (the current token). */
        Object readValue(Token first) {
            if (first == null) throw error("unexpected end of input");
            switch (first) {
                case START_OBJECT -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    Token t;
                    while ((t = nextToken()) == Token.FIELD_NAME) {
                        String key = name;
                        int at = tokenStart;
                        Object v = readValue(nextToken());
                        if (m.containsKey(key)) throw new IllegalArgumentException("duplicate key " + printable(key) + " at offset " + at);
                        m.put(key, v);
                    }
                    return m; // t is END_OBJECT: nextToken refuses anything else
                }
                case START_ARRAY -> {
                    List<Object> l = new ArrayList<>();
                    Token t;
                    while ((t = nextToken()) != Token.END_ARRAY) l.add(readValue(t));
                    return l;
                }
                case STRING -> {
                    return text;
                }
                case INTEGER, DECIMAL -> {
                    return numberValue();
                }
                case TRUE -> {
                    return Boolean.TRUE;
                }
                case FALSE -> {
                    return Boolean.FALSE;
                }
                case NULL -> {
                    return null;
                }
                default -> throw error("unexpected " + text());
            }
        }

        private Token value() {
            if (pos >= end) throw expected("a value");
            char c = s.charAt(pos);
            switch (c) {
                case '{', '[' -> {
                    if (depth >= maxDepth) throw error("nesting depth exceeds the limit of " + maxDepth);
                    if (depth == stack.length) stack = Arrays.copyOf(stack, 2 * depth);
                    stack[depth++] = c == '{';
                    pos++;
                    state = c == '{' ? OBJECT_FIRST : ARRAY_FIRST;
                    return token = c == '{' ? Token.START_OBJECT : Token.START_ARRAY;
                }
                case '"' -> {
                    text = string();
                    token = Token.STRING;
                }
                case 't' -> token = literal("true", Token.TRUE);
                case 'f' -> token = literal("false", Token.FALSE);
                case 'n' -> token = literal("null", Token.NULL);
                default -> {
                    if (c != '-' && (c < '0' || c > '9')) throw expected("a value");
                    token = number();
                }
            }
            afterValue();
            return token;
        }

        private Token close(Token t) {
            pos++;
            depth--;
            afterValue();
            return token = t;
        }

        private void afterValue() {
            state = depth == 0 ? ROOT_DONE : stack[depth - 1] ? OBJECT_NEXT : ARRAY_NEXT;
        }

        private void comma(String expectation) {
            if (pos >= end || s.charAt(pos) != ',') throw expected(expectation);
            pos++;
            skipWhitespace();
            tokenStart = pos;
        }

        private Token literal(String word, Token t) {
            for (int i = 0; i < word.length(); i++) {
                if (pos + i >= end || s.charAt(pos + i) != word.charAt(i)) throw expected("a value");
            }
            pos += word.length();
            return t;
        }

        private Token number() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            if (pos >= end || !digit(s.charAt(pos))) throw at(pos, "a digit in the number");
            if (s.charAt(pos) == '0') {
                pos++;
                if (pos < end && digit(s.charAt(pos))) throw at(pos, "no leading zero in the number (found a digit after 0)");
            } else {
                while (pos < end && digit(s.charAt(pos))) pos++;
            }
            boolean integer = true;
            if (pos < end && s.charAt(pos) == '.') {
                integer = false;
                pos++;
                if (pos >= end || !digit(s.charAt(pos))) throw at(pos, "a digit after the decimal point");
                while (pos < end && digit(s.charAt(pos))) pos++;
            }
            if (pos < end && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integer = false;
                pos++;
                if (pos < end && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                if (pos >= end || !digit(s.charAt(pos))) throw at(pos, "a digit in the exponent");
                while (pos < end && digit(s.charAt(pos))) pos++;
            }
            text = s.subSequence(start, pos).toString();
            return integer ? Token.INTEGER : Token.DECIMAL;
        }

        private static boolean digit(char c) {
            return c >= '0' && c <= '9';
        }

        /** A string at {@code pos} (its opening quote), escapes decoded. */
        private String string() {
            int start = pos++;
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= end) throw at(start, "the string starting here is not closed");
                char c = s.charAt(pos);
                if (c == '"') {
                    String run = s.subSequence(runStart, pos).toString();
                    pos++;
                    return sb == null ? run : sb.append(run).toString();
                }
                if (c < 0x20) throw at(pos, "no unescaped control character U+" + hex4(c) + " in a string");
                if (c == '\\') {
                    if (sb == null) sb = new StringBuilder();
                    sb.append(s, runStart, pos);
                    int escape = pos;
                    char d = escaped();
                    if (Character.isHighSurrogate(d)) {
                        if (pos + 1 < end && s.charAt(pos) == '\\' && s.charAt(pos + 1) == 'u') {
                            char low = escaped();
                            if (!Character.isLowSurrogate(low)) throw at(escape, "a low surrogate escape after \\u" + hex4(d) + " (unpaired surrogate)");
                            sb.append(d).append(low);
                        } else {
                            throw at(escape, "a low surrogate escape after \\u" + hex4(d) + " (unpaired surrogate)");
                        }
                    } else if (Character.isLowSurrogate(d)) {
                        throw at(escape, "no lone low surrogate \\u" + hex4(d) + " (unpaired surrogate)");
                    } else {
                        sb.append(d);
                    }
                    runStart = pos;
                    continue;
                }
                if (Character.isSurrogate(c)) {
                    if (!Character.isHighSurrogate(c) || pos + 1 >= end || !Character.isLowSurrogate(s.charAt(pos + 1))) {
                        throw at(pos, "no unpaired surrogate U+" + hex4(c) + " in a string");
                    }
                    pos++;
                }
                pos++;
            }
        }

        /** The escape at {@code pos} (its backslash); moves past it. */
        private char escaped() {
            int at = pos;
            if (pos + 1 >= end) throw at(at, "an escape sequence after the backslash");
            char e = s.charAt(pos + 1);
            pos += 2;
            return switch (e) {
                case '"' -> '"';
                case '\\' -> '\\';
                case '/' -> '/';
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case 'u' -> {
                    if (pos + 4 > end) throw at(at, "four hex digits after \\u");
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        char h = s.charAt(pos + i);
                        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                        if (d < 0) throw at(at, "four hex digits after \\u");
                        v = v * 16 + d;
                    }
                    pos += 4;
                    yield (char) v;
                }
                default -> throw at(at, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), not \\" + printableChar(e));
            };
        }

        private void skipWhitespace() {
            while (pos < end) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        private IllegalArgumentException expected(String what) {
            if (pos >= end) return new IllegalArgumentException("unexpected end of input at offset " + pos + ": expected " + what);
            return new IllegalArgumentException("unexpected character " + printableChar(s.charAt(pos)) + " at offset " + pos + ": expected " + what);
        }

        private static IllegalArgumentException at(int offset, String what) {
            return new IllegalArgumentException("bad JSON at offset " + offset + ": expected " + what);
        }
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }

    private static String printableChar(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : "U+" + hex4(c);
    }

    private static String printable(String s) {
        return "'" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'";
    }
}
