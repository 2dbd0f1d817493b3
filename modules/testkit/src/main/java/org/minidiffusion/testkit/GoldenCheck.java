package org.minidiffusion.testkit;

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
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * Compares the tensors of one golden case (a file of reference tensors, such as those
 * {@code tools/golden_layers.py} writes) with what one backend computes. It collects every failing
 * tensor rather than stopping at the first, and tracks the worst error, which {@link #finish()}
 * prints.
 *
 * <p>The golden values are computed by PyTorch in float64 from float32 weights and inputs, then
 * rounded once to float32, so a difference is our float32 error alone.
 *
 * <p>The static helpers find a golden file on the test class path and read its metadata; the file
 * itself is read by the caller (with {@code org.minidiffusion.io.Safetensors}, which this module
 * does not depend on), so that every model module's golden tests share this one class:
 * <pre>{@code
 * SafetensorsFile f = GoldenCheck.load(MyTests.class, "/golden/" + name + ".safetensors",
 *         path -> Safetensors.read(path, backend));
 * layer.loadStateDict(GoldenCheck.stateDict(f.metadata(), f::tensor));
 * GoldenCheck check = new GoldenCheck(name, backend.id(), Tolerance.DEFAULT);
 * check.close("output", f.tensor("output"), layer.forward(f.tensor("input")));
 * check.finish();
 * }</pre>
 */
public final class GoldenCheck {
    /** Every golden test runs on both backends. */
    public static final List<String> BACKENDS = List.of("scalar", "parallel");

    /** Reads a golden file found on the class path. */
    @FunctionalInterface
    public interface Reader<T> {
        /**
         * Reads the file.
         *
         * @param file the file
         * @return what was read
         * @throws IOException if it cannot be read
         */
        T read(Path file) throws IOException;
    }

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
     * Creates a check under {@code tol} as it is.
     *
     * @param caseName  the golden case, named in messages
     * @param backendId the backend computing the actual values, named in messages
     * @param tol       the tolerance
     */
    public GoldenCheck(String caseName, String backendId, Tolerance tol) {
        this(caseName, backendId, tol, false);
    }

    /**
     * Creates a check.
     *
     * @param caseName   the golden case, named in messages
     * @param backendId  the backend computing the actual values, named in messages
     * @param tol        the tolerance
     * @param scaleFloor whether to multiply the absolute floor {@code A} of {@code tol} by
     *                   {@code max(1, max|golden|)} of each tensor; see {@link #scaled}
     */
    public GoldenCheck(String caseName, String backendId, Tolerance tol, boolean scaleFloor) {
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
     *
     * @param tol      the tolerance
     * @param expected the golden values of one tensor
     * @return the tolerance for that tensor
     */
    public static Tolerance scaled(Tolerance tol, double[] expected) {
        double max = 1.0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        return max == 1.0 ? tol : new Tolerance(tol.name() + " with A x " + (float) max, tol.relative(),
                tol.absolute() * max);
    }

    /**
     * Returns (backend, case) pairs for every backend and case, for {@code @MethodSource}.
     *
     * @param names the golden cases
     * @return one pair per backend of {@link #BACKENDS} and case
     */
    public static Stream<Arguments> cases(String... names) {
        return BACKENDS.stream().flatMap(b -> Arrays.stream(names).map(n -> Arguments.of(b, n)));
    }

    /**
     * Reads the golden file {@code resource} from the test class path of {@code anchor}, failing
     * with the command that writes it when it is missing.
     *
     * @param anchor   a test class whose class path holds the file
     * @param resource the absolute resource name, such as {@code /golden/linear.safetensors}
     * @param reader   reads the file
     * @param <T>      what the reader returns
     * @return what was read
     */
    public static <T> T load(Class<?> anchor, String resource, Reader<T> reader) {
        URL url = anchor.getResource(resource);
        assertNotNull(url, "missing test resource " + resource + "; the golden_*.py script under tools/ that writes it regenerates it");
        try {
            return reader.read(Path.of(url.toURI()));
        } catch (IOException | URISyntaxException e) {
            throw new AssertionError("cannot read " + resource, e);
        }
    }

    /**
     * Returns a metadata value of a golden file, failing with the key if it is missing.
     *
     * @param metadata the file's metadata
     * @param key      the key
     * @return the value
     */
    public static String meta(Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        assertNotNull(v, "the golden file has no metadata '" + key + "'; it has " + metadata.keySet());
        return v;
    }

    /**
     * Returns an integer metadata value of a golden file.
     *
     * @param metadata the file's metadata
     * @param key      the key
     * @return the value
     */
    public static int intMeta(Map<String, String> metadata, String key) {
        return Integer.parseInt(meta(metadata, key));
    }

    /**
     * Returns a float metadata value of a golden file.
     *
     * @param metadata the file's metadata
     * @param key      the key
     * @return the value
     */
    public static float floatMeta(Map<String, String> metadata, String key) {
        return Float.parseFloat(meta(metadata, key));
    }

    /**
     * Returns the parameters listed, comma-separated, in the metadata key {@code params}, by
     * state-dict name.
     *
     * @param metadata the file's metadata
     * @param tensors  the file's tensors by name
     * @return the parameters, in the listed order
     */
    public static Map<String, Tensor> stateDict(Map<String, String> metadata, Function<String, Tensor> tensors) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String name : meta(metadata, "params").split(",")) {
            state.put(name, tensors.apply(name));
        }
        return state;
    }

    /**
     * Returns integer data stored as floats (ids, timesteps, labels), checking that it is integral.
     *
     * @param t the stored tensor
     * @return its values as ints
     */
    public static int[] ints(Tensor t) {
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

    /**
     * Compares a tensor with its golden value.
     *
     * @param what     the tensor's name, for messages
     * @param expected the golden value
     * @param actual   the computed value
     */
    public void close(String what, Tensor expected, Tensor actual) {
        if (!expected.shape().equals(actual.shape())) {
            compared++;
            failures.add("[" + backendId + "] " + caseName + " " + what + ": shapes differ: expected "
                    + expected.shape() + ", actual " + actual.shape());
            return;
        }
        close(what, expected.shape(), TensorAssert.toDoubles(expected.toArray()), TensorAssert.toDoubles(actual.toArray()));
    }

    /**
     * Compares values held row-major for {@code shape} with their golden values.
     *
     * @param what     the tensor's name, for messages
     * @param shape    the shape, for messages
     * @param expected the golden values
     * @param actual   the computed values
     */
    public void close(String what, Shape shape, double[] expected, double[] actual) {
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
    public void finish() {
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
