package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link Rng#permutation}: the Fisher-Yates shuffle with the draws of the trainers' batch orders. */
class RngPermutationTests {
    @Test
    void itIsTheDurstenfeldShuffleOfTheSameDraws() {
        Rng draws = new Rng(42);
        int[] expected = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (int i = expected.length - 1; i > 0; i--) {         // the loop the trainers had, written out
            int j = draws.nextInt(i + 1);
            int t = expected[i];
            expected[i] = expected[j];
            expected[j] = t;
        }
        assertArrayEquals(expected, new Rng(42).permutation(10));
    }

    @Test
    void smallAndBadLengths() {
        assertArrayEquals(new int[0], new Rng(1).permutation(0));
        assertArrayEquals(new int[] {0}, new Rng(1).permutation(1));
        assertThrows(IllegalArgumentException.class, () -> new Rng(1).permutation(-1));
    }
}
