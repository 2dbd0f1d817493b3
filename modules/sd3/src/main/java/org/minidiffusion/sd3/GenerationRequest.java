package org.minidiffusion.sd3;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.minidiffusion.diffusion.ProgressListener;
import org.minidiffusion.diffusion.flow.FlowSolver;

/**
 * What {@link TextToImagePipeline#generate} draws: {@code count} images of each prompt, from the
 * noise of one seed, with classifier-free guidance against the negative prompt (the empty prompt
 * when there is none).
 *
 * <pre>{@code
 * GenerationRequest.of(List.of("a pair of dark trousers")).withCount(4).withGuidance(4).withSeed(7)
 * }</pre>
 *
 * @param prompts        at least one prompt
 * @param negativePrompt the prompt the guidance pushes away from, {@code ""} for none (the unconditional input)
 * @param count          images per prompt, at least 1
 * @param steps          sampling steps, at least 1
 * @param guidance       the classifier-free guidance scale {@code g} of {@code v_u + g·(v_c − v_u)}
 *                       (Ho and Salimans 2022); 1 is the conditional model alone, one call per step
 * @param shift          the schedule's shift, or NaN for the one in the scheduler config
 * @param solver         Euler or Heun
 * @param seed           the seed of the initial noise; the same seed gives the same images on every backend
 * @param listener       called after each step, or null
 */
public record GenerationRequest(List<String> prompts, String negativePrompt, int count, int steps, double guidance,
                                double shift, FlowSolver solver, long seed, ProgressListener listener) {
    /** Sampling steps by default. */
    public static final int DEFAULT_STEPS = 20;
    /** The guidance scale by default. */
    public static final double DEFAULT_GUIDANCE = 4.0;

    /**
     * Checks the values and copies the prompts.
     *
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public GenerationRequest {
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("GenerationRequest: no prompt");
        }
        List<String> copy = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i) == null) {
                throw new IllegalArgumentException("GenerationRequest: prompt " + i + " is null");
            }
            copy.add(prompts.get(i));
        }
        prompts = List.copyOf(copy);
        if (negativePrompt == null) {
            throw new IllegalArgumentException("GenerationRequest: the negative prompt is null; use \"\" for none");
        }
        if (count < 1) {
            throw new IllegalArgumentException("GenerationRequest: count must be at least 1, got " + count);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("GenerationRequest: steps must be at least 1, got " + steps);
        }
        if (!Double.isFinite(guidance)) {
            throw new IllegalArgumentException("GenerationRequest: the guidance scale must be finite, got " + guidance);
        }
        if (!Double.isNaN(shift) && !(shift > 0 && Double.isFinite(shift))) {
            throw new IllegalArgumentException("GenerationRequest: shift must be positive and finite (or NaN for the "
                    + "scheduler's), got " + shift);
        }
        Objects.requireNonNull(solver, "GenerationRequest: solver");
    }

    /**
     * Returns a request with the defaults: no negative prompt, one image per prompt,
     * {@value #DEFAULT_STEPS} Euler steps, guidance {@value #DEFAULT_GUIDANCE}, the scheduler's
     * shift, seed 0, no listener.
     *
     * @param prompts at least one prompt
     * @return the request
     */
    public static GenerationRequest of(List<String> prompts) {
        return new GenerationRequest(prompts, "", 1, DEFAULT_STEPS, DEFAULT_GUIDANCE, Double.NaN, FlowSolver.EULER, 0L,
                null);
    }

    /**
     * Returns a request for one prompt with the defaults of {@link #of(List)}.
     *
     * @param prompt the prompt
     * @return the request
     */
    public static GenerationRequest of(String prompt) {
        return of(List.of(prompt));
    }

    /**
     * Returns the number of images, {@code prompts × count}.
     *
     * @return the batch size
     */
    public int images() {
        return prompts.size() * count;
    }

    /**
     * Returns whether each step runs the unconditional (or negative) branch too.
     *
     * @return {@code guidance != 1}
     */
    public boolean guided() {
        return guidance != 1.0;
    }

    /**
     * Returns this request with a negative prompt.
     *
     * @param negative the prompt to guide away from, {@code ""} for none
     * @return the new request
     */
    public GenerationRequest withNegativePrompt(String negative) {
        return new GenerationRequest(prompts, negative, count, steps, guidance, shift, solver, seed, listener);
    }

    /**
     * Returns this request with another number of images per prompt.
     *
     * @param images per prompt
     * @return the new request
     */
    public GenerationRequest withCount(int images) {
        return new GenerationRequest(prompts, negativePrompt, images, steps, guidance, shift, solver, seed, listener);
    }

    /**
     * Returns this request with another number of steps.
     *
     * @param n sampling steps
     * @return the new request
     */
    public GenerationRequest withSteps(int n) {
        return new GenerationRequest(prompts, negativePrompt, count, n, guidance, shift, solver, seed, listener);
    }

    /**
     * Returns this request with another guidance scale.
     *
     * @param scale the scale; 1 for none
     * @return the new request
     */
    public GenerationRequest withGuidance(double scale) {
        return new GenerationRequest(prompts, negativePrompt, count, steps, scale, shift, solver, seed, listener);
    }

    /**
     * Returns this request with another shift.
     *
     * @param s the shift, or NaN for the scheduler's
     * @return the new request
     */
    public GenerationRequest withShift(double s) {
        return new GenerationRequest(prompts, negativePrompt, count, steps, guidance, s, solver, seed, listener);
    }

    /**
     * Returns this request with another solver.
     *
     * @param s Euler or Heun
     * @return the new request
     */
    public GenerationRequest withSolver(FlowSolver s) {
        return new GenerationRequest(prompts, negativePrompt, count, steps, guidance, shift, s, seed, listener);
    }

    /**
     * Returns this request with another seed.
     *
     * @param s the seed of the initial noise
     * @return the new request
     */
    public GenerationRequest withSeed(long s) {
        return new GenerationRequest(prompts, negativePrompt, count, steps, guidance, shift, solver, s, listener);
    }

    /**
     * Returns this request with a progress listener.
     *
     * @param l called after each step, or null
     * @return the new request
     */
    public GenerationRequest withListener(ProgressListener l) {
        return new GenerationRequest(prompts, negativePrompt, count, steps, guidance, shift, solver, seed, l);
    }
}
