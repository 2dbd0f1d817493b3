package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTests {
    @Test
    void parsesEveryKindOfValue() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5e2, true, false, null],"
                + " \"b\": {\"c\": \"x\\u00e9\\ud83d\\ude00\\n\"}} ");
        Map<?, ?> map = (Map<?, ?>) v;
        List<?> a = (List<?>) map.get("a");
        assertEquals(List.of(1L, -2L, 350.0, true, false), a.subList(0, 5));
        assertNull(a.get(5));
        assertEquals(Map.of("c", "xé😀\n"), map.get("b"));
        assertEquals(List.of("a", "b"), List.copyOf(map.keySet()));
    }

    @Test
    void rejectsWhatRfc8259Forbids() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"a\nb\"",
                "\"\\ud800\"", "tru", "{'a':1}", "{\"a\" 1}", "99999999999999999999", "[1] [2]", "/*c*/1")) {
            assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void errorsGiveThePosition() {
        Exception e = assertThrows(Json.JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
        assertEquals("duplicate key \"a\" at character 7", e.getMessage());
    }

    @Test
    void quotesRoundTrip() throws Exception {
        String s = "q\" b\\ nl\n tab\t bell\u0007 ü ✓";
        String quoted = Json.quote(s);
        assertTrue(quoted.contains("\\u0007"), quoted);
        assertEquals(s, Json.parse(quoted));
    }

    @Test
    void writeFileWritesOneLineOfUtf8AndReplacesAnOldFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "old contents, longer than the new ones");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", "naïve");
        json.put("layers", 2);
        Json.writeFile(file, json);
        assertEquals("{\"name\": \"na\u00efve\", \"layers\": 2}\n", Files.readString(file, StandardCharsets.UTF_8));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
    }
}
