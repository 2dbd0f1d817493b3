package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
