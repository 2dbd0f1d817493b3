package org.minidiffusion.nn.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code config.json} reader: parsed values, fallbacks, and errors that name the file, the key, the line and the column. */
class ConfigJsonTests {
    private static final Path SOURCE = Path.of("model/config.json");

    private static ConfigFileException failure(String json) {
        return assertThrows(ConfigFileException.class, () -> ConfigJson.parse(json, SOURCE));
    }

    @Test
    void readsEachKindOfValue() throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("""
                {
                  "int": -12, "big": 3e2, "real": 0.25, "yes": true, "no": false,
                  "text": "caf\\u00e9\\n\\"q\\"", "ints": [1, 2, 3], "empty": [], "names": ["a", "b"],
                  "nested": {"x": [1, {"y": null}]}
                }
                """, SOURCE);
        assertEquals(-12, c.integer("int", 0));
        assertEquals(300f, c.number("big", 0f));
        assertEquals(0.25f, c.number("real", 0f));
        assertEquals(-12f, c.number("int", 0f), "an integer is a number");
        assertTrue(c.bool("yes", false));
        assertFalse(c.bool("no", true));
        assertEquals("caf\u00e9\n\"q\"", c.string("text", null));
        assertArrayEquals(new int[] {1, 2, 3}, c.intArray("ints", null));
        assertArrayEquals(new int[] {1, 2, 3}, c.nonEmptyIntArray("ints", null));
        assertArrayEquals(new int[0], c.intArray("empty", null));
        assertEquals(List.of("a", "b"), c.strings("names", null));
        assertEquals(SOURCE, c.source());
    }

    @Test
    void missingKeysTakeTheFallbackAndNullIsOnlyAcceptedWhenAskedFor() throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("{\"shift\": null}", SOURCE);
        assertEquals(7, c.integer("missing", 7));
        assertEquals(0.5f, c.number("missing", 0.5f));
        assertTrue(c.bool("missing", true));
        assertNull(c.string("missing", null));
        assertArrayEquals(new int[] {64}, c.nonEmptyIntArray("missing", new int[] {64}));
        assertEquals(List.of("z"), c.strings("missing", List.of("z")));
        assertFalse(c.isNull("missing"));
        assertTrue(c.isNull("shift"));
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> c.number("shift", 0f));
        assertEquals(SOURCE + ": key \"shift\": expected a number, got null", e.getMessage());
        assertEquals("shift", e.key());
        assertEquals(SOURCE, e.file());
    }

    /** Malformed JSON is named by file, line and column; the column counts from 1 on each line. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{\\n  \"a\": 1,\\n  \"b\": tru\\n}| line 3, column 8: unexpected character 't'",
        "{\"a\": 1,}                     | line 1, column 9: expected a key in quotes",
        "{\"a\": 1, \"a\": 2}            | line 1, column 14: duplicate key \"a\"",
        "{\"a\": 1} x                    | line 1, column 10: unexpected text after the JSON value",
        "{\"a\": \"open                  | line 1, column 12: unterminated string",
        "{\"a\": 1.2.3}                  | line 1, column 7: bad number '1.2.3'",
        "{\"a\": [1 2]}                  | line 1, column 10: expected ',' or ']'",
        "``                              | line 1, column 1: unexpected end of input",
    })
    void malformedJsonNamesTheFileLineAndColumn(String json, String where) {
        ConfigFileException e = failure(json.replace("\\n", "\n"));
        assertEquals(SOURCE + ": malformed JSON at " + where, e.getMessage());
        assertNull(e.key());
        assertEquals(SOURCE, e.file());
    }

    @Test
    void deepNestingIsRefused() {
        String json = "[".repeat(40) + "]".repeat(40);
        assertTrue(failure(json).getMessage().contains("nesting deeper than 32"));
    }

    @Test
    void theTopLevelMustBeAnObject() {
        assertEquals(SOURCE + ": expected a JSON object, got an array", failure("[1, 2]").getMessage());
        assertEquals(SOURCE + ": expected a JSON object, got \"s\"", failure("\"s\"").getMessage());
    }

    /** A value of the wrong kind is named by the key (and the element), with what was found. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "integer  | 2.5          | expected an integer, got 2.5",
        "integer  | 3000000000   | expected an integer, got 3000000000",
        "integer  | \"4\"        | expected an integer, got \"4\"",
        "number   | [1]          | expected a number, got an array",
        "bool     | \"yes\"      | expected true or false, got \"yes\"",
        "string   | {}           | expected a string, got an object",
        "ints     | 64           | expected an array of integers, got 64",
        "ints     | [1, true]    | element 1: expected an integer, got true",
        "nonEmpty | []           | expected a non-empty array of integers, got an array",
        "strings  | [\"a\", 1]   | element 1: expected a string, got 1",
        "strings  | null         | expected an array of strings, got null",
    })
    void aWrongTypeNamesTheKey(String getter, String value, String problem) throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("{\"k\": " + value + "}", SOURCE);
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> {
            switch (getter) {
                case "integer" -> c.integer("k", 0);
                case "number" -> c.number("k", 0f);
                case "bool" -> c.bool("k", false);
                case "string" -> c.string("k", "");
                case "ints" -> c.intArray("k", null);
                case "nonEmpty" -> c.nonEmptyIntArray("k", null);
                case "strings" -> c.strings("k", null);
                default -> throw new AssertionError(getter);
            }
        });
        assertEquals(SOURCE + ": key \"k\": " + problem, e.getMessage());
        assertEquals("k", e.key());
    }

    @Test
    void unreadKeysAreRefusedButMetadataAndIgnoredKeysAreNot() throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("{\"_class_name\": \"M\", \"a\": 1, \"b\": null, \"extra\": 2, \"typo\": 3}",
                SOURCE);
        c.requireClassName("M");
        c.integer("a", 0);
        c.isNull("b");
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> c.rejectUnreadKeys("M", Set.of("extra")));
        assertEquals(SOURCE + ": key \"typo\": is not a key of M's config", e.getMessage());
        assertEquals("typo", e.key());
        c.integer("typo", 0);
        c.rejectUnreadKeys("M", Set.of("extra"));
    }

    @Test
    void anotherModelsConfigIsRefused() throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("{\"_class_name\": \"UNet2DConditionModel\"}", SOURCE);
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> c.requireClassName("AutoencoderKL"));
        assertEquals(SOURCE + ": key \"_class_name\": is \"UNet2DConditionModel\", not \"AutoencoderKL\";"
                + " this is the config of another model", e.getMessage());
        ConfigJson.parse("{}", SOURCE).requireClassName("AutoencoderKL");
    }

    @Test
    void aFileIsNamedInItsErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"n\": 3}");
        assertEquals(3, ConfigJson.read(file).integer("n", 0));
        assertEquals(file, ConfigJson.read(file).source());
        Files.writeString(file, "{\"n\":\n  3,}");
        ConfigFileException bad = assertThrows(ConfigFileException.class, () -> ConfigJson.read(file));
        assertEquals(file + ": malformed JSON at line 2, column 5: expected a key in quotes", bad.getMessage());
        assertEquals(file, bad.file());
        Files.write(file, new byte[] {'{', (byte) 0xC3, '}'});
        ConfigFileException utf = assertThrows(ConfigFileException.class, () -> ConfigJson.read(file));
        assertEquals(file + ": is not valid UTF-8", utf.getMessage());
        assertThrows(NoSuchFileException.class, () -> ConfigJson.read(dir.resolve("missing.json")));
    }

    @Test
    void aNestedObjectIsReadWithItsPathInErrors() throws ConfigFileException {
        ConfigJson c = ConfigJson.parse("{\"projection_dim\": 4, \"text_config\": {\"hidden_size\": 8, \"eps\": \"x\", \"typo\": 1},"
                + " \"vision_config\": 3}", SOURCE);
        ConfigJson text = c.object("text_config");
        assertEquals(SOURCE, text.source());
        assertEquals(8, text.integer("hidden_size", 0));
        assertEquals(77, text.integer("max_position_embeddings", 77));
        assertNull(c.object("missing"));
        ConfigFileException type = assertThrows(ConfigFileException.class, () -> text.number("eps", 1f));
        assertEquals("model/config.json: key \"text_config.eps\": expected a number, got \"x\"", type.getMessage());
        assertEquals("text_config.eps", type.key());
        ConfigFileException unread = assertThrows(ConfigFileException.class, () -> text.rejectUnreadKeys("CLIP", Set.of()));
        assertEquals("model/config.json: key \"text_config.typo\": is not a key of CLIP's config", unread.getMessage());
        ConfigFileException notObject = assertThrows(ConfigFileException.class, () -> c.object("vision_config"));
        assertEquals("model/config.json: key \"vision_config\": expected an object, got 3", notObject.getMessage());
        c.integer("projection_dim", 0);
        c.rejectUnreadKeys("CLIP", Set.of("vision_config"));
    }
}
