package org.minidiffusion.core.api;

/**
 * A small, explicitly seeded random generator (SplitMix64) whose streams are identical on every
 * JVM, platform and backend.
 *
 * <p>Not thread-safe: give each thread its own. Normal deviates use the Box-Muller transform, so a
 * given seed always yields the same tensors.
 */
public final class Rng {
    private long state;
    private double spareGaussian;
    private boolean hasSpare;

    /**
     * Creates a generator.
     *
     * @param seed any value; equal seeds give equal streams
     */
    public Rng(long seed) {
        this.state = seed;
    }

    /**
     * Returns the next 64 random bits (Steele, Lea and Flood 2014, SplitMix64).
     *
     * @return the bits
     */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Returns a uniform double in {@code [0, 1)} with 53 random bits.
     *
     * @return the value
     */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Returns a uniform float in {@code [0, 1)}.
     *
     * @return the value
     */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /**
     * Returns a uniform int in {@code [0, bound)}.
     *
     * @param bound the exclusive upper bound, positive
     * @return the value
     * @throws IllegalArgumentException if {@code bound <= 0}
     */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("Rng.nextInt: bound must be positive, got " + bound);
        }
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /**
     * Returns a uniformly random permutation of {@code 0, 1, ..., n − 1}: the Fisher-Yates shuffle
     * in Durstenfeld's form, drawing {@code nextInt(i + 1)} for {@code i = n − 1} down to 1.
     *
     * @param n the length, zero or more
     * @return a new array holding each of {@code 0 .. n − 1} once
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public int[] permutation(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("Rng.permutation: length must be zero or more, got " + n);
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    /**
     * Returns a standard normal deviate.
     *
     * @return the value
     */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u1 = 1.0 - nextDouble(); // in (0, 1], so log is finite
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareGaussian = r * Math.sin(2.0 * Math.PI * u2);
        hasSpare = true;
        return r * Math.cos(2.0 * Math.PI * u2);
    }
}
