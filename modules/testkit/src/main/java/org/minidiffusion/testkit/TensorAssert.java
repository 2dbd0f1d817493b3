package org.minidiffusion.testkit;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * Compares tensors element by element under a {@link Tolerance} and reports the worst element.
 *
 * <p>A failure message names the backend, the op, how many elements failed, and the worst one:
 * its multi-dimensional index, both values, their difference and the bound it broke, for example
 * <pre>
 * [parallel] matmul 2-D (67,129)@(129,33) forward: 3 of 2211 elements are not close under
 * |x-y| &lt;= max(1.0E-4*|x+y|, 1.0E-5) (DEFAULT); worst at [12, 7]: expected 1.2345678,
 * actual -1.2345678, |diff| 2.4691356 &gt; bound 2.0E-5 (123456.8 x the bound)
 * </pre>
 */
public final class TensorAssert {
    private TensorAssert() {
    }

    /**
     * Asserts that two tensors have the same shape and close elements.
     *
     * @param tol       the tolerance
     * @param backendId the backend under test, named in the message
     * @param op        the op and variant, named in the message
     * @param expected  the reference values
     * @param actual    the values of the backend under test
     */
    public static void assertClose(Tolerance tol, String backendId, String op, Tensor expected, Tensor actual) {
        compare(tol, backendId, op, expected, actual).ifPresent(Assertions::fail);
    }

    /**
     * Asserts that two arrays holding a tensor of {@code shape} row-major have close elements.
     *
     * @param tol       the tolerance
     * @param backendId the backend under test
     * @param op        the op and variant
     * @param shape     the shape both arrays hold, for reporting multi-dimensional indices
     * @param expected  the reference values
     * @param actual    the values under test
     */
    public static void assertClose(Tolerance tol, String backendId, String op, Shape shape,
                                   double[] expected, double[] actual) {
        compare(tol, backendId, op, shape, expected, actual).ifPresent(Assertions::fail);
    }

    /**
     * Compares two tensors and returns the failure message, if they differ.
     *
     * @param tol       the tolerance
     * @param backendId the backend under test
     * @param op        the op and variant
     * @param expected  the reference values
     * @param actual    the values under test
     * @return the message, or empty if the shapes are equal and every element is close
     */
    public static Optional<String> compare(Tolerance tol, String backendId, String op,
                                           Tensor expected, Tensor actual) {
        Objects.requireNonNull(tol, "tol");
        String where = "[" + backendId + "] " + op;
        if (expected == null || actual == null) {
            return Optional.of(where + ": " + (expected == null ? "expected" : "actual") + " tensor is null");
        }
        if (!expected.shape().equals(actual.shape())) {
            return Optional.of(where + ": shapes differ: expected " + expected.shape() + ", actual " + actual.shape());
        }
        return compare(tol, backendId, op, expected.shape(), toDoubles(expected.toArray()), toDoubles(actual.toArray()));
    }

    /**
     * Compares two row-major arrays of a tensor of {@code shape} and returns the failure message, if any.
     *
     * @param tol       the tolerance
     * @param backendId the backend under test
     * @param op        the op and variant
     * @param shape     the shape both arrays hold
     * @param expected  the reference values
     * @param actual    the values under test
     * @return the message, or empty if every element is close
     */
    public static Optional<String> compare(Tolerance tol, String backendId, String op, Shape shape,
                                           double[] expected, double[] actual) {
        Objects.requireNonNull(tol, "tol");
        Objects.requireNonNull(shape, "shape");
        String where = "[" + backendId + "] " + op;
        if (expected.length != shape.numel() || actual.length != shape.numel()) {
            return Optional.of(where + ": expected " + shape.numel() + " values of shape " + shape + ", got "
                    + expected.length + " expected and " + actual.length + " actual");
        }
        int failed = 0;
        int worst = -1;
        double worstViolation = 1.0;
        for (int i = 0; i < expected.length; i++) {
            double v = tol.violation(expected[i], actual[i]);
            if (v > 1.0) {
                failed++;
                if (worst < 0 || v > worstViolation) {
                    worst = i;
                    worstViolation = v;
                }
            }
        }
        if (failed == 0) {
            return Optional.empty();
        }
        double e = expected[worst];
        double a = actual[worst];
        return Optional.of(where + ": " + failed + " of " + expected.length + " elements are not close under "
                + tol + "; worst at " + Arrays.toString(unravel(worst, shape)) + ": expected " + (float) e
                + ", actual " + (float) a + ", |diff| " + (float) Math.abs(e - a) + " > bound "
                + (float) tol.bound(e, a)
                + (Double.isFinite(worstViolation) ? " (" + (float) worstViolation + " x the bound)" : ""));
    }

    /**
     * Returns the multi-dimensional index of a row-major flat index.
     *
     * @param flat  the flat index
     * @param shape the shape
     * @return one index per dim; empty for a rank-0 shape
     */
    public static int[] unravel(int flat, Shape shape) {
        int[] dims = shape.toArray();
        int[] idx = new int[dims.length];
        int rest = flat;
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = rest % dims[d];
            rest /= dims[d];
        }
        return idx;
    }

    /**
     * Widens floats to doubles.
     *
     * @param values the floats
     * @return the same values as doubles
     */
    public static double[] toDoubles(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
