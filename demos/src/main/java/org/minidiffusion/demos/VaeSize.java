package org.minidiffusion.demos;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.vae.AutoencoderKLConfig;

/**
 * The autoencoder sizes that {@code train-vae} offers, by name ({@code --size small}).
 *
 * <p>Every size has three levels, so a 32x32 image becomes a 4x8x8 latent (downsampling factor 4,
 * the latent of the small MMDiT), with one residual block per encoder level (two per decoder
 * level), self-attention in the two mid blocks, greyscale in and out, and 8 GroupNorm groups
 * (4 for {@code micro}).
 */
enum VaeSize {
    /** block_out_channels (8, 8, 16), 4 groups: 48k parameters; for tests and smoke runs. */
    MICRO(new int[] {8, 8, 16}, 4),
    /** block_out_channels (16, 32, 32): 242k parameters, 0.97 MB of float32. */
    TINY(new int[] {16, 32, 32}, 8),
    /** block_out_channels (16, 32, 64): 681k parameters, 2.7 MB of float32. */
    SMALL(new int[] {16, 32, 64}, 8),
    /** block_out_channels (32, 64, 64): 953k parameters, 3.8 MB of float32. */
    BASE(new int[] {32, 64, 64}, 8);

    /** Channels of the latent. */
    static final int LATENT_CHANNELS = 4;

    private final int[] blockOutChannels;
    private final int groups;

    VaeSize(int[] blockOutChannels, int groups) {
        this.blockOutChannels = blockOutChannels;
        this.groups = groups;
    }

    /**
     * Returns the size's name as the command line spells it.
     *
     * @return the lower-case name, such as {@code "small"}
     */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the names of all sizes.
     *
     * @return the lower-case names, smallest first
     */
    static Set<String> ids() {
        return Arrays.stream(values()).map(VaeSize::id).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /**
     * Returns the size with the given name.
     *
     * @param id the lower-case name
     * @return the size
     * @throws IllegalArgumentException if there is none
     */
    static VaeSize of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }

    /**
     * Returns the architecture of this size for greyscale images.
     *
     * @param imageSize the (padded) image side, divisible by 4
     * @return the config, with scaling factor 1 and no shift until training measures them
     */
    AutoencoderKLConfig config(int imageSize) {
        return AutoencoderKLConfig.of(1, blockOutChannels, 1, LATENT_CHANNELS, groups, imageSize);
    }
}
