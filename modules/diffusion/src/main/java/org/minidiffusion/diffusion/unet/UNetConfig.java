package org.minidiffusion.diffusion.unet;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;

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

    /** The largest image size (H = W) accepted. */
    public static final int MAX_IMAGE_SIZE = 4096;
    /** The most image channels in or out accepted. */
    public static final int MAX_IMAGE_CHANNELS = 1024;
    /** The most channels accepted at any level ({@code baseChannels * mult}). */
    public static final int MAX_CHANNELS = 8192;
    /** The most resolution levels accepted. */
    public static final int MAX_LEVELS = 8;
    /** The most residual blocks per level accepted. */
    public static final int MAX_BLOCKS_PER_LEVEL = 16;
    /** The most classes accepted. */
    public static final int MAX_CLASSES = 100_000;

    /**
     * Validates the sizes.
     *
     * @throws IllegalArgumentException naming the first field out of range, with its value
     */
    public UNetConfig {
        channelMults = channelMults.clone();
        attentionRes = Set.copyOf(attentionRes);
        String[] problem = problem(imageSize, inChannels, outChannels, baseChannels, channelMults, blocksPerLevel,
                attentionRes, groups, heads, numClasses, dropout);
        if (problem != null) {
            throw new IllegalArgumentException("UNetConfig: " + problem[0] + " = " + problem[1] + ": " + problem[2]);
        }
    }

    /** Returns the first invalid field as (metadata key, value, what is allowed), or null if all are valid. */
    private static String[] problem(int imageSize, int in, int out, int base, int[] mults, int blocks,
                                    Set<Integer> attn, int groups, int heads, int classes, float dropout) {
        if (imageSize < 1 || imageSize > MAX_IMAGE_SIZE) {
            return bad("image_size", imageSize, "must be in [1, " + MAX_IMAGE_SIZE + "]");
        }
        if (in < 1 || in > MAX_IMAGE_CHANNELS) {
            return bad("in_channels", in, "must be in [1, " + MAX_IMAGE_CHANNELS + "]");
        }
        if (out < 1 || out > MAX_IMAGE_CHANNELS) {
            return bad("out_channels", out, "must be in [1, " + MAX_IMAGE_CHANNELS + "]");
        }
        if (base < 1 || base > MAX_CHANNELS) {
            return bad("base_channels", base, "must be in [1, " + MAX_CHANNELS + "]");
        }
        if (mults.length < 1 || mults.length > MAX_LEVELS) {
            return bad("channel_mults", Arrays.toString(mults), "must have 1 to " + MAX_LEVELS + " levels");
        }
        if (blocks < 1 || blocks > MAX_BLOCKS_PER_LEVEL) {
            return bad("blocks_per_level", blocks, "must be in [1, " + MAX_BLOCKS_PER_LEVEL + "]");
        }
        for (int r : attn) {
            if (r < 1 || r > imageSize) {
                return bad("attention_resolutions", new TreeSet<>(attn), "each must be in [1, image_size = " + imageSize + "]");
            }
        }
        if (groups < 1 || base % groups != 0) {
            return bad("groups", groups, "must be at least 1 and divide base_channels = " + base);
        }
        if (heads < 1) {
            return bad("heads", heads, "must be at least 1");
        }
        if (classes < 0 || classes > MAX_CLASSES) {
            return bad("num_classes", classes, "must be in [0, " + MAX_CLASSES + "] (0 for an unconditional model)");
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            return bad("dropout", dropout, "must be a finite number in [0, 1)");
        }
        int size = imageSize;
        for (int i = 0; i < mults.length; i++) {
            if (mults[i] < 1 || (long) base * mults[i] > MAX_CHANNELS) {
                return bad("channel_mults", Arrays.toString(mults), "each must be at least 1, and base_channels * mult"
                        + " at most " + MAX_CHANNELS);
            }
            int ch = base * mults[i];
            if (ch % groups != 0) {
                return bad("groups", groups, "must divide the " + ch + " channels of level " + i);
            }
            if (ch % heads != 0) {
                return bad("heads", heads, "must divide the " + ch + " channels of level " + i);
            }
            if (i < mults.length - 1 && size % 2 != 0) {
                return bad("image_size", imageSize, "resolution " + size + " at level " + i
                        + " cannot be halved; use an image size divisible by 2^" + (mults.length - 1));
            }
            size /= 2;
        }
        return null;
    }

    private static String[] bad(String key, Object value, String allowed) {
        return new String[] {key, String.valueOf(value), allowed};
    }

    /**
     * Returns the number of weights of a {@link UNet} of this architecture, computed without
     * building it, so that a loader can compare it with the file before allocating anything.
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long t = timeEmbedDim();
        long p = linear(baseChannels, t) + linear(t, t) + conv(inChannels, baseChannels, 3);
        if (numClasses > 0) {
            p += (numClasses + 1L) * t;                                // class embedding
        }
        java.util.ArrayDeque<Long> skips = new java.util.ArrayDeque<>();
        skips.push((long) baseChannels);
        long ch = baseChannels;
        int res = imageSize;
        for (int i = 0; i < channelMults.length; i++) {
            long out = (long) baseChannels * channelMults[i];
            for (int j = 0; j < blocksPerLevel; j++) {
                p += resBlock(ch, out, t);
                ch = out;
                p += attentionRes.contains(res) ? attention(ch) : 0;
                skips.push(ch);
            }
            if (i < channelMults.length - 1) {
                p += conv(ch, ch, 3);
                skips.push(ch);
                res /= 2;
            }
        }
        p += 2 * resBlock(ch, ch, t) + attention(ch);                  // the middle
        for (int i = channelMults.length - 1; i >= 0; i--) {
            long out = (long) baseChannels * channelMults[i];
            for (int j = 0; j <= blocksPerLevel; j++) {
                p += resBlock(ch + skips.pop(), out, t);
                ch = out;
                p += attentionRes.contains(res) ? attention(ch) : 0;
            }
            if (i > 0) {
                p += conv(ch, ch, 3);
                res *= 2;
            }
        }
        return p + 2 * ch + conv(ch, outChannels, 3);                   // norm_out, conv_out
    }

    /**
     * Checks, before a model is allocated for stored weights, that the architecture is not far
     * larger than what is stored: a small file that declares a huge network is refused here,
     * not by an {@link OutOfMemoryError}. A smaller mismatch is left to the check of each
     * tensor's name and shape, which names the tensor.
     *
     * @param storedValues the number of weight values stored
     * @param source       where they were read, for messages (usually the file)
     * @param field        what they are, for messages, such as {@code "model.*"}
     * @throws InvalidFieldException if the architecture needs more than twice the values stored
     *                               (and more than a million)
     */
    public void checkStoredWeights(long storedValues, String source, String field) {
        long needed = parameterCount();
        if (needed > Math.max(2 * storedValues, 1L << 20)) {
            throw new InvalidFieldException(source, field, String.format(java.util.Locale.ROOT, "%,d values",
                    storedValues), String.format(java.util.Locale.ROOT,
                    "the architecture in the metadata has %,d weights", needed));
        }
    }

    private static long linear(long in, long out) {
        return in * out + out;
    }

    private static long conv(long in, long out, int kernel) {
        return out * in * kernel * kernel + out;
    }

    private static long resBlock(long in, long out, long t) {
        return 2 * in + conv(in, out, 3) + linear(t, out) + 2 * out + conv(out, out, 3) + (in == out ? 0 : conv(in, out, 1));
    }

    private static long attention(long ch) {
        return 2 * ch + 4 * linear(ch, ch);                             // norm; query, key, value, out
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
     * @throws InvalidFieldException naming a missing, malformed or out-of-range key
     */
    public static UNetConfig fromMetadata(Map<String, String> m) {
        return fromMetadata(m, "metadata");
    }

    /**
     * Reads a config written by {@link #toMetadata()}, checking every key against its range.
     *
     * @param m      the metadata
     * @param source where it comes from, for messages (usually the file)
     * @return the config
     * @throws InvalidFieldException naming the source and a missing, malformed or out-of-range key
     */
    public static UNetConfig fromMetadata(Map<String, String> m, String source) {
        MetadataReader r = new MetadataReader(m, source);
        int imageSize = r.intIn("image_size", 1, MAX_IMAGE_SIZE);
        int in = r.intIn("in_channels", 1, MAX_IMAGE_CHANNELS);
        int out = r.intIn("out_channels", 1, MAX_IMAGE_CHANNELS);
        int base = r.intIn("base_channels", 1, MAX_CHANNELS);
        int[] mults = r.intsIn("channel_mults", 1, MAX_LEVELS, 1, MAX_CHANNELS);
        int blocks = r.intIn("blocks_per_level", 1, MAX_BLOCKS_PER_LEVEL);
        Set<Integer> attn = new TreeSet<>();
        for (int res : r.intsIn("attention_resolutions", 0, MAX_IMAGE_SIZE, 1, imageSize)) {
            attn.add(res);
        }
        int groups = r.intIn("groups", 1, MAX_CHANNELS);
        int heads = r.intIn("heads", 1, MAX_CHANNELS);
        int classes = r.intIn("num_classes", 0, MAX_CLASSES);
        float dropout = r.floatIn("dropout", 0f, 1f, true);
        String[] problem = problem(imageSize, in, out, base, mults, blocks, attn, groups, heads, classes, dropout);
        if (problem != null) {
            throw r.invalid(problem[0], r.string(problem[0]), problem[2]);
        }
        return new UNetConfig(imageSize, in, out, base, mults, blocks, attn, groups, heads, classes, dropout);
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
