package org.minidiffusion.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Typed, checked access to the keys of a model's {@code config.json} (Hugging Face and diffusers
 * write one beside every checkpoint). Each getter names the file and the key when the value is
 * missing or of the wrong kind; keys the model does not read are ignored, as real configs carry
 * many (architectures, versions, token ids of the tokenizer, ...).
 */
public final class JsonConfig {
    private final Path source;
    private final Map<String, Object> map;

    private JsonConfig(Path source, Map<String, Object> map) {
        this.source = source;
        this.map = map;
    }

    /**
     * Reads a UTF-8 {@code config.json} holding one JSON object.
     *
     * @param file the file
     * @return the config
     * @throws ConfigFileException naming the file, if it is not valid UTF-8 or not a JSON object
     * @throws IOException         if the file cannot be read
     */
    public static JsonConfig read(Path file) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigFileException(file, null, "is not valid UTF-8");
        }
        return parse(text, file);
    }

    /**
     * Parses the text of a {@code config.json}.
     *
     * @param json   the text
     * @param source where it came from, named in errors
     * @return the config
     * @throws ConfigFileException naming the source, if the text is not a JSON object
     */
    public static JsonConfig parse(String json, Path source) throws ConfigFileException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.JsonException e) {
            throw new ConfigFileException(source, null, e.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new ConfigFileException(source, null, "expected a JSON object, got " + describe(root));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) root;
        return new JsonConfig(source, map);
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
     * Tells whether the key is present (even with the value null).
     *
     * @param key the key
     * @return true if present
     */
    public boolean has(String key) {
        return map.containsKey(key);
    }

    /**
     * Returns a nested object, such as {@code text_config} of a whole CLIP model.
     *
     * @param key the key
     * @return the nested config, or null if the key is absent or null
     * @throws ConfigFileException if the value is not an object
     */
    public JsonConfig object(String key) throws ConfigFileException {
        Object v = map.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw error(key, "expected an object, got " + describe(v));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return new JsonConfig(source, m);
    }

    /**
     * Returns a required integer.
     *
     * @param key the key
     * @return the value
     * @throws ConfigFileException naming the key, if it is missing or not an integer
     */
    public int integer(String key) throws ConfigFileException {
        if (map.get(key) == null) {
            throw error(key, "is missing; expected an integer");
        }
        return integer(key, 0);
    }

    /**
     * Returns an integer, or a default when the key is absent or null.
     *
     * @param key      the key
     * @param fallback the default
     * @return the value
     * @throws ConfigFileException naming the key, if it is not an integer
     */
    public int integer(String key, int fallback) throws ConfigFileException {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw error(key, "expected an integer, got " + describe(v));
    }

    /**
     * Returns a number, or a default when the key is absent or null.
     *
     * @param key      the key
     * @param fallback the default
     * @return the value
     * @throws ConfigFileException naming the key, if it is not a number
     */
    public double number(String key, double fallback) throws ConfigFileException {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Long l) {
            return l.doubleValue();
        }
        if (v instanceof Double d) {
            return d;
        }
        throw error(key, "expected a number, got " + describe(v));
    }

    /**
     * Returns a string, or a default when the key is absent or null.
     *
     * @param key      the key
     * @param fallback the default
     * @return the value
     * @throws ConfigFileException naming the key, if it is not a string
     */
    public String string(String key, String fallback) throws ConfigFileException {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw error(key, "expected a string, got " + describe(v));
    }

    /**
     * Returns an error about one key of this config.
     *
     * @param key     the key
     * @param problem what is wrong with its value
     * @return the exception, to throw
     */
    public ConfigFileException error(String key, String problem) {
        return new ConfigFileException(source, key, problem);
    }

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
