package org.minidiffusion.nn.optim;

/** Linear warm-up followed by cosine decay (Loshchilov and Hutter 2017, eq. 5, without restarts). */
public record LearningRateSchedule(float peak, float floor, long warmupSteps, long totalSteps) {

    /**
     * Validates the schedule.
     *
     * @param peak        the rate reached at the end of warm-up
     * @param floor       the rate at the last step
     * @param warmupSteps steps of linear warm-up from 0
     * @param totalSteps  all steps, warm-up included
     */
    public LearningRateSchedule {
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("LearningRateSchedule: need 0 <= warmup <= total and total > 0, got "
                    + warmupSteps + " and " + totalSteps);
        }
    }

    /**
     * Returns the rate for a 1-based step.
     *
     * @param step the step, 1 for the first
     * @return the learning rate
     */
    public float at(long step) {
        if (step <= warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        double progress = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
        return (float) (floor + 0.5 * (peak - floor) * (1.0 + Math.cos(Math.PI * progress)));
    }
}
