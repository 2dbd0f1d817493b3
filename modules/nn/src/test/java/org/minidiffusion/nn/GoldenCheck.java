package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * Compares the tensors of one golden case (a safetensors file written by
 * {@code tools/golden_layers.py}) with what one backend computes. It collects every failing tensor
 * rather than stopping at the first, and tracks the worst error, which {@link #finish()} prints.
 *
 * <p>The golden values were computed by PyTorch in float64 from float32 weights and inputs, then
 * rounded once to float32, so a difference is our float32 error alone.
 */
final class GoldenCheck {
    /** Every golden test runs on both backends. */
    static final List<String> BACKENDS = List.of("scalar", "parallel");

    private final String caseName;
    private final String backendId;
    private final Tolerance tol;
    private final List<String> failures = new ArrayList<>();
    private int compared;
    private double worstViolation;
    private double worstDiff;
    private String worstWhat = "-";

    GoldenCheck(String caseName, String backendId, Tolerance tol) {
        this.caseName = caseName;
        this.backendId = backendId;
        this.tol = tol;
    }

    /** Returns (backend, case) pairs for every backend and case, for {@code @MethodSource}. */
    static Stream<Arguments> cases(String... names) {
        return BACKENDS.stream().flatMap(b -> Arrays.stream(names).map(n -> Arguments.of(b, n)));
    }

    /** Reads {@code golden/<name>.safetensors} from the test class path onto {@code backend}. */
    static SafetensorsFile load(String name, Backend backend) {
        String resource = "/golden/" + name + ".safetensors";
        URL url = GoldenCheck.class.getResource(resource);
        assertNotNull(url, "missing test resource " + resource + "; run /usr/bin/python3 tools/golden_layers.py");
        try {
            return Safetensors.read(Path.of(url.toURI()), backend);
        } catch (IOException | URISyntaxException e) {
            throw new AssertionError("cannot read " + resource, e);
        }
    }

    /** Returns a metadata value of a golden file, failing with the file name if it is missing. */
    static String meta(SafetensorsFile f, String key) {
        String v = f.metadata().get(key);
        assertNotNull(v, f.file().getFileName() + " has no metadata '" + key + "'");
        return v;
    }

    static int intMeta(SafetensorsFile f, String key) {
        return Integer.parseInt(meta(f, key));
    }

    static float floatMeta(SafetensorsFile f, String key) {
        return Float.parseFloat(meta(f, key));
    }

    /** Returns the parameters listed in the metadata key {@code params}, by state-dict name. */
    static Map<String, Tensor> stateDict(SafetensorsFile f) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String name : meta(f, "params").split(",")) {
            state.put(name, f.tensor(name));
        }
        return state;
    }

    /** Returns integer data stored as floats (ids, timesteps, labels), checking that it is integral. */
    static int[] ints(Tensor t) {
        float[] v = t.toArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
            if (out[i] != v[i]) {
                fail("expected an integer, got " + v[i]);
            }
        }
        return out;
    }

    /** Compares a tensor with its golden value. */
    void close(String what, Tensor expected, Tensor actual) {
        if (!expected.shape().equals(actual.shape())) {
            compared++;
            failures.add("[" + backendId + "] " + caseName + " " + what + ": shapes differ: expected "
                    + expected.shape() + ", actual " + actual.shape());
            return;
        }
        close(what, expected.shape(), TensorAssert.toDoubles(expected.toArray()), TensorAssert.toDoubles(actual.toArray()));
    }

    /** Compares values held row-major for {@code shape} with their golden values. */
    void close(String what, Shape shape, double[] expected, double[] actual) {
        compared++;
        TensorAssert.compare(tol, backendId, caseName + " " + what, shape, expected, actual).ifPresent(failures::add);
        if (expected.length != actual.length) {
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            double v = tol.violation(expected[i], actual[i]);
            if (v > worstViolation) {
                worstViolation = v;
                worstWhat = what;
            }
            worstDiff = Math.max(worstDiff, Math.abs(expected[i] - actual[i]));
        }
    }

    /** Prints the worst error, then fails with every failing comparison, if any. */
    void finish() {
        System.out.printf("golden %-22s [%-8s] %2d tensors, worst %.4f x bound (%s), max |diff| %.2e, %s%n",
                caseName, backendId, compared, worstViolation, worstWhat, worstDiff, tol);
        if (compared == 0) {
            fail("[" + backendId + "] " + caseName + ": nothing was compared");
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + compared + " tensors differ from PyTorch:\n" + String.join("\n", failures));
        }
    }
}
