package org.minidiffusion.diffusion.unet;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The architecture of a {@link UNet}.
 *
 * @param imageSize        H = W of the inputs
 * @param inChannels       image channels in
 * @param outChannels      channels predicted
 * @param baseChannels     channels of the first level
 * @param channelMults     the multiplier of {@code baseChannels} at each level, such as (1, 2, 4)
 * @param blocksPerLevel   residual blocks per level on the way down (the way up has one more)
 * @param attentionRes     the resolutions (H) at which blocks are followed by self-attention
 * @param groups           GroupNorm groups, dividing every channel count
 * @param heads            attention heads
 * @param numClasses       classes for conditioning, 0 for an unconditional model; class
 *                         {@code numClasses} is the null class used for classifier-free guidance
 * @param dropout          dropout probability inside residual blocks
 */
public record UNetConfig(int imageSize, int inChannels, int outChannels, int baseChannels, int[] channelMults,
                         int blocksPerLevel, Set<Integer> attentionRes, int groups, int heads, int numClasses,
                         float dropout) {

    /** Validates the sizes. */
    public UNetConfig {
        channelMults = channelMults.clone();
        attentionRes = Set.copyOf(attentionRes);
        if (imageSize <= 0 || inChannels <= 0 || outChannels <= 0 || baseChannels <= 0 || blocksPerLevel <= 0
                || channelMults.length == 0 || heads <= 0 || numClasses < 0 || dropout < 0f || dropout >= 1f) {
            throw new IllegalArgumentException("UNetConfig: invalid sizes in " + describe(imageSize, inChannels,
                    outChannels, baseChannels, channelMults, blocksPerLevel, attentionRes, groups, heads, numClasses));
        }
        int size = imageSize;
        for (int i = 0; i < channelMults.length; i++) {
            int ch = baseChannels * channelMults[i];
            if (ch % groups != 0 || ch % heads != 0) {
                throw new IllegalArgumentException("UNetConfig: level " + i + " has " + ch
                        + " channels, not divisible by groups=" + groups + " and heads=" + heads);
            }
            if (i < channelMults.length - 1 && size % 2 != 0) {
                throw new IllegalArgumentException("UNetConfig: resolution " + size + " at level " + i
                        + " cannot be halved; use an image size divisible by 2^" + (channelMults.length - 1));
            }
            size /= 2;
        }
    }

    private static String describe(int imageSize, int in, int out, int base, int[] mults, int blocks,
                                   Set<Integer> attn, int groups, int heads, int classes) {
        return "imageSize=" + imageSize + " in=" + in + " out=" + out + " base=" + base + " mults="
                + Arrays.toString(mults) + " blocks=" + blocks + " attention=" + new TreeSet<>(attn)
                + " groups=" + groups + " heads=" + heads + " classes=" + classes;
    }

    @Override
    public int[] channelMults() {
        return channelMults.clone();
    }

    /**
     * Returns the width of the time embedding, {@code 4 * baseChannels} as in DDPM.
     *
     * @return the embedding width
     */
    public int timeEmbedDim() {
        return 4 * baseChannels;
    }

    /**
     * Returns the label that means "no class": training drops labels to it and classifier-free
     * guidance passes it for the unconditional prediction (Ho and Salimans 2022, Algorithm 1).
     *
     * @return {@code numClasses}, the extra row of the class embedding; or −1 for an
     *         unconditional model, which has no labels
     */
    public int nullClass() {
        return numClasses > 0 ? numClasses : -1;
    }

    /**
     * Returns the config as string pairs, for safetensors metadata.
     *
     * @return an ordered map
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("image_size", Integer.toString(imageSize));
        m.put("in_channels", Integer.toString(inChannels));
        m.put("out_channels", Integer.toString(outChannels));
        m.put("base_channels", Integer.toString(baseChannels));
        m.put("channel_mults", join(channelMults));
        m.put("blocks_per_level", Integer.toString(blocksPerLevel));
        m.put("attention_resolutions", join(attentionRes.stream().sorted().mapToInt(Integer::intValue).toArray()));
        m.put("groups", Integer.toString(groups));
        m.put("heads", Integer.toString(heads));
        m.put("num_classes", Integer.toString(numClasses));
        m.put("dropout", Float.toString(dropout));
        return m;
    }

    /**
     * Reads a config written by {@link #toMetadata()}.
     *
     * @param m the metadata
     * @return the config
     * @throws IllegalArgumentException naming a missing or malformed key
     */
    public static UNetConfig fromMetadata(Map<String, String> m) {
        Set<Integer> attn = new TreeSet<>();
        for (int r : ints(m, "attention_resolutions")) {
            attn.add(r);
        }
        return new UNetConfig(num(m, "image_size"), num(m, "in_channels"), num(m, "out_channels"),
                num(m, "base_channels"), ints(m, "channel_mults"), num(m, "blocks_per_level"), attn,
                num(m, "groups"), num(m, "heads"), num(m, "num_classes"), Float.parseFloat(get(m, "dropout")));
    }

    private static String get(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("UNetConfig: metadata lacks the key '" + key + "'");
        }
        return v;
    }

    private static int num(Map<String, String> m, String key) {
        try {
            return Integer.parseInt(get(m, key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("UNetConfig: metadata key '" + key + "' is not an integer: " + m.get(key));
        }
    }

    private static int[] ints(Map<String, String> m, String key) {
        String v = get(m, key).trim();
        if (v.isEmpty()) {
            return new int[0];
        }
        try {
            return Arrays.stream(v.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("UNetConfig: metadata key '" + key + "' is not a list of integers: " + v);
        }
    }

    private static String join(int[] v) {
        return String.join(",", Arrays.stream(v).mapToObj(Integer::toString).toArray(String[]::new));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig && toMetadata().equals(((UNetConfig) o).toMetadata());
    }

    @Override
    public int hashCode() {
        return toMetadata().hashCode();
    }

    @Override
    public String toString() {
        return "UNetConfig" + toMetadata();
    }
}
