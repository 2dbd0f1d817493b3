package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reads the golden files that {@code tools/golden_schedulers.py} writes (PyTorch, float64), and
 * checks that they are complete. The other tests compare with them through {@link #load} and
 * {@link #assertClose}.
 *
 * <p>Format: one entry per line, {@code key value value ...}; {@code #} starts a comment.
 */
class GoldenFileTests {

    /** One golden file: its entries by key. */
    record Golden(String name, Map<String, String[]> entries) {
        String[] strings(String key) {
            String[] values = entries.get(key);
            if (values == null) {
                fail(name + " has no entry '" + key + "'; re-run tools/golden_schedulers.py");
            }
            return values;
        }

        double[] doubles(String key) {
            return Arrays.stream(strings(key)).mapToDouble(Double::parseDouble).toArray();
        }

        int[] ints(String key) {
            return Arrays.stream(strings(key)).mapToInt(Integer::parseInt).toArray();
        }

        /** The {@code name=value} pairs of a config entry. */
        Map<String, String> config(String key) {
            Map<String, String> config = new LinkedHashMap<>();
            for (String pair : strings(key)) {
                String[] kv = pair.split("=", 2);
                config.put(kv[0], kv[1]);
            }
            return config;
        }
    }

    /** Loads {@code golden/schedulers/<name>} from the test class path. */
    static Golden load(String name) {
        String path = "/golden/schedulers/" + name;
        try (InputStream in = GoldenFileTests.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing test resource " + path + "; run tools/golden_schedulers.py");
            Map<String, String[]> entries = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] tokens = trimmed.split(" ");
                entries.put(tokens[0], Arrays.copyOfRange(tokens, 1, tokens.length));
            }
            return new Golden(name, entries);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + path, e);
        }
    }

    /**
     * Asserts {@code |actual − expected| <= relative·|expected| + absolute} element-wise, and
     * names the first element that is not.
     */
    static void assertClose(double[] expected, float[] actual, double relative, double absolute, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double bound = relative * Math.abs(expected[i]) + absolute;
            if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (|diff| "
                        + Math.abs(actual[i] - expected[i]) + " > " + bound + ")");
            }
        }
    }

    @Test
    void everyGoldenFileHasItsEntries() {
        assertEquals(10, load("schedules.txt").ints("index").length);
        for (String schedule : new String[] {"linear", "scaled_linear", "scaled_linear_sd", "cosine"}) {
            assertEquals(10, load("schedules.txt").doubles(schedule + ".alpha_bar").length, schedule);
        }
        assertEquals(21, load("spacing.txt").entries().size());
        Golden embedding = load("embedding.txt");
        assertEquals(embedding.ints("t").length * embedding.ints("dim")[0], embedding.doubles("values").length);
    }

    @Test
    void everySamplingCaseHasConsistentSizes() {
        Golden g = load("sampling.txt");
        int numel = Arrays.stream(g.ints("shape")).reduce(1, (a, b) -> a * b);
        assertEquals(numel, g.doubles("ramp").length);
        String[] cases = g.strings("cases");
        assertTrue(cases.length >= 10, "too few sampling cases");
        for (String c : cases) {
            Map<String, String> config = g.config(c + ".config");
            int steps = Integer.parseInt(config.get("steps"));
            boolean noisy = config.get("sampler").equals("ddpm") || Double.parseDouble(config.get("eta")) > 0;
            assertEquals(steps, g.ints(c + ".timesteps").length, c);
            assertEquals(noisy ? (steps - 1) * numel : 0, g.strings(c + ".noise").length, c + ": noise");
            assertEquals(numel, g.doubles(c + ".final").length, c);
            assertFalse(Double.isNaN(g.doubles(c + ".sum")[0]), c);
        }
    }
}
