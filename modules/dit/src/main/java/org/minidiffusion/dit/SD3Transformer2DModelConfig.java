package org.minidiffusion.dit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.minidiffusion.nn.config.ConfigFileException;
import org.minidiffusion.nn.config.ConfigJson;

/**
 * The architecture of an {@link SD3Transformer2DModel}, with the keys of diffusers' {@code config.json}
 * for {@code SD3Transformer2DModel}.
 *
 * @param sampleSize           {@code sample_size}: the latent side the position coordinates are scaled to
 * @param patchSize            {@code patch_size}
 * @param inChannels           {@code in_channels}
 * @param numLayers            {@code num_layers}: joint blocks; the last one is {@code context_pre_only}
 * @param attentionHeadDim     {@code attention_head_dim}
 * @param numAttentionHeads    {@code num_attention_heads}
 * @param jointAttentionDim    {@code joint_attention_dim}: the size of the text tokens
 * @param captionProjectionDim {@code caption_projection_dim}: the size of the embedded text tokens, equal to heads × head dim
 * @param pooledProjectionDim  {@code pooled_projection_dim}: the size of the pooled text embedding
 * @param outChannels          {@code out_channels} ({@code null} in the file means {@code in_channels})
 * @param posEmbedMaxSize      {@code pos_embed_max_size}: the side of the position table in patches, or 0 for
 *                             {@code null} (a table of exactly {@code sample_size / patch_size}, not a parameter)
 * @param qkNorm               {@code qk_norm}: {@code null} or {@code "rms_norm"}
 */
public record SD3Transformer2DModelConfig(int sampleSize, int patchSize, int inChannels, int numLayers,
                                          int attentionHeadDim, int numAttentionHeads, int jointAttentionDim,
                                          int captionProjectionDim, int pooledProjectionDim, int outChannels,
                                          int posEmbedMaxSize, String qkNorm) {
    private static final String CLASS_NAME = "SD3Transformer2DModel";

    /** Validates the values, naming the key that is wrong. */
    public SD3Transformer2DModelConfig {
        positive("sample_size", sampleSize);
        positive("patch_size", patchSize);
        positive("in_channels", inChannels);
        positive("num_layers", numLayers);
        positive("attention_head_dim", attentionHeadDim);
        positive("num_attention_heads", numAttentionHeads);
        positive("joint_attention_dim", jointAttentionDim);
        positive("caption_projection_dim", captionProjectionDim);
        positive("pooled_projection_dim", pooledProjectionDim);
        positive("out_channels", outChannels);
        if (posEmbedMaxSize < 0) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: pos_embed_max_size must be positive or null, got "
                    + posEmbedMaxSize);
        }
        if (sampleSize % patchSize != 0) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: sample_size " + sampleSize
                    + " is not a multiple of patch_size " + patchSize);
        }
        if (posEmbedMaxSize > 0 && posEmbedMaxSize < sampleSize / patchSize) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: pos_embed_max_size " + posEmbedMaxSize
                    + " is smaller than sample_size / patch_size = " + sampleSize / patchSize);
        }
        int inner = numAttentionHeads * attentionHeadDim;
        if (captionProjectionDim != inner) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: caption_projection_dim " + captionProjectionDim
                    + " must equal num_attention_heads x attention_head_dim = " + inner + ", the width of the text stream");
        }
        if (inner % 4 != 0) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: num_attention_heads x attention_head_dim = " + inner
                    + " must be divisible by 4 for the 2-D sine-cosine position table");
        }
        if (qkNorm != null && !qkNorm.equals("rms_norm")) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: qk_norm \"" + qkNorm
                    + "\" is not supported; use null or \"rms_norm\" (SD3.5)");
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("SD3Transformer2DModelConfig: " + key + " must be positive, got " + value);
        }
    }

    /**
     * Returns the model width, {@code num_attention_heads · attention_head_dim}.
     *
     * @return D
     */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /**
     * Returns whether queries and keys are RMS-normalised.
     *
     * @return true for {@code qk_norm = "rms_norm"}
     */
    public boolean rmsQkNorm() {
        return qkNorm != null;
    }

    /**
     * Returns this configuration as diffusers' {@code config.json} of an {@code SD3Transformer2DModel},
     * with {@code _class_name} and every key {@link #fromJson(String, Path)} reads, which reads it back
     * to an equal configuration.
     *
     * @return the JSON text, ending with a newline
     */
    public String toJson() {
        return "{\n"
                + "  \"_class_name\": \"" + CLASS_NAME + "\",\n"
                + "  \"sample_size\": " + sampleSize + ",\n"
                + "  \"patch_size\": " + patchSize + ",\n"
                + "  \"in_channels\": " + inChannels + ",\n"
                + "  \"num_layers\": " + numLayers + ",\n"
                + "  \"attention_head_dim\": " + attentionHeadDim + ",\n"
                + "  \"num_attention_heads\": " + numAttentionHeads + ",\n"
                + "  \"joint_attention_dim\": " + jointAttentionDim + ",\n"
                + "  \"caption_projection_dim\": " + captionProjectionDim + ",\n"
                + "  \"pooled_projection_dim\": " + pooledProjectionDim + ",\n"
                + "  \"out_channels\": " + outChannels + ",\n"
                + "  \"pos_embed_max_size\": " + (posEmbedMaxSize == 0 ? "null" : Integer.toString(posEmbedMaxSize)) + ",\n"
                + "  \"qk_norm\": " + (qkNorm == null ? "null" : "\"" + qkNorm + "\"") + ",\n"
                + "  \"dual_attention_layers\": []\n"
                + "}\n";
    }

    /**
     * Reads diffusers' {@code config.json} of an {@code SD3Transformer2DModel}; keys left out take
     * diffusers' defaults, unknown keys are errors.
     *
     * @param file the file
     * @return the config
     * @throws ConfigFileException naming the file and the key, for malformed JSON or a value the model cannot be built from
     * @throws IOException         if the file cannot be read
     */
    public static SD3Transformer2DModelConfig fromJson(Path file) throws IOException {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Parses the text of a {@code config.json}.
     *
     * @param json   the text
     * @param source where it came from, for messages
     * @return the config
     * @throws ConfigFileException naming the source and the key
     */
    public static SD3Transformer2DModelConfig fromJson(String json, Path source) throws ConfigFileException {
        return fromJson(ConfigJson.parse(json, source));
    }

    private static SD3Transformer2DModelConfig fromJson(ConfigJson c) throws ConfigFileException {
        c.requireClassName(CLASS_NAME);
        int sample = c.integer("sample_size", 128);
        int patch = c.integer("patch_size", 2);
        int in = c.integer("in_channels", 16);
        int layers = c.integer("num_layers", 18);
        int headDim = c.integer("attention_head_dim", 64);
        int heads = c.integer("num_attention_heads", 18);
        int joint = c.integer("joint_attention_dim", 4096);
        int caption = c.integer("caption_projection_dim", 1152);
        int pooled = c.integer("pooled_projection_dim", 2048);
        int out = c.isNull("out_channels") ? in : c.integer("out_channels", 16);
        int maxSize = c.isNull("pos_embed_max_size") ? 0 : c.integer("pos_embed_max_size", 96);
        String qk = c.isNull("qk_norm") ? null : c.string("qk_norm", null);
        int[] dual = c.isNull("dual_attention_layers") ? new int[0] : c.intArray("dual_attention_layers", new int[0]);
        if (dual.length > 0) {
            throw c.error("dual_attention_layers", "is an array; the dual-attention blocks " + Arrays.toString(dual)
                    + " of SD3.5 Medium (MMDiT-X) are not supported, only an empty list");
        }
        c.rejectUnreadKeys(CLASS_NAME, Set.of());
        try {
            return new SD3Transformer2DModelConfig(sample, patch, in, layers, headDim, heads, joint, caption, pooled,
                    out, maxSize, qk);
        } catch (IllegalArgumentException e) {
            throw c.error(null, e.getMessage());
        }
    }
}
