package org.minidiffusion.dit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
     * Reads diffusers' {@code config.json} of an {@code SD3Transformer2DModel}; keys left out take
     * diffusers' defaults, unknown keys are errors.
     *
     * @param file the file
     * @return the config
     * @throws ConfigFileException naming the file and the key, for malformed JSON or a value the model cannot be built from
     * @throws IOException         if the file cannot be read
     */
    public static SD3Transformer2DModelConfig fromJson(Path file) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigFileException(file, null, "is not valid UTF-8");
        }
        return fromJson(text, file);
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
        Object root;
        try {
            root = ConfigJson.parse(json);
        } catch (ConfigJson.MalformedException e) {
            throw new ConfigFileException(source, null, e.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new ConfigFileException(source, null, "expected a JSON object, got " + describe(root));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) root;
        Object className = map.get("_class_name");
        if (className != null && !CLASS_NAME.equals(className)) {
            throw new ConfigFileException(source, "_class_name", "is " + describe(className)
                    + ", not \"" + CLASS_NAME + "\"; this is the config of another model");
        }
        Set<String> read = new HashSet<>();
        int sample = integer(source, map, read, "sample_size", 128, false);
        int patch = integer(source, map, read, "patch_size", 2, false);
        int in = integer(source, map, read, "in_channels", 16, false);
        int layers = integer(source, map, read, "num_layers", 18, false);
        int headDim = integer(source, map, read, "attention_head_dim", 64, false);
        int heads = integer(source, map, read, "num_attention_heads", 18, false);
        int joint = integer(source, map, read, "joint_attention_dim", 4096, false);
        int caption = integer(source, map, read, "caption_projection_dim", 1152, false);
        int pooled = integer(source, map, read, "pooled_projection_dim", 2048, false);
        int out = integer(source, map, read, "out_channels", 16, true);
        int maxSize = integer(source, map, read, "pos_embed_max_size", 96, true);
        read.add("qk_norm");
        Object qk = map.get("qk_norm");
        if (qk != null && !(qk instanceof String)) {
            throw new ConfigFileException(source, "qk_norm", "expected null or a string, got " + describe(qk));
        }
        read.add("dual_attention_layers");
        Object dual = map.get("dual_attention_layers");
        if (dual != null && !(dual instanceof List<?> list && list.isEmpty())) {
            throw new ConfigFileException(source, "dual_attention_layers", "is " + describe(dual)
                    + "; the dual-attention blocks of SD3.5 Medium (MMDiT-X) are not supported, only an empty list");
        }
        for (String key : map.keySet()) {
            if (!key.startsWith("_") && !read.contains(key)) {
                throw new ConfigFileException(source, key, "is not a key of SD3Transformer2DModel's config");
            }
        }
        try {
            return new SD3Transformer2DModelConfig(sample, patch, in, layers, headDim, heads, joint, caption, pooled,
                    out == -1 ? in : out, maxSize == -1 ? 0 : maxSize, (String) qk);
        } catch (IllegalArgumentException e) {
            throw new ConfigFileException(source, null, e.getMessage());
        }
    }

    /** Reads an integer key; a JSON null gives -1 when nullable. */
    private static int integer(Path source, Map<String, Object> map, Set<String> read, String key, int fallback,
                               boolean nullable) throws ConfigFileException {
        read.add(key);
        if (!map.containsKey(key)) {
            return fallback;
        }
        Object v = map.get(key);
        if (v == null && nullable) {
            return -1;
        }
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw new ConfigFileException(source, key, "expected an integer" + (nullable ? " or null" : "") + ", got "
                + describe(v));
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        return v.toString();
    }
}
