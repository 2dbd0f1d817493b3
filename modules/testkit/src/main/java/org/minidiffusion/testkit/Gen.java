package org.minidiffusion.testkit;

import org.minidiffusion.core.api.Rng;

/**
 * Makes the values of one random input, from a seeded {@link Rng} so that runs repeat exactly.
 *
 * <p>The factories keep inputs where the ops are well behaved: away from the kinks of
 * {@code relu}, {@code abs} and {@code clamp}, positive for {@code sqrt}, {@code log} and
 * {@code pow}, away from zero for divisors, and without ties for {@code max}.
 */
@FunctionalInterface
interface Gen {

    /**
     * Returns {@code n} values.
     *
     * @param rng the generator
     * @param n   how many
     * @return the values
     */
    float[] make(Rng rng, int n);

    /**
     * Returns normal values with standard deviation {@code scale}.
     *
     * @param scale the standard deviation
     * @return the generator
     */
    static Gen normal(double scale) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (rng.nextGaussian() * scale);
            }
            return v;
        };
    }

    /**
     * Returns uniform values in {@code [lo, hi)}.
     *
     * @param lo the lower bound
     * @param hi the upper bound
     * @return the generator
     */
    static Gen uniform(double lo, double hi) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
            }
            return v;
        };
    }

    /**
     * Returns values of random sign whose magnitude is uniform in {@code [lo, hi)}: divisors.
     *
     * @param lo the smallest magnitude, positive
     * @param hi the largest magnitude
     * @return the generator
     */
    static Gen magnitude(double lo, double hi) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                double m = lo + (hi - lo) * rng.nextDouble();
                v[i] = (float) (rng.nextDouble() < 0.5 ? -m : m);
            }
            return v;
        };
    }

    /**
     * Returns normal values of standard deviation {@code scale} at least {@code margin} from each
     * of {@code kinks}, redrawing those that are not.
     *
     * @param scale  the standard deviation
     * @param margin the distance kept, larger than the finite-difference step
     * @param kinks  the points to avoid
     * @return the generator
     */
    static Gen avoiding(double scale, double margin, double... kinks) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                double x;
                boolean near;
                do {
                    x = (float) (rng.nextGaussian() * scale);
                    near = false;
                    for (double k : kinks) {
                        near |= Math.abs(x - k) < margin;
                    }
                } while (near);
                v[i] = (float) x;
            }
            return v;
        };
    }

    /**
     * Returns {@code n} distinct values {@code spacing} apart, centred on 0, in random order, so
     * that a maximum never ties and no small perturbation changes which element is largest.
     *
     * @param spacing the gap between neighbouring values
     * @return the generator
     */
    static Gen distinct(double spacing) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) ((i - (n - 1) / 2.0) * spacing);
            }
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                int j = rng.nextInt(i + 1);
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
            return v;
        };
    }

    /**
     * Returns whole numbers in {@code [lo, hi]}, so that equal values are common.
     *
     * @param lo the smallest value
     * @param hi the largest value
     * @return the generator
     */
    static Gen integers(int lo, int hi) {
        return (rng, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = lo + rng.nextInt(hi - lo + 1);
            }
            return v;
        };
    }
}
