package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * Compares the tensors of one golden case of {@code tools/golden_vae.py} with what one backend
 * computes, collecting every failing tensor and printing the worst error. (The nn and diffusion
 * modules' tests have the same helper; it belongs in the test kit once one shared copy exists.)
 *
 * <p>The golden values are float64 results rounded once to float32, so a difference is our
 * float32 error alone.
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

    /** Returns the path of the test resource {@code /golden/<file>}, failing with the command that writes it. */
    static Path resource(String file) {
        URL url = GoldenCheck.class.getResource("/golden/" + file);
        assertNotNull(url, "missing test resource /golden/" + file + "; run /usr/bin/python3 tools/golden_vae.py");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads {@code golden/<name>.safetensors} onto {@code backend}. */
    static SafetensorsFile load(String name, Backend backend) {
        try {
            return Safetensors.read(resource(name + ".safetensors"), backend);
        } catch (IOException e) {
            throw new AssertionError("cannot read golden/" + name + ".safetensors", e);
        }
    }

    /** Compares a tensor with its golden value. */
    void close(String what, Tensor expected, Tensor actual) {
        compared++;
        if (!expected.shape().equals(actual.shape())) {
            failures.add("[" + backendId + "] " + caseName + " " + what + ": shapes differ: expected "
                    + expected.shape() + ", actual " + actual.shape());
            return;
        }
        double[] e = TensorAssert.toDoubles(expected.toArray());
        double[] a = TensorAssert.toDoubles(actual.toArray());
        Tolerance t = scaleFloor ? scaled(tol, e) : tol;
        TensorAssert.compare(t, backendId, caseName + " " + what, expected.shape(), e, a).ifPresent(failures::add);
        for (int i = 0; i < e.length; i++) {
            double v = t.violation(e[i], a[i]);
            worstUnscaled = Math.max(worstUnscaled, tol.violation(e[i], a[i]));
            if (v > worstViolation) {
                worstViolation = v;
                worstWhat = what;
            }
            worstDiff = Math.max(worstDiff, Math.abs(e[i] - a[i]));
        }
    }

    /** Prints the worst error, then fails with every failing comparison, if any. */
    void finish() {
        System.out.printf("golden %-14s [%-8s] %3d tensors, worst %.4f x bound (%s), max |diff| %.2e, %s%s%n",
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
