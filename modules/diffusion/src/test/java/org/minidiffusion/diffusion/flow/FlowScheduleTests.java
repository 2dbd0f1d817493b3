package org.minidiffusion.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The shift and the sigma schedule against their formulas; the diffusers values are in {@link FlowGoldenTests}. */
class FlowScheduleTests {

    /** {@code σ' = shift·σ / (1 + (shift − 1)·σ)} is {@code logit(σ') = logit(σ) + ln(shift)}. */
    @Test
    void shiftAddsLogShiftToTheLogit() {
        for (double shift : new double[] {0.5, 1.0, 3.0, 6.0}) {
            for (int i = 1; i < 100; i++) {
                double sigma = i / 100.0;
                double shifted = FlowSchedule.shift(sigma, shift);
                double logit = Math.log(sigma / (1 - sigma));
                double logitShifted = Math.log(shifted / (1 - shifted));
                assertEquals(logit + Math.log(shift), logitShifted, 1e-12, "shift " + shift + " at σ = " + sigma);
            }
            assertEquals(0.0, FlowSchedule.shift(0, shift), "σ = 0 stays data");
            assertEquals(1.0, FlowSchedule.shift(1, shift), 1e-15, "σ = 1 stays noise");
        }
        assertEquals(0.75, FlowSchedule.shift(0.5, 3.0), 1e-15, "3·0.5 / (1 + 2·0.5)");
        assertEquals(3.0 * 0.1 / 1.2, FlowSchedule.shift(0.1, 3.0), 1e-15);
    }

    /** Without shift the sigmas are evenly spaced from 1 to 1/T, then 0. */
    @Test
    void unshiftedSigmasAreALinspace() {
        FlowSchedule schedule = new FlowSchedule(1000, 1.0);
        double[] sigmas = schedule.sigmas(10);
        assertEquals(11, sigmas.length);
        for (int i = 0; i < 10; i++) {
            assertEquals(1 - i * (1 - 0.001) / 9, sigmas[i], 1e-15, "σ_" + i);
        }
        assertEquals(0.0, sigmas[10]);
        assertEquals(0.001, schedule.sigmaMin(), 1e-18);
        assertEquals(1.0, schedule.sigmaMax());
    }

    /** The shift applies to the linspace, whose end is the shifted training sigma: diffusers shifts σ_min twice. */
    @Test
    void shiftedSigmasShiftTheLinspaceOfTheShiftedGrid() {
        FlowSchedule schedule = new FlowSchedule(1000, 3.0);
        double sigmaMin = 3 * 0.001 / (1 + 2 * 0.001);
        assertEquals(sigmaMin, schedule.sigmaMin(), 1e-15);
        double[] sigmas = schedule.sigmas(28);
        double[] timesteps = schedule.timesteps(28);
        for (int i = 0; i < 28; i++) {
            double linear = 1 + i * (sigmaMin - 1) / 27;
            assertEquals(3 * linear / (1 + 2 * linear), sigmas[i], 1e-15, "σ_" + i);
            assertEquals(1000 * sigmas[i], timesteps[i], 1e-12, "t_" + i);
            assertTrue(sigmas[i] > sigmas[i + 1], "decreasing at " + i);
        }
        assertEquals(0.0, sigmas[28]);
        assertEquals(1.0, sigmas[0], 1e-15);
    }

    @Test
    void oneStepGoesFromNoiseToData() {
        double[] sigmas = new FlowSchedule(1000, 3.0).sigmas(1);
        assertEquals(2, sigmas.length);
        assertEquals(1.0, sigmas[0], 1e-15);
        assertEquals(0.0, sigmas[1]);
    }

    @Test
    void badSettingsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FlowSchedule(0, 1.0)).getMessage()
                .contains("num_train_timesteps must be at least 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FlowSchedule(1000, -2.0)).getMessage()
                .contains("shift must be positive and finite, got -2.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FlowSchedule(1000, Double.NaN)).getMessage()
                .contains("shift"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FlowSchedule(1000, 3.0).sigmas(0))
                .getMessage().contains("at least 1, got 0"));
    }
}
