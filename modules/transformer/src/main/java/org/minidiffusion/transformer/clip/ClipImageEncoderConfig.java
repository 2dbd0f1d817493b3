package org.minidiffusion.transformer.clip;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minidiffusion.nn.config.ConfigJson;

/**
 * The configuration of {@link ClipImageEncoder}, the small convolutional image tower trained
 * against CLIP's text encoder, with the keys of its {@code config.json}.
 *
 * @param inChannels    {@code in_channels}, 1 for grey images
 * @param imageSize     {@code image_size}, the height and width of the square input
 * @param channels      {@code block_out_channels}: the width after {@code conv_in}, then after each
 *                      stride-2 level; the last is the pooled feature size
 * @param normNumGroups {@code norm_num_groups}, the GroupNorm groups, dividing every width
 * @param normEps       {@code norm_eps}
 * @param projectionDim {@code projection_dim}, the size of the image embedding (equal to the text projection's)
 */
public record ClipImageEncoderConfig(int inChannels, int imageSize, int[] channels, int normNumGroups, float normEps,
        int projectionDim) {
    /** The {@code model_type} written to and expected in {@code config.json}. */
    public static final String MODEL_TYPE = "mini_clip_image_encoder";

    /** Validates the values. */
    public ClipImageEncoderConfig {
        positive("in_channels", inChannels);
        positive("image_size", imageSize);
        positive("norm_num_groups", normNumGroups);
        positive("projection_dim", projectionDim);
        if (channels == null || channels.length == 0) {
            throw new IllegalArgumentException("CLIP image encoder config: block_out_channels must not be empty");
        }
        channels = channels.clone();
        for (int i = 0; i < channels.length; i++) {
            positive("block_out_channels[" + i + "]", channels[i]);
            if (channels[i] % normNumGroups != 0) {
                throw new IllegalArgumentException("CLIP image encoder config: block_out_channels[" + i + "] = "
                        + channels[i] + " is not divisible by norm_num_groups " + normNumGroups);
            }
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("CLIP image encoder config: norm_eps must be positive, got " + normEps);
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("CLIP image encoder config: " + key + " must be positive, got " + value);
        }
    }

    /** Returns a copy of the widths. */
    @Override
    public int[] channels() {
        return channels.clone();
    }

    /** Returns the side of the last feature map: {@code image_size} halved (rounding up) once per level. */
    public int finalSize() {
        int s = imageSize;
        for (int i = 1; i < channels.length; i++) {
            s = (s + 1) / 2; // a 3x3 convolution with stride 2 and padding 1
        }
        return s;
    }

    /**
     * Returns the keys and values of {@code config.json}.
     *
     * @return an ordered map for {@link org.minidiffusion.io.Json#write}
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", MODEL_TYPE);
        m.put("in_channels", inChannels);
        m.put("image_size", imageSize);
        m.put("block_out_channels", Arrays.stream(channels).boxed().toList());
        m.put("norm_num_groups", normNumGroups);
        m.put("norm_eps", normEps);
        m.put("projection_dim", projectionDim);
        return m;
    }

    /**
     * Reads a {@code config.json} written by {@link #toJson}; every key is required and unknown keys are refused.
     *
     * @param file the file
     * @return the configuration
     * @throws IOException naming the file and the key, if it cannot be read or a value is invalid
     */
    public static ClipImageEncoderConfig fromJson(Path file) throws IOException {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Builds the configuration from parsed {@code config.json} keys.
     *
     * @param c the keys
     * @return the configuration
     * @throws IOException naming the source and the key, if a value is missing or invalid
     */
    static ClipImageEncoderConfig fromJson(ConfigJson c) throws IOException {
        String type = c.string("model_type", null);
        if (!MODEL_TYPE.equals(type)) {
            throw c.error("model_type", "is " + (type == null ? "missing" : "\"" + type + "\"") + "; expected \""
                    + MODEL_TYPE + "\"");
        }
        int[] channels = c.nonEmptyIntArray("block_out_channels", null);
        if (channels == null) {
            throw c.error("block_out_channels", "is missing");
        }
        int in = required(c, "in_channels");
        int size = required(c, "image_size");
        int groups = required(c, "norm_num_groups");
        int projection = required(c, "projection_dim");
        float eps = c.number("norm_eps", Float.NaN);
        if (Float.isNaN(eps)) {
            throw c.error("norm_eps", "is missing");
        }
        c.rejectUnreadKeys("the CLIP image encoder", Set.of());
        try {
            return new ClipImageEncoderConfig(in, size, channels, groups, eps, projection);
        } catch (IllegalArgumentException e) {
            throw c.error(null, e.getMessage());
        }
    }

    private static int required(ConfigJson c, String key) throws IOException {
        int v = c.integer(key, Integer.MIN_VALUE);
        if (v == Integer.MIN_VALUE) {
            throw c.error(key, "is missing");
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipImageEncoderConfig c && c.inChannels == inChannels && c.imageSize == imageSize
                && Arrays.equals(c.channels, channels) && c.normNumGroups == normNumGroups
                && Float.compare(c.normEps, normEps) == 0 && c.projectionDim == projectionDim;
    }

    @Override
    public int hashCode() {
        return List.of(inChannels, imageSize, Arrays.hashCode(channels), normNumGroups, normEps, projectionDim).hashCode();
    }

    @Override
    public String toString() {
        return "ClipImageEncoderConfig[in_channels=" + inChannels + ", image_size=" + imageSize + ", block_out_channels="
                + Arrays.toString(channels) + ", norm_num_groups=" + normNumGroups + ", norm_eps=" + normEps
                + ", projection_dim=" + projectionDim + "]";
    }
}
