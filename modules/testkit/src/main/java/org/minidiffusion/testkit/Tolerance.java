package org.minidiffusion.testkit;

/**
 * The kit's one definition of closeness: {@code x} and {@code y} are close when
 * {@code |x - y| <= max(R * |x + y|, A)}.
 *
 * <p>{@code R} bounds the relative error (as {@code |x + y|} is about {@code 2|x|}, the effective
 * relative bound is about {@code 2R}); {@code A} is the absolute floor for values near zero, where a
 * relative bound means nothing. Equal values, infinities of the same sign included, are always
 * close; NaN is close only to NaN.
 *
 * <h2>Why these numbers</h2>
 * All arithmetic is float32, whose unit roundoff is {@code u = 2^-24 ~ 6e-8} (one ulp at 1.0 is
 * {@code 1.2e-7}).
 * <ul>
 *   <li>{@link #DEFAULT} ({@code R = 1e-4, A = 1e-5}) compares a backend with the scalar reference.
 *   Two correct backends may sum in different orders (threads, blocks, fused multiply-add) and may
 *   evaluate {@code exp}, {@code tanh} and the like with approximations, as the SPI allows. A sum of
 *   {@code n} same-sign float32 terms in any order is within {@code n u} relative of the exact sum:
 *   {@code 2e-4} covers {@code n} in the thousands, and an approximated transcendental to about
 *   {@code 1e-4} relative. The floor {@code A = 1e-5} (about 80 ulps at 1.0) covers cancellation:
 *   the kit scales its inputs so that the partial sums every kernel accumulates are of order 1,
 *   where reordering error is about {@code u sqrt(n)}, below {@code 1e-6}. A real bug (a wrong
 *   index, sign, stride or formula) moves values by O(1), four orders of magnitude above.</li>
 *   <li>{@link #GRADCHECK} ({@code R = 1e-2, A = 1e-3}) compares autograd with central
 *   differences, which carry two errors of their own: truncation, {@code h^2 |f'''| / 6} or about
 *   {@code 2e-5 |f'''|} at the kit's step {@code h = 1e-2}, and the float32 rounding of the loss
 *   divided by {@code 2h}, about {@code u sqrt(N) / 2h}, some {@code 3e-5} for the kit's loss of
 *   {@code N <= 72} terms of order 1. {@code A = 1e-3} leaves a margin of 10 or more over their sum
 *   for inputs of order 1; {@code R = 1e-2} covers truncation for curved functions (such as
 *   {@code x^-1.5} or {@code 1/x} at {@code x = 0.5}, where {@code |f''' / f'|} reaches 35). A wrong
 *   gradient is off by a large fraction of itself, far beyond 2%.</li>
 *   <li>{@link #KNOWN_VALUE} ({@code R = 1e-6, A = 1e-7}) compares the reference backend with
 *   constants computed in double precision and quoted to 7 or more significant digits: one
 *   rounding to float32 plus a few ulps of float32 arithmetic stay within {@code 2e-6} relative
 *   (about 16 ulps). It is tight enough to tell {@code gelu(1) = 0.8413447} from
 *   {@code geluTanh(1) = 0.8411920}, which {@link #DEFAULT} could not.</li>
 * </ul>
 * Never loosen a tolerance to make a test pass: a value outside it has a cause worth finding.
 *
 * @param name     the preset's name, shown in failure messages
 * @param relative {@code R}, the relative bound, at least 0
 * @param absolute {@code A}, the absolute floor, at least 0
 */
public record Tolerance(String name, double relative, double absolute) {

    /** A backend compared with the scalar reference: {@code R = 1e-4, A = 1e-5}. */
    public static final Tolerance DEFAULT = new Tolerance("DEFAULT", 1e-4, 1e-5);

    /** Autograd compared with central differences of step {@code 1e-2}: {@code R = 1e-2, A = 1e-3}. */
    public static final Tolerance GRADCHECK = new Tolerance("GRADCHECK", 1e-2, 1e-3);

    /** The reference compared with constants known to 7 digits: {@code R = 1e-6, A = 1e-7}. */
    public static final Tolerance KNOWN_VALUE = new Tolerance("KNOWN_VALUE", 1e-6, 1e-7);

    /**
     * Checks the bounds.
     *
     * @param name     the preset's name
     * @param relative {@code R}
     * @param absolute {@code A}
     */
    public Tolerance {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Tolerance: a name is needed");
        }
        if (!(relative >= 0) || !(absolute >= 0) || Double.isInfinite(relative) || Double.isInfinite(absolute)) {
            throw new IllegalArgumentException("Tolerance " + name + ": R and A must be finite and >= 0, got "
                    + relative + " and " + absolute);
        }
    }

    /**
     * Returns the largest difference allowed between {@code x} and {@code y}.
     *
     * @param x one value
     * @param y the other
     * @return {@code max(R * |x + y|, A)}
     */
    public double bound(double x, double y) {
        return Math.max(relative * Math.abs(x + y), absolute);
    }

    /**
     * Returns whether {@code x} and {@code y} are close.
     *
     * @param x one value
     * @param y the other
     * @return whether {@code |x - y| <= max(R * |x + y|, A)}, or both are equal or both NaN
     */
    public boolean isClose(double x, double y) {
        return violation(x, y) <= 1.0;
    }

    /**
     * Returns how far {@code x} and {@code y} are apart in units of the bound; above 1 is a failure.
     *
     * @param x one value
     * @param y the other
     * @return {@code |x - y| / bound(x, y)}: 0 for equal values or two NaNs, infinite if only one is
     *         NaN or an infinity meets another value
     */
    public double violation(double x, double y) {
        if (x == y || (Double.isNaN(x) && Double.isNaN(y))) {
            return 0.0;
        }
        if (Double.isNaN(x) || Double.isNaN(y) || Double.isInfinite(x) || Double.isInfinite(y)) {
            return Double.POSITIVE_INFINITY;
        }
        double b = bound(x, y);
        double d = Math.abs(x - y);
        return b == 0.0 ? Double.POSITIVE_INFINITY : d / b;
    }

    /** Returns the rule with its numbers, as {@code |x-y| <= max(1.0E-4*|x+y|, 1.0E-5) (DEFAULT)}. */
    @Override
    public String toString() {
        return "|x-y| <= max(" + relative + "*|x+y|, " + absolute + ") (" + name + ")";
    }
}
