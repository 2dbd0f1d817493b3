package org.minidiffusion.demos;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.diffusion.unet.UNetConfig;

/**
 * The U-Net sizes the {@code train} command offers, by name ({@code --model tiny}).
 *
 * <p>Every size has three resolution levels, so a 28-pixel image goes 28 → 14 → 7, with
 * self-attention at the lowest resolution (a quarter of the image size) and in the middle block.
 */
enum ModelSize {
    /** Base width 8, multipliers (1, 2, 2), one block per level, 4 groups, 2 heads: 71k parameters; for tests and smoke runs. */
    MICRO(8, new int[] {1, 2, 2}, 1, 4, 2),
    /** Base width 16, multipliers (1, 2, 2), one block per level, 8 groups, 4 heads: 281k parameters. */
    TINY(16, new int[] {1, 2, 2}, 1, 8, 4),
    /** Base width 32, multipliers (1, 2, 2), two blocks per level, 8 groups, 4 heads: 1.6M parameters. */
    SMALL(32, new int[] {1, 2, 2}, 2, 8, 4);

    private final int baseChannels;
    private final int[] channelMults;
    private final int blocksPerLevel;
    private final int groups;
    private final int heads;

    ModelSize(int baseChannels, int[] channelMults, int blocksPerLevel, int groups, int heads) {
        this.baseChannels = baseChannels;
        this.channelMults = channelMults;
        this.blocksPerLevel = blocksPerLevel;
        this.groups = groups;
        this.heads = heads;
    }

    /**
     * Returns the size's name as the command line spells it.
     *
     * @return the lower-case name, such as {@code "tiny"}
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
        return Arrays.stream(values()).map(ModelSize::id).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    /**
     * Returns the size with the given name.
     *
     * @param id the lower-case name
     * @return the size
     * @throws IllegalArgumentException if there is none
     */
    static ModelSize of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }

    /**
     * Returns the architecture of this size for square images.
     *
     * @param imageSize  the image height and width, divisible by 4
     * @param channels   the image channels, 1 for greyscale
     * @param numClasses the number of classes, for class conditioning with a null class for guidance
     * @return the config, without dropout
     * @throws IllegalArgumentException if the image size cannot be halved twice
     */
    UNetConfig config(int imageSize, int channels, int numClasses) {
        return new UNetConfig(imageSize, channels, channels, baseChannels, channelMults, blocksPerLevel,
                Set.of(imageSize / 4), groups, heads, numClasses, 0f);
    }
}
