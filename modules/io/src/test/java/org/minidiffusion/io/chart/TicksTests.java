package org.minidiffusion.io.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TicksTests {
    @Test
    void niceNumbersRoundOrCeilToOneTwoOrFiveTimesAPowerOfTen() {
        // Heckbert 1990: rounding thresholds 1.5, 3 and 7; without rounding, the next nice number up.
        assertEquals(1, Ticks.niceNumber(1.49, true), 1e-12);
        assertEquals(2, Ticks.niceNumber(1.5, true), 1e-12);
        assertEquals(5, Ticks.niceNumber(3, true), 1e-12);
        assertEquals(10, Ticks.niceNumber(7, true), 1e-12);
        assertEquals(0.02, Ticks.niceNumber(0.016667, true), 1e-15);
        assertEquals(1, Ticks.niceNumber(1, false), 1e-12);
        assertEquals(5000, Ticks.niceNumber(2499, false), 1e-9);
        assertEquals(20, Ticks.niceNumber(15.9, false), 1e-12);
        assertEquals(0.05, Ticks.niceNumber(0.0333, false), 1e-15);
    }

    @Test
    void looseLabelingOfHandComputedRanges() {
        // range nice(1) = 1, spacing nice(1/4, round) = 0.2, one fraction digit.
        assertTicks(Ticks.linear(0, 1, 5, false), 0, 1, "0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
        // range nice(15.9) = 20, spacing nice(20/4) = 5; floor(-3.7/5)*5 = -5, ceil(12.2/5)*5 = 15.
        assertTicks(Ticks.linear(-3.7, 12.2, 5, false), -5, 15, "-5", "0", "5", "10", "15");
        // range nice(0.0333) = 0.05, spacing nice(0.05/3 = 0.0167) = 0.02, two fraction digits.
        assertTicks(Ticks.linear(0.0123, 0.0456, 4, false), 0, 0.06, "0.00", "0.02", "0.04", "0.06");
        // Steps 1..2500 with 11 ticks wanted: range nice(2499) = 5000, spacing nice(500) = 500.
        assertTicks(Ticks.linear(1, 2500, 11, true), 0, 2500, "0", "500", "1000", "1500", "2000", "2500");
    }

    @Test
    void integerAxesNeverStepByLessThanOne() {
        // One step, padded to 0..2: Heckbert alone would step by 0.5.
        assertTicks(Ticks.linear(0, 2, 5, false), 0, 2, "0.0", "0.5", "1.0", "1.5", "2.0");
        assertTicks(Ticks.linear(0, 2, 5, true), 0, 2, "0", "1", "2");
    }

    @Test
    void logarithmicAxesTakeTheDensestPowersOfTenThatFit() {
        // 1-9 per decade gives 25 ticks in [0.004, 1.2], more than 20; 1-2-5 gives 8.
        Ticks ticks = Ticks.logarithmic(0.004, 1.2, 20);
        assertEquals(List.of("0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"), ticks.labels());
        assertEquals(0.004, ticks.min(), 0);
        assertEquals(1.2, ticks.max(), 0);
        assertEquals(0.05, ticks.values().get(3), 0);
        // 13 decades for at most 5 ticks: every third power, with labels beyond 1e5 in e-notation.
        assertEquals(List.of("1e-9", "1e-6", "0.001", "1", "1000"), Ticks.logarithmic(1e-9, 1e3, 5).labels());
        // Under half a decade the powers give 2, 3 and 4 only; Heckbert's linear ticks give six.
        assertEquals(List.of("1.5", "2.0", "2.5", "3.0", "3.5", "4.0"), Ticks.logarithmic(1.14, 4.4, 13).labels());
    }

    private static void assertTicks(Ticks ticks, double min, double max, String... labels) {
        assertEquals(min, ticks.min(), 1e-12, "axis low end");
        assertEquals(max, ticks.max(), 1e-12, "axis high end");
        assertEquals(List.of(labels), ticks.labels());
        assertEquals(labels.length, ticks.values().size());
        for (int i = 0; i < labels.length; i++) {
            assertEquals(Double.parseDouble(labels[i]), ticks.values().get(i), 1e-12, "tick " + i);
        }
    }
}
