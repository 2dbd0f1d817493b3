package org.minidiffusion.demos;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.diffusion.DdimSampler;
import org.minidiffusion.diffusion.DdpmSampler;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.Sampler;

/** The samplers the demos offer, by name ({@code --sampler ddim}). */
enum SamplerKind {
    /** Ancestral sampling, Algorithm 2 of Ho et al. 2020; fresh noise at every step. */
    DDPM,
    /** DDIM, Song et al. 2021, eq. 12; deterministic at {@code η = 0}. */
    DDIM;

    /**
     * Returns the name as the command line spells it.
     *
     * @return the lower-case name, such as {@code "ddim"}
     */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the names of all kinds.
     *
     * @return the lower-case names
     */
    static Set<String> ids() {
        return Arrays.stream(values()).map(SamplerKind::id).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /**
     * Returns the kind with the given name.
     *
     * @param id the name, in any case
     * @return the kind
     * @throws IllegalArgumentException if there is none
     */
    static SamplerKind of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }

    /**
     * Returns whether the sampler takes DDIM's {@code η}.
     *
     * @return true for DDIM only
     */
    boolean takesEta() {
        return this == DDIM;
    }

    /**
     * Creates a sampler of this kind that clamps its estimates of {@code x_0} to {@code [-1, 1]},
     * the range of the training images.
     *
     * @param schedule   the schedule the model was trained with
     * @param prediction what the model predicts
     * @param eta        DDIM's {@code η} in {@code [0, 1]}; ignored by DDPM
     * @return the sampler
     */
    Sampler create(NoiseSchedule schedule, PredictionType prediction, double eta) {
        return switch (this) {
            case DDIM -> new DdimSampler(schedule, prediction, true, eta);
            case DDPM -> new DdpmSampler(schedule, prediction, true);
        };
    }

    /**
     * Describes the sampler for a progress line.
     *
     * @param eta DDIM's {@code η}
     * @return such as {@code "DDIM (eta 0.0)"} or {@code "DDPM"}
     */
    String describe(float eta) {
        return takesEta() ? "DDIM (eta " + eta + ")" : "DDPM";
    }
}
