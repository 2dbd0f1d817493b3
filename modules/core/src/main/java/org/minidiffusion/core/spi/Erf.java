package org.minidiffusion.core.spi;

/** The error function, which {@link Math} lacks. */
final class Erf {
    private Erf() {
    }

    /**
     * Returns {@code erf(x)} to about 1e-14 relative error.
     *
     * <p>Uses the Maclaurin series {@code erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))} for
     * {@code |x| < 2.5}, and the continued fraction for {@code erfc} (Abramowitz and Stegun 7.1.14)
     * beyond it.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax >= 6.0) {
            return Math.copySign(1.0, x);
        }
        double r;
        if (ax < 2.5) {
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double f = ax;
            for (int k = 60; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            r = 1.0 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return Math.copySign(r, x);
    }
}
