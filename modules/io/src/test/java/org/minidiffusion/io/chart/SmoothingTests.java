package org.minidiffusion.io.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SmoothingTests {
    @Test
    void biasCorrectedEmaEqualsTheHandComputedValues() {
        // w = 0.5: m1 = 0.5, /(1 - 0.5) = 1; m2 = 0.25 + 1 = 1.25, /(1 - 0.25) = 5/3;
        // NaN is skipped; m3 = 0.625 + 2 = 2.625, /(1 - 0.125) = 3.
        double[] ys = {1, 2, Double.NaN, 4};
        boolean[] usable = {true, true, false, true};
        assertArrayEquals(new double[] {1, 5.0 / 3, Double.NaN, 3}, Smoothing.ema(ys, usable, 0.5), 1e-12);
        // w = 0.9 on 10, 0: m1 = 1, /0.1 = 10; m2 = 0.9, /0.19 = 4.7368...
        assertArrayEquals(new double[] {10, 0.9 / 0.19}, Smoothing.ema(new double[] {10, 0}, new boolean[] {true, true}, 0.9), 1e-12);
    }

    @Test
    void weightZeroGivesTheValuesAndAConstantStaysConstant() {
        double[] ys = {3, 1, 4, 1, 5};
        boolean[] all = {true, true, true, true, true};
        assertArrayEquals(ys, Smoothing.ema(ys, all, 0), 0);
        assertArrayEquals(new double[] {7, 7, 7, 7, 7}, Smoothing.ema(new double[] {7, 7, 7, 7, 7}, all, 0.99), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Smoothing.ema(ys, all, 1));
    }

    @Test
    void theDefaultWeightHasATimeConstantOfOnePercentOfThePoints() {
        assertEquals(0, Smoothing.defaultWeight(199), 0);
        assertEquals(0.5, Smoothing.defaultWeight(200), 0);
        assertEquals(1 - 1.0 / 15, Smoothing.defaultWeight(1500), 1e-15);
        assertEquals(0.96, Smoothing.defaultWeight(2500), 1e-15);
    }
}
