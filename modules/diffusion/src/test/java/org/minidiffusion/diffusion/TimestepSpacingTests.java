package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Timestep spacings: equal, entry for entry, to diffusers' arrays. */
class TimestepSpacingTests {

    @TestFactory
    Stream<DynamicTest> everyGoldenArrayIsReproducedExactly() {
        GoldenFileTests.Golden g = GoldenFileTests.load("spacing.txt");
        return g.entries().keySet().stream().map(key -> DynamicTest.dynamicTest(key, () -> {
            String[] parts = key.split("\\.");  // <spacing>.<T>.<n>
            TimestepSpacing spacing = TimestepSpacing.valueOf(parts[0].toUpperCase(Locale.ROOT));
            int[] actual = spacing.timesteps(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
            assertArrayEquals(g.ints(key), actual, key);
        }));
    }

    @Test
    void theThreeSpacingsOfTheDocumentation() {
        assertArrayEquals(new int[] {852, 710, 568, 426, 284, 142, 0}, TimestepSpacing.LEADING.timesteps(1000, 7));
        assertArrayEquals(new int[] {999, 832, 666, 500, 333, 166, 0}, TimestepSpacing.LINSPACE.timesteps(1000, 7));
        assertArrayEquals(new int[] {999, 856, 713, 570, 428, 285, 142}, TimestepSpacing.TRAILING.timesteps(1000, 7));
        assertArrayEquals(new int[] {9, 6, 2}, TimestepSpacing.TRAILING.timesteps(10, 3));
    }

    @ParameterizedTest
    @EnumSource(TimestepSpacing.class)
    void everyStepCountGivesThatManyDistinctDescendingTimesteps(TimestepSpacing spacing) {
        for (int trainSteps : new int[] {1, 10, 1000}) {
            for (int n = 1; n <= trainSteps; n++) {
                int[] ts = spacing.timesteps(trainSteps, n);
                assertEquals(n, ts.length, spacing + " T=" + trainSteps + " n=" + n);
                assertTrue(ts[0] < trainSteps && ts[n - 1] >= 0, spacing + " T=" + trainSteps + " n=" + n);
                for (int i = 1; i < n; i++) {
                    assertTrue(ts[i] < ts[i - 1], spacing + " T=" + trainSteps + " n=" + n + " at " + i);
                }
                if (spacing == TimestepSpacing.TRAILING || spacing == TimestepSpacing.LINSPACE && n > 1) {
                    assertEquals(trainSteps - 1, ts[0], "starts at the noisiest step");
                }
            }
        }
    }

    @Test
    void oneStepIsTheLastTimestepForTrailingAndTheFirstOtherwise() {
        assertArrayEquals(new int[] {999}, TimestepSpacing.TRAILING.timesteps(1000, 1));
        assertArrayEquals(new int[] {0}, TimestepSpacing.LEADING.timesteps(1000, 1));
        assertArrayEquals(new int[] {0}, TimestepSpacing.LINSPACE.timesteps(1000, 1)); // numpy.linspace(0, 999, 1)
    }

    @Test
    void trailingKeepsExactlyNStepsWhereNumPyWouldAddAMinusOne() {
        int[] ts = TimestepSpacing.TRAILING.timesteps(1000, 61); // np.arange gives 62 values, the last -1
        assertEquals(61, ts.length);
        assertEquals(15, ts[60]);
    }

    @ParameterizedTest
    @EnumSource(TimestepSpacing.class)
    void moreStepsThanTrainingStepsIsAClearError(TimestepSpacing spacing) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spacing.timesteps(1000, 1001));
        assertTrue(e.getMessage().contains("(1001)") && e.getMessage().contains("(1000)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> spacing.timesteps(1000, 0));
    }
}
