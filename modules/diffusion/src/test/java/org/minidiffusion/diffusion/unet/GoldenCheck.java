package org.minidiffusion.diffusion.unet;

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
 * {@code tools/golden_layers.py}) with what one backend computes. (A copy of the nn module's test
 * helper of the same name, as test classes are not shared between modules.) It collects every failing tensor
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
    private final boolean scaleFloor;
    private final List<String> failures = new ArrayList<>();
    private int compared;
    private double worstViolation;
    private double worstDiff;
    private double worstUnscaled;
    private String worstWhat = "-";

    /**
     * Creates a check.
     *
     * @param tol        the tolerance
     * @param scaleFloor whether to multiply the absolute floor {@code A} of {@code tol} by
     *                   {@code max(1, max|golden|)} of each tensor; see {@link #scaled}
     */
    GoldenCheck(String caseName, String backendId, Tolerance tol, boolean scaleFloor) {
        this.caseName = caseName;
        this.backendId = backendId;
        this.tol = tol;
        this.scaleFloor = scaleFloor;
    }

    /**
     * Returns {@code tol} with its absolute floor scaled to a tensor's magnitude:
     * {@code A' = A max(1, max|expected|)}. The kit's floor covers the cancellation error of sums
     * whose partial sums are of order 1; an element of a tensor whose values reach {@code S} is
     * typically a sum with partial sums of order {@code S}, whose reordering error is {@code S}
     * times larger. For tensors of order 1 this is {@code tol} itself.
     */
    static Tolerance scaled(Tolerance tol, double[] expected) {
        double max = 1.0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        return max == 1.0 ? tol : new Tolerance(tol.name() + " with A x " + (float) max, tol.relative(),
                tol.absolute() * max);
    }

    /** Returns (backend, case) pairs for every backend and case, for {@code @MethodSource}. */
    static Stream<Arguments> cases(String... names) {
        return BACKENDS.stream().flatMap(b -> Arrays.stream(names).map(n -> Arguments.of(b, n)));
    }

    /** Reads {@code golden/<name>.safetensors} from the test class path onto {@code backend}. */
    static SafetensorsFile load(String name, Backend backend) {
        String resource = "/golden/unet/" + name + ".safetensors";
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
        if (expected.length != actual.length) {
            failures.add("[" + backendId + "] " + caseName + " " + what + ": " + expected.length
                    + " expected values, " + actual.length + " actual");
            return;
        }
        Tolerance t = scaleFloor ? scaled(tol, expected) : tol;
        TensorAssert.compare(t, backendId, caseName + " " + what, shape, expected, actual).ifPresent(failures::add);
        for (int i = 0; i < expected.length; i++) {
            double v = t.violation(expected[i], actual[i]);
            if (v > worstViolation) {
                worstViolation = v;
                worstWhat = what;
            }
            worstUnscaled = Math.max(worstUnscaled, tol.violation(expected[i], actual[i]));
            worstDiff = Math.max(worstDiff, Math.abs(expected[i] - actual[i]));
        }
    }

    /** Prints the worst error, then fails with every failing comparison, if any. */
    void finish() {
        System.out.printf("golden %-22s [%-8s] %2d tensors, worst %.4f x bound (%s), max |diff| %.2e, %s%s%n",
                caseName, backendId, compared, worstViolation, worstWhat, worstDiff, tol,
                scaleFloor ? String.format(" with A scaled to each tensor; %.4f x the unscaled bound", worstUnscaled) : "");
        if (compared == 0) {
            fail("[" + backendId + "] " + caseName + ": nothing was compared");
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + compared + " tensors differ from PyTorch:\n" + String.join("\n", failures));
        }
    }
}
