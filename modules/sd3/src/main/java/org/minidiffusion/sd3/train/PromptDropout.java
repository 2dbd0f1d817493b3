package org.minidiffusion.sd3.train;

import java.util.ArrayList;
import java.util.List;
import org.minidiffusion.core.api.Rng;

/**
 * Replaces captions by the empty prompt with a fixed probability while training, so that one model
 * learns both the conditional and the unconditional velocity that classifier-free guidance
 * combines (Ho and Salimans 2022, Algorithm 1; Esser et al. 2024 drop each text encoder's input
 * with probability 0.464 to allow dropping encoders at inference, here there is one prompt for both).
 *
 * @param probability the probability of dropping a caption, in {@code [0, 1)}
 */
public record PromptDropout(double probability) {
    /** The probability by default, as Ho and Salimans' p_uncond = 0.1. */
    public static final double DEFAULT_PROBABILITY = 0.1;
    /** The unconditional prompt. */
    public static final String EMPTY = "";

    /**
     * Checks the probability.
     *
     * @param probability in {@code [0, 1)}
     * @throws IllegalArgumentException otherwise
     */
    public PromptDropout {
        if (!(probability >= 0 && probability < 1)) {
            throw new IllegalArgumentException("PromptDropout: the probability must be in [0, 1), got " + probability);
        }
    }

    /**
     * Returns the captions with each replaced by {@value #EMPTY} with the probability: one draw of
     * {@code rng} per caption, in order, whatever the outcome, so the draws do not depend on the captions.
     *
     * @param captions the batch's captions
     * @param rng      the generator
     * @return a new list of the same size
     */
    public List<String> apply(List<String> captions, Rng rng) {
        List<String> out = new ArrayList<>(captions.size());
        for (String caption : captions) {
            out.add(rng.nextDouble() < probability ? EMPTY : caption);
        }
        return out;
    }
}
