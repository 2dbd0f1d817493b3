package org.minidiffusion.transformer.clip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Json;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * A small convolutional image tower for contrastive training against {@link ClipTextModel}, in
 * place of CLIP's ResNet or ViT (Radford et al. 2021, section 2.4): a 3x3 {@code conv_in}, then
 * one level per further width of pre-activation {@code GroupNorm -> SiLU -> 3x3 conv with stride 2},
 * a last {@code GroupNorm -> SiLU}, global average pooling, and a linear projection without bias
 * into the joint embedding space (the role of CLIP's {@code visual_projection}).
 *
 * <p>Parameter names: {@code conv_in.*}, {@code down.<i>.norm.*}, {@code down.<i>.conv.*},
 * {@code norm_out.*}, {@code visual_projection.weight}.
 */
public final class ClipImageEncoder extends AbstractLayer {
    private final ClipImageEncoderConfig config;
    private final Conv2d convIn;
    private final LayerList<Level> down;
    private final GroupNorm normOut;
    private final Linear projection;

    /**
     * Creates the encoder with PyTorch's default initialisation of convolutions and linear maps.
     *
     * @param config the configuration
     * @param rng    the generator for the initial weights
     */
    public ClipImageEncoder(ClipImageEncoderConfig config, Rng rng) {
        this.config = Objects.requireNonNull(config, "config");
        int[] c = config.channels();
        this.convIn = child("conv_in", new Conv2d(config.inChannels(), c[0], 3, 1, 1, rng));
        this.down = child("down", new LayerList<>());
        for (int i = 1; i < c.length; i++) {
            down.add(new Level(c[i - 1], c[i], config, rng));
        }
        this.normOut = child("norm_out", new GroupNorm(config.normNumGroups(), c[c.length - 1], config.normEps()));
        this.projection = child("visual_projection", new Linear(c[c.length - 1], config.projectionDim(), false, rng));
    }

    /** Returns the configuration. */
    public ClipImageEncoderConfig config() {
        return config;
    }

    /**
     * Encodes images into the joint space (not normalised).
     *
     * @param images {@code (B, in_channels, image_size, image_size)}, in {@code [-1, 1]}
     * @return {@code (B, projection_dim)}
     */
    @Override
    public Tensor forward(Tensor images) {
        return projection.forward(features(images));
    }

    /**
     * Returns the pooled features before the projection.
     *
     * @param images {@code (B, in_channels, image_size, image_size)}
     * @return {@code (B, C)}, C the last width
     */
    public Tensor features(Tensor images) {
        if (images.rank() != 4 || images.size(1) != config.inChannels() || images.size(2) != config.imageSize()
                || images.size(3) != config.imageSize()) {
            throw new ShapeException("ClipImageEncoder", "expects images (B, " + config.inChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + ")", images.shape());
        }
        Tensor h = convIn.forward(images);                        // (B, C0, S, S)
        for (Level level : down) {
            h = level.forward(h);                                 // (B, Ci, S/2^i, S/2^i)
        }
        h = normOut.forward(h).silu();
        return h.mean(new int[] {2, 3}, false);                   // global average pool: (B, C)
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} into a directory, each atomically.
     *
     * @param dir the directory, created if missing
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Safetensors.write(dir.resolve("model.safetensors"), stateDict());
        Json.writeFile(dir.resolve("config.json"), config.toJson());
    }

    /**
     * Loads an encoder written by {@link #save}.
     *
     * @param configJson  its {@code config.json}
     * @param safetensors its {@code model.safetensors}
     * @return the encoder
     * @throws IOException naming the file and key, if either file cannot be read or does not fit
     */
    public static ClipImageEncoder load(Path configJson, Path safetensors) throws IOException {
        ClipImageEncoder encoder = new ClipImageEncoder(ClipImageEncoderConfig.fromJson(configJson), new Rng(0));
        SafetensorsFile file = Safetensors.read(safetensors);
        try {
            encoder.loadStateDict(file.tensors());
        } catch (IllegalArgumentException e) {
            throw new IOException(safetensors + ": " + e.getMessage(), e);
        }
        return encoder;
    }

    /** One downsampling level: {@code conv(silu(norm(x)))}, the conv with stride 2. */
    static final class Level extends AbstractLayer {
        private final GroupNorm norm;
        private final Conv2d conv;

        Level(int in, int out, ClipImageEncoderConfig config, Rng rng) {
            this.norm = child("norm", new GroupNorm(config.normNumGroups(), in, config.normEps()));
            this.conv = child("conv", new Conv2d(in, out, 3, 2, 1, rng));
        }

        @Override
        public Tensor forward(Tensor x) { // (B, in, S, S) -> (B, out, ceil(S/2), ceil(S/2))
            return conv.forward(norm.forward(x).silu());
        }
    }
}
