package org.minidiffusion.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Reads the golden files under src/test/resources. */
final class Golden {
    private Golden() {
    }

    /** One golden case: a text and the ids the reference gives for it. */
    record Case(String text, int[] ids, boolean fromUtf16) {
    }

    static Object json(String resource) throws IOException, Json.JsonException {
        try (InputStream in = Golden.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(x -> ((Long) x).intValue()).toArray();
    }

    /** Reads cases {@code {"text": ..., "ids": [...]}} or {@code {"utf16": [...], "ids": [...]}}. */
    static List<Case> cases(Object json) {
        return ((List<?>) json).stream().map(o -> {
            Map<?, ?> m = (Map<?, ?>) o;
            if (m.containsKey("utf16")) {
                StringBuilder b = new StringBuilder();
                for (int u : ints(m.get("utf16"))) {
                    b.append((char) u);
                }
                return new Case(b.toString(), ints(m.get("ids")), true);
            }
            return new Case((String) m.get("text"), ints(m.get("ids")), false);
        }).toList();
    }
}
