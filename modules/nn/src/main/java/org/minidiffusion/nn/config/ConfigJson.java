package org.minidiffusion.nn.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed access to the keys of one {@code config.json} object, with errors that name the file and the key.
 *
 * <p>Each getter takes the value a missing key falls back to; a key present with the wrong kind of
 * value is an error, and so is JSON {@code null} unless the caller asked {@link #isNull} first. The
 * reader remembers which keys were asked for, so that {@link #rejectUnreadKeys} can refuse a misspelt
 * key instead of letting it fall back to a default.
 */
public final class ConfigJson {
    private final Path source;
    private final String prefix;
    private final Map<String, Object> map;
    private final Set<String> read = new HashSet<>();

    private ConfigJson(Path source, String prefix, Map<String, Object> map) {
        this.source = source;
        this.prefix = prefix;
        this.map = map;
    }

    /**
     * Reads a UTF-8 {@code config.json} holding one JSON object.
     *
     * @param file the file
     * @return the reader
     * @throws ConfigFileException naming the file, if it is not valid UTF-8, not valid JSON or not an object
     * @throws IOException         if the file cannot be read
     */
    public static ConfigJson read(Path file) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigFileException(file, null, "is not valid UTF-8");
        }
        return parse(text, file);
    }

    /**
     * Parses the text of a {@code config.json}, which must hold one JSON object.
     *
     * @param json   the text
     * @param source where the text came from, named in errors
     * @return the reader
     * @throws ConfigFileException naming the source, with the line and column for malformed JSON
     */
    public static ConfigJson parse(String json, Path source) throws ConfigFileException {
        Object root;
        try {
            root = JsonParser.parse(json);
        } catch (JsonParser.MalformedException e) {
            throw new ConfigFileException(source, null, e.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new ConfigFileException(source, null, "expected a JSON object, got " + describe(root));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) root;
        return new ConfigJson(source, "", map);
    }

    /**
     * Returns where the config came from.
     *
     * @return the path named in errors
     */
    public Path source() {
        return source;
    }

    /**
     * Refuses the config of another model: {@code _class_name}, when present, must be the given name.
     *
     * @param className the expected {@code _class_name}, such as {@code "AutoencoderKL"}
     * @throws ConfigFileException naming {@code _class_name}, if it holds another value
     */
    public void requireClassName(String className) throws ConfigFileException {
        Object v = map.get("_class_name");
        if (v != null && !className.equals(v)) {
            throw error("_class_name", "is " + describe(v) + ", not \"" + className
                    + "\"; this is the config of another model");
        }
    }

    /**
     * Tells whether the key is present with the value JSON {@code null}, and counts it as read.
     *
     * @param key the key
     * @return true for an explicit {@code null}; false for a missing key or any other value
     */
    public boolean isNull(String key) {
        read.add(key);
        return map.containsKey(key) && map.get(key) == null;
    }

    /**
     * Reads a nested object, such as the {@code text_config} of a whole CLIP model's config.
     *
     * <p>The nested reader has the same source and its own record of read keys; its errors name keys by
     * their dotted path from the top, such as {@code text_config.hidden_size}.
     *
     * @param key the key
     * @return the nested reader, or null if the key is missing
     * @throws ConfigFileException naming the key, if the value is not an object
     */
    public ConfigJson object(String key) throws ConfigFileException {
        if (absent(key)) {
            return null;
        }
        if (!(map.get(key) instanceof Map<?, ?> m)) {
            throw error(key, "expected an object, got " + describe(map.get(key)));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> nested = (Map<String, Object>) m;
        return new ConfigJson(source, prefix + key + ".", nested);
    }

    /**
     * Reads an integer.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the value
     * @throws ConfigFileException naming the key, if the value is not an integer in {@code int} range
     */
    public int integer(String key, int fallback) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        return toInt(key, map.get(key), "");
    }

    /**
     * Reads a number, integral or not.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the value, rounded to {@code float}
     * @throws ConfigFileException naming the key, if the value is not a number
     */
    public float number(String key, float fallback) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        Object v = map.get(key);
        if (v instanceof Long l) {
            return l.floatValue();
        }
        if (v instanceof Double d) {
            return d.floatValue();
        }
        throw error(key, "expected a number, got " + describe(v));
    }

    /**
     * Reads {@code true} or {@code false}.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the value
     * @throws ConfigFileException naming the key, if the value is not a boolean
     */
    public boolean bool(String key, boolean fallback) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        if (map.get(key) instanceof Boolean b) {
            return b;
        }
        throw error(key, "expected true or false, got " + describe(map.get(key)));
    }

    /**
     * Reads a string.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the value
     * @throws ConfigFileException naming the key, if the value is not a string
     */
    public String string(String key, String fallback) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        if (map.get(key) instanceof String s) {
            return s;
        }
        throw error(key, "expected a string, got " + describe(map.get(key)));
    }

    /**
     * Reads an array of integers, possibly empty.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the values
     * @throws ConfigFileException naming the key (and the element), if the value is not an array of integers
     */
    public int[] intArray(String key, int[] fallback) throws ConfigFileException {
        return ints(key, fallback, false);
    }

    /**
     * Reads an array of at least one integer.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the values
     * @throws ConfigFileException naming the key (and the element), if the value is not a non-empty array of integers
     */
    public int[] nonEmptyIntArray(String key, int[] fallback) throws ConfigFileException {
        return ints(key, fallback, true);
    }

    /**
     * Reads an array of strings, possibly empty.
     *
     * @param key      the key
     * @param fallback the value of a missing key
     * @return the values, unmodifiable
     * @throws ConfigFileException naming the key (and the element), if the value is not an array of strings
     */
    public List<String> strings(String key, List<String> fallback) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        Object v = map.get(key);
        if (!(v instanceof List<?> list)) {
            throw error(key, "expected an array of strings, got " + describe(v));
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw error(key, "element " + i + ": expected a string, got " + describe(list.get(i)));
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    /**
     * Refuses a key that no getter asked for, so that a misspelt key cannot silently fall back to its
     * default. Keys starting with {@code _} ({@code _class_name}, {@code _diffusers_version}, ...) are
     * metadata and always accepted.
     *
     * @param model   the model the config is for, named in the error
     * @param ignored further keys to accept unread
     * @throws ConfigFileException naming the first unknown key in file order
     */
    public void rejectUnreadKeys(String model, Set<String> ignored) throws ConfigFileException {
        for (String key : map.keySet()) {
            if (!key.startsWith("_") && !ignored.contains(key) && !read.contains(key)) {
                throw error(key, "is not a key of " + model + "'s config");
            }
        }
    }

    /**
     * Makes the exception for a problem with this config, naming its source.
     *
     * @param key     the offending key, or null when the problem is not one key's
     * @param problem what is wrong
     * @return the exception, for the caller to throw
     */
    public ConfigFileException error(String key, String problem) {
        return new ConfigFileException(source, key == null ? null : prefix + key, problem);
    }

    /** Counts the key as read and tells whether it is missing. */
    private boolean absent(String key) {
        read.add(key);
        return !map.containsKey(key);
    }

    private int[] ints(String key, int[] fallback, boolean nonEmpty) throws ConfigFileException {
        if (absent(key)) {
            return fallback;
        }
        Object v = map.get(key);
        if (!(v instanceof List<?> list) || (nonEmpty && list.isEmpty())) {
            throw error(key, "expected " + (nonEmpty ? "a non-empty array" : "an array") + " of integers, got "
                    + describe(v));
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toInt(key, list.get(i), "element " + i + ": ");
        }
        return out;
    }

    private int toInt(String key, Object v, String where) throws ConfigFileException {
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw error(key, where + "expected an integer, got " + describe(v));
    }

    /** Describes a parsed value for a message: strings quoted, containers by kind. */
    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        return v.toString();
    }
}
