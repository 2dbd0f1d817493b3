package org.minidiffusion.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer, enough for safetensors headers and the
 * benchmarks' one-line reports.
 *
 * <p>The reader (package-private) turns values into {@code Map<String, Object>} (insertion-ordered),
 * {@code List<Object>}, {@code String}, {@code Long} (integers), {@code Double} (other numbers),
 * {@code Boolean} or {@code null}. Duplicate keys, unpaired surrogates in <code>&#92;u</code>
 * escapes, trailing commas, comments and anything after the value except whitespace are errors.
 * {@link #write} writes the same kinds of values back.
 */
public final class Json {
    /** Thrown for malformed input; the message gives the character offset. */
    static final class JsonException extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message the problem, ending with its character offset
         */
        JsonException(String message) {
            super(message);
        }
    }

    private static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON value surrounded by optional whitespace.
     *
     * @param text the JSON text
     * @return the value
     * @throws JsonException naming the offset of the first error
     */
    static Object parse(String text) throws JsonException {
        Json p = new Json(text);
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + p.describe() + " after the JSON value");
        }
        return value;
    }

    /**
     * Returns {@code s} as a JSON string literal, escaping quotes, backslashes and control chars.
     *
     * @param s the string
     * @return the quoted literal
     */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * Returns a value as one line of JSON, with {@code ", "} and {@code ": "} between items as
     * Python's {@code json.dumps} writes them.
     *
     * @param value a {@code Map} (keys written as strings, in its iteration order), an
     *              {@code Iterable}, a {@code String}, a {@code Number} (non-finite ones as
     *              {@code null}, which JSON has instead of NaN), a {@code Boolean} or {@code null}
     * @return the JSON text
     * @throws IllegalArgumentException for a value of any other type
     */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    /**
     * Writes a value as a JSON file, one line of {@link #write} and a newline, in UTF-8 and
     * atomically ({@link AtomicFiles}), as a {@code config.json} is written.
     *
     * @param file  the file; its directory must exist
     * @param value what {@link #write} takes
     * @throws IOException if writing fails
     */
    public static void writeFile(Path file, Object value) throws IOException {
        AtomicFiles.write(file, (write(value) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void write(StringBuilder b, Object value) {
        if (value == null || value instanceof Boolean) {
            b.append(value);
        } else if (value instanceof String s) {
            b.append(quote(s));
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            b.append(!Double.isFinite(d) ? "null" : value instanceof Float ? value.toString() : Double.toString(d));
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            b.append(value);
        } else if (value instanceof Map<?, ?> map) {
            b.append('{');
            String separator = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                b.append(separator).append(quote(String.valueOf(e.getKey()))).append(": ");
                write(b, e.getValue());
                separator = ", ";
            }
            b.append('}');
        } else if (value instanceof Iterable<?> items) {
            b.append('[');
            String separator = "";
            for (Object item : items) {
                b.append(separator);
                write(b, item);
                separator = ", ";
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("Json.write: cannot write a " + value.getClass().getName());
        }
    }

    private Object value(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        skipWhitespace();
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected " + describe() + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) throws JsonException {
        Map<String, Object> map = new LinkedHashMap<>();
        pos++;
        skipWhitespace();
        if (consume('}')) {
            return map;
        }
        do {
            skipWhitespace();
            int keyPos = pos;
            if (pos >= text.length() || text.charAt(pos) != '"') {
                throw error("expected a string key but found " + describe());
            }
            String key = string();
            skipWhitespace();
            expect(':');
            Object value = value(depth + 1);
            if (map.containsKey(key)) {
                pos = keyPos;
                throw error("duplicate key " + quote(key));
            }
            map.put(key, value);
            skipWhitespace();
        } while (consume(','));
        expect('}');
        return map;
    }

    private List<Object> array(int depth) throws JsonException {
        List<Object> list = new ArrayList<>();
        pos++;
        skipWhitespace();
        if (consume(']')) {
            return list;
        }
        do {
            list.add(value(depth + 1));
            skipWhitespace();
        } while (consume(','));
        expect(']');
        return list;
    }

    private String string() throws JsonException {
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return b.toString();
            } else if (c == '\\') {
                escape(b);
            } else if (c < 0x20) {
                pos--;
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in string");
            } else {
                b.append(c);
            }
        }
    }

    private void escape(StringBuilder b) throws JsonException {
        if (pos >= text.length()) {
            throw error("unterminated escape");
        }
        char e = text.charAt(pos++);
        switch (e) {
            case '"', '\\', '/' -> b.append(e);
            case 'b' -> b.append('\b');
            case 'f' -> b.append('\f');
            case 'n' -> b.append('\n');
            case 'r' -> b.append('\r');
            case 't' -> b.append('\t');
            case 'u' -> unicodeEscape(b);
            default -> {
                pos--;
                throw error("invalid escape \\" + e);
            }
        }
    }

    private void unicodeEscape(StringBuilder b) throws JsonException {
        char c = hex4();
        if (Character.isHighSurrogate(c) && text.startsWith("\\u", pos)) {
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
                throw error("unpaired surrogate in \\u escape");
            }
            b.append(c).append(low);
        } else if (Character.isSurrogate(c)) {
            throw error("unpaired surrogate in \\u escape");
        } else {
            b.append(c);
        }
    }

    private char hex4() throws JsonException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("invalid hex digit in \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() throws JsonException {
        int start = pos;
        consume('-');
        if (consume('0')) {
            requireNoDigit("leading zero in number");
        } else {
            digits();
        }
        boolean integer = true;
        if (consume('.')) {
            integer = false;
            digits();
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            integer = false;
            if (!consume('+')) {
                consume('-');
            }
            digits();
        }
        String token = text.substring(start, pos);
        if (!integer) {
            return Double.parseDouble(token);
        }
        try {
            return Long.parseLong(token);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("integer " + token + " does not fit in 64 bits");
        }
    }

    private void digits() throws JsonException {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw error("expected a digit but found " + describe());
        }
    }

    private void requireNoDigit(String problem) throws JsonException {
        if (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            throw error(problem);
        }
    }

    private Object literal(String word, Object value) throws JsonException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe() + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private boolean consume(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) throws JsonException {
        if (!consume(c)) {
            throw error("expected '" + c + "' but found " + describe());
        }
    }

    private String describe() {
        if (pos >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(pos);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private JsonException error(String problem) {
        return new JsonException(problem + " at character " + pos);
    }
}
