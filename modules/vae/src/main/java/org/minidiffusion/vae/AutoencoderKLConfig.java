package org.minidiffusion.vae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.minidiffusion.nn.config.ConfigFileException;
import org.minidiffusion.nn.config.ConfigJson;

/**
 * The architecture of an {@link AutoencoderKL}, with one component per key of diffusers'
 * {@code config.json} for {@code AutoencoderKL}; each component is that key in camel case
 * ({@code block_out_channels} is {@link #blockOutChannels()}), and a key missing from a file takes
 * diffusers' default.
 *
 * @param inChannels           {@code in_channels}: image channels in (default 3)
 * @param outChannels          {@code out_channels}: image channels out (default 3)
 * @param downBlockTypes       {@code down_block_types}: one {@code "DownEncoderBlock2D"} per level
 * @param upBlockTypes         {@code up_block_types}: one {@code "UpDecoderBlock2D"} per level
 * @param blockOutChannels     {@code block_out_channels}: the channels of each encoder level (default (64));
 *                             every level but the last halves the resolution
 * @param layersPerBlock       {@code layers_per_block}: residual blocks per encoder level; decoder levels have one more (default 1)
 * @param actFn                {@code act_fn}: the activation, {@code "silu"} (the only one supported)
 * @param latentChannels       {@code latent_channels}: channels of the latent (default 4)
 * @param normNumGroups        {@code norm_num_groups}: GroupNorm groups, dividing every level's channels (default 32)
 * @param sampleSize           {@code sample_size}: the image size the model was trained at (default 32); informative
 * @param scalingFactor        {@code scaling_factor}: multiplies the latent for the diffusion model (default 0.18215)
 * @param shiftFactor          {@code shift_factor}: subtracted from the latent before scaling ({@code null}, default, is 0)
 * @param useQuantConv         {@code use_quant_conv}: whether a 1x1 {@code quant_conv} follows the encoder (default true)
 * @param usePostQuantConv     {@code use_post_quant_conv}: whether a 1x1 {@code post_quant_conv} precedes the decoder (default true)
 * @param midBlockAddAttention {@code mid_block_add_attention}: whether the mid blocks have self-attention (default true)
 */
public record AutoencoderKLConfig(int inChannels, int outChannels, List<String> downBlockTypes,
                                  List<String> upBlockTypes, int[] blockOutChannels, int layersPerBlock,
                                  String actFn, int latentChannels, int normNumGroups, int sampleSize,
                                  float scalingFactor, float shiftFactor, boolean useQuantConv,
                                  boolean usePostQuantConv, boolean midBlockAddAttention) {
    /** The epsilon of every GroupNorm of the autoencoder, fixed in diffusers' code. */
    static final float NORM_EPS = 1e-6f;

    private static final String DOWN = "DownEncoderBlock2D";
    private static final String UP = "UpDecoderBlock2D";
    private static final String CLASS_NAME = "AutoencoderKL";

    /** Keys of diffusers' configs that do not change the computation here; they are read past. */
    private static final Set<String> IGNORED = Set.of("force_upcast", "latents_mean", "latents_std");

    /** Validates the sizes; an invalid value throws {@link IllegalArgumentException} naming its key. */
    public AutoencoderKLConfig {
        blockOutChannels = blockOutChannels.clone();
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        Objects.requireNonNull(actFn, "act_fn");
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("layers_per_block", layersPerBlock);
        positive("latent_channels", latentChannels);
        positive("norm_num_groups", normNumGroups);
        positive("sample_size", sampleSize);
        if (blockOutChannels.length == 0) {
            throw new IllegalArgumentException("AutoencoderKLConfig: block_out_channels is empty");
        }
        for (int i = 0; i < blockOutChannels.length; i++) {
            if (blockOutChannels[i] <= 0 || blockOutChannels[i] % normNumGroups != 0) {
                throw new IllegalArgumentException("AutoencoderKLConfig: block_out_channels[" + i + "] = "
                        + blockOutChannels[i] + " is not a positive multiple of norm_num_groups = " + normNumGroups);
            }
        }
        blockTypes("down_block_types", downBlockTypes, DOWN, blockOutChannels.length);
        blockTypes("up_block_types", upBlockTypes, UP, blockOutChannels.length);
        if (!actFn.equals("silu")) {
            throw new IllegalArgumentException("AutoencoderKLConfig: act_fn \"" + actFn
                    + "\" is not supported; AutoencoderKL checkpoints use \"silu\"");
        }
        if (!Float.isFinite(scalingFactor) || scalingFactor == 0f) {
            throw new IllegalArgumentException("AutoencoderKLConfig: scaling_factor must be finite and non-zero, got "
                    + scalingFactor);
        }
        if (!Float.isFinite(shiftFactor)) {
            throw new IllegalArgumentException("AutoencoderKLConfig: shift_factor must be finite, got " + shiftFactor);
        }
    }

    /**
     * Returns a configuration with diffusers' defaults but for the given sizes.
     *
     * @param blockOutChannels the channels of each level
     * @param layersPerBlock   residual blocks per encoder level
     * @param latentChannels   channels of the latent
     * @param normNumGroups    GroupNorm groups
     * @return the configuration, with 3 image channels, scaling factor 0.18215 and no shift
     */
    public static AutoencoderKLConfig of(int[] blockOutChannels, int layersPerBlock, int latentChannels,
                                         int normNumGroups) {
        return new AutoencoderKLConfig(3, 3, Collections.nCopies(blockOutChannels.length, DOWN),
                Collections.nCopies(blockOutChannels.length, UP), blockOutChannels, layersPerBlock, "silu",
                latentChannels, normNumGroups, 32, 0.18215f, 0f, true, true, true);
    }

    /**
     * Returns a configuration with diffusers' defaults but for the given image channels, sizes and
     * image size, such as a greyscale autoencoder for 32x32 images.
     *
     * @param channels         image channels in and out, 1 for greyscale
     * @param blockOutChannels the channels of each level
     * @param layersPerBlock   residual blocks per encoder level
     * @param latentChannels   channels of the latent
     * @param normNumGroups    GroupNorm groups
     * @param sampleSize       the image size trained at (informative)
     * @return the configuration, with scaling factor 1 and no shift until {@link #withLatentScaling} sets them
     */
    public static AutoencoderKLConfig of(int channels, int[] blockOutChannels, int layersPerBlock, int latentChannels,
                                         int normNumGroups, int sampleSize) {
        return new AutoencoderKLConfig(channels, channels, Collections.nCopies(blockOutChannels.length, DOWN),
                Collections.nCopies(blockOutChannels.length, UP), blockOutChannels, layersPerBlock, "silu",
                latentChannels, normNumGroups, sampleSize, 1f, 0f, true, true, true);
    }

    /**
     * Returns this configuration with another latent scaling, as measured on the training latents
     * after training (see {@link LatentStatistics}).
     *
     * @param scaling {@code scaling_factor}, finite and non-zero
     * @param shift   {@code shift_factor}, finite
     * @return the new configuration
     * @throws IllegalArgumentException if a factor is not finite or the scaling is zero
     */
    public AutoencoderKLConfig withLatentScaling(float scaling, float shift) {
        return new AutoencoderKLConfig(inChannels, outChannels, downBlockTypes, upBlockTypes, blockOutChannels,
                layersPerBlock, actFn, latentChannels, normNumGroups, sampleSize, scaling, shift, useQuantConv,
                usePostQuantConv, midBlockAddAttention);
    }

    /**
     * Returns this configuration as diffusers' {@code config.json} of an {@code AutoencoderKL}, with
     * {@code _class_name} and every key of this record; {@link #fromJson(String, Path)} reads it back
     * to an equal configuration (floats are written in their shortest exact form).
     *
     * @return the JSON text, ending with a newline
     */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"_class_name\": \"").append(CLASS_NAME).append("\",\n");
        b.append("  \"in_channels\": ").append(inChannels).append(",\n");
        b.append("  \"out_channels\": ").append(outChannels).append(",\n");
        b.append("  \"down_block_types\": ").append(strings(downBlockTypes)).append(",\n");
        b.append("  \"up_block_types\": ").append(strings(upBlockTypes)).append(",\n");
        b.append("  \"block_out_channels\": ").append(Arrays.toString(blockOutChannels)).append(",\n");
        b.append("  \"layers_per_block\": ").append(layersPerBlock).append(",\n");
        b.append("  \"act_fn\": \"").append(actFn).append("\",\n");
        b.append("  \"latent_channels\": ").append(latentChannels).append(",\n");
        b.append("  \"norm_num_groups\": ").append(normNumGroups).append(",\n");
        b.append("  \"sample_size\": ").append(sampleSize).append(",\n");
        b.append("  \"scaling_factor\": ").append(Float.toString(scalingFactor)).append(",\n");
        b.append("  \"shift_factor\": ").append(Float.toString(shiftFactor)).append(",\n");
        b.append("  \"use_quant_conv\": ").append(useQuantConv).append(",\n");
        b.append("  \"use_post_quant_conv\": ").append(usePostQuantConv).append(",\n");
        b.append("  \"mid_block_add_attention\": ").append(midBlockAddAttention).append("\n");
        return b.append("}\n").toString();
    }

    /** The block types are fixed identifiers (checked above), so they need no escaping. */
    private static String strings(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(values.get(i)).append('"');
        }
        return b.append(']').toString();
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("AutoencoderKLConfig: " + key + " must be positive, got " + value);
        }
    }

    private static void blockTypes(String key, List<String> types, String expected, int levels) {
        if (types.size() != levels) {
            throw new IllegalArgumentException("AutoencoderKLConfig: " + key + " has " + types.size()
                    + " entries but block_out_channels has " + levels);
        }
        for (int i = 0; i < types.size(); i++) {
            if (!expected.equals(types.get(i))) {
                throw new IllegalArgumentException("AutoencoderKLConfig: " + key + "[" + i + "] is \"" + types.get(i)
                        + "\"; only \"" + expected + "\" is supported");
            }
        }
    }

    @Override
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /**
     * Returns how much the encoder shrinks each side: {@code 2^(levels − 1)}.
     *
     * @return the factor f; images must have sides divisible by it
     */
    public int downsamplingFactor() {
        return 1 << (blockOutChannels.length - 1);
    }

    /**
     * Returns the number of parameters of an {@link AutoencoderKL} of this architecture, counted
     * without building it (a loader checks a file's claim against it before allocating).
     *
     * @return the number of float parameters, or {@link Long#MAX_VALUE} if it overflows a long
     */
    public long parameterCount() {
        try {
            int[] ch = blockOutChannels;
            int levels = ch.length;
            int top = ch[levels - 1];
            long n = conv(inChannels, ch[0], 3);                                        // encoder
            for (int i = 0; i < levels; i++) {
                for (int r = 0; r < layersPerBlock; r++) {
                    n = Math.addExact(n, resnet(r == 0 && i > 0 ? ch[i - 1] : ch[i], ch[i]));
                }
                n = Math.addExact(n, i < levels - 1 ? conv(ch[i], ch[i], 3) : 0);    // Downsample2D
            }
            n = Math.addExact(n, mid(top));
            n = Math.addExact(n, Math.addExact(2L * top, conv(top, 2 * (long) latentChannels, 3)));
            n = Math.addExact(n, Math.addExact(conv(latentChannels, top, 3), mid(top))); // decoder
            long previous = top;
            for (int i = 0; i < levels; i++) {
                int out = ch[levels - 1 - i];
                for (int r = 0; r < layersPerBlock + 1; r++) {
                    n = Math.addExact(n, resnet(r == 0 ? previous : out, out));
                }
                n = Math.addExact(n, i < levels - 1 ? conv(out, out, 3) : 0);         // Upsample2D
                previous = out;
            }
            n = Math.addExact(n, Math.addExact(2L * ch[0], conv(ch[0], outChannels, 3)));
            n = Math.addExact(n, useQuantConv ? conv(2L * latentChannels, 2L * latentChannels, 1) : 0);
            return Math.addExact(n, usePostQuantConv ? conv(latentChannels, latentChannels, 1) : 0);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** A k x k convolution with bias. */
    private static long conv(long in, long out, int k) {
        return Math.addExact(Math.multiplyExact(Math.multiplyExact(in, out), (long) k * k), out);
    }

    /** ResnetBlock2D: two norms, two 3x3 convolutions, a 1x1 shortcut when the width changes. */
    private static long resnet(long in, long out) {
        long n = Math.addExact(Math.addExact(2 * in, conv(in, out, 3)), Math.addExact(2 * out, conv(out, out, 3)));
        return Math.addExact(n, in == out ? 0 : conv(in, out, 1));
    }

    /** UNetMidBlock2D: two residual blocks and, if configured, attention (a norm and four c x c linears). */
    private long mid(long c) {
        long linear = Math.addExact(Math.multiplyExact(c, c), c);
        long attention = midBlockAddAttention ? Math.addExact(2 * c, Math.multiplyExact(4, linear)) : 0;
        return Math.addExact(Math.multiplyExact(2, resnet(c, c)), attention);
    }

    /**
     * Reads diffusers' {@code config.json} of an {@code AutoencoderKL}.
     *
     * <p>Keys starting with {@code _} ({@code _class_name}, {@code _diffusers_version}, ...) and
     * {@code force_upcast}, {@code latents_mean} and {@code latents_std} are read past; any other
     * key this record does not know is an error, so that a misspelt key cannot silently fall back
     * to a default. A {@code _class_name} other than {@code AutoencoderKL} is an error.
     *
     * @param file the {@code config.json}
     * @return the configuration
     * @throws ConfigFileException naming the file and the key, if the file is malformed or a value is invalid
     * @throws IOException         if the file cannot be read
     */
    public static AutoencoderKLConfig fromJson(Path file) throws IOException {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Parses the text of a {@code config.json}; see {@link #fromJson(Path)}.
     *
     * @param json   the JSON text
     * @param source where the text came from, named in errors
     * @return the configuration
     * @throws ConfigFileException naming the source and the key, if the text is malformed or a value is invalid
     */
    public static AutoencoderKLConfig fromJson(String json, Path source) throws ConfigFileException {
        return fromJson(ConfigJson.parse(json, source));
    }

    private static AutoencoderKLConfig fromJson(ConfigJson r) throws ConfigFileException {
        r.requireClassName(CLASS_NAME);
        int[] channels = r.nonEmptyIntArray("block_out_channels", new int[] {64});
        List<String> down = r.strings("down_block_types", Collections.nCopies(channels.length, DOWN));
        List<String> up = r.strings("up_block_types", Collections.nCopies(channels.length, UP));
        int in = r.integer("in_channels", 3);
        int out = r.integer("out_channels", 3);
        int layers = r.integer("layers_per_block", 1);
        String act = r.string("act_fn", "silu");
        int latent = r.integer("latent_channels", 4);
        int groups = r.integer("norm_num_groups", 32);
        int sample = r.integer("sample_size", 32);
        float scaling = r.number("scaling_factor", 0.18215f);
        float shift = r.isNull("shift_factor") ? 0f : r.number("shift_factor", 0f);
        boolean quant = r.bool("use_quant_conv", true);
        boolean postQuant = r.bool("use_post_quant_conv", true);
        boolean midAttention = r.bool("mid_block_add_attention", true);
        r.rejectUnreadKeys(CLASS_NAME, IGNORED);
        try {
            return new AutoencoderKLConfig(in, out, down, up, channels, layers, act, latent, groups, sample, scaling,
                    shift, quant, postQuant, midAttention);
        } catch (IllegalArgumentException e) {
            throw r.error(null, e.getMessage());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AutoencoderKLConfig c && inChannels == c.inChannels && outChannels == c.outChannels
                && downBlockTypes.equals(c.downBlockTypes) && upBlockTypes.equals(c.upBlockTypes)
                && Arrays.equals(blockOutChannels, c.blockOutChannels) && layersPerBlock == c.layersPerBlock
                && actFn.equals(c.actFn) && latentChannels == c.latentChannels && normNumGroups == c.normNumGroups
                && sampleSize == c.sampleSize && Float.compare(scalingFactor, c.scalingFactor) == 0
                && Float.compare(shiftFactor, c.shiftFactor) == 0 && useQuantConv == c.useQuantConv
                && usePostQuantConv == c.usePostQuantConv && midBlockAddAttention == c.midBlockAddAttention;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inChannels, outChannels, downBlockTypes, upBlockTypes, Arrays.hashCode(blockOutChannels),
                layersPerBlock, actFn, latentChannels, normNumGroups, sampleSize, scalingFactor, shiftFactor,
                useQuantConv, usePostQuantConv, midBlockAddAttention);
    }

    @Override
    public String toString() {
        return "AutoencoderKLConfig[in_channels=" + inChannels + ", out_channels=" + outChannels
                + ", block_out_channels=" + Arrays.toString(blockOutChannels) + ", layers_per_block=" + layersPerBlock
                + ", latent_channels=" + latentChannels + ", norm_num_groups=" + normNumGroups
                + ", sample_size=" + sampleSize + ", scaling_factor=" + scalingFactor + ", shift_factor=" + shiftFactor
                + ", use_quant_conv=" + useQuantConv + ", use_post_quant_conv=" + usePostQuantConv
                + ", mid_block_add_attention=" + midBlockAddAttention + "]";
    }
}
