package org.minidiffusion.vae;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;

/**
 * The KL-regularised autoencoder of latent diffusion (Rombach et al. 2022, section 3 and appendix
 * G.1), with the architecture and parameter names of diffusers' {@code AutoencoderKL}.
 *
 * <p>{@link #encode} maps an {@code (N, in_channels, H, W)} image to the posterior
 * {@code q(z | x)} over latents of {@code (N, latent_channels, H / f, W / f)}, {@code f = 2^(levels − 1)};
 * {@link #decode} maps a latent back to an image of the same {@code H, W}. The diffusion model
 * works on {@link #scaleLatent scaled} latents, {@code (z − shift_factor) · scaling_factor}.
 *
 * <p>Parameters are named as in diffusers' state dict ({@code encoder.conv_in.weight},
 * {@code encoder.down_blocks.0.resnets.0.norm1.weight}, {@code encoder.mid_block.attentions.0.to_q.weight},
 * {@code decoder.up_blocks.0.upsamplers.0.conv.weight}, {@code quant_conv.weight}, ...), so the
 * tensors of a diffusers checkpoint load with {@link #loadStateDict} as they are:
 * <pre>{@code
 * AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.fromJson(dir.resolve("config.json")), new Rng(0));
 * vae.loadStateDict(Safetensors.read(dir.resolve("diffusion_pytorch_model.safetensors")).tensors());
 * }</pre>
 * Files saved by diffusers before version 0.14 name the mid-block attention {@code query}, {@code key},
 * {@code value} and {@code proj_attn}; {@link #renameLegacyAttentionKeys} maps them to today's names.
 */
public final class AutoencoderKL extends AbstractLayer {
    /** {@code <prefix>.attentions.<i>.<legacy name>.<weight or bias>}. */
    private static final Pattern LEGACY_ATTENTION =
            Pattern.compile("(.*\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)(\\.(?:weight|bias))");

    private final AutoencoderKLConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;     // (2 latent, 2 latent, 1, 1), or null
    private final Conv2d postQuantConv; // (latent, latent, 1, 1), or null

    /**
     * Creates the autoencoder with PyTorch's default initialisation; load trained weights with
     * {@link #loadStateDict}.
     *
     * @param config the architecture
     * @param rng    the generator for the initial weights
     */
    public AutoencoderKL(AutoencoderKLConfig config, Rng rng) {
        this.config = config;
        int latent = config.latentChannels();
        this.encoder = child("encoder", new Encoder(config, rng));
        this.decoder = child("decoder", new Decoder(config, rng));
        this.quantConv = config.useQuantConv()
                ? child("quant_conv", new Conv2d(2 * latent, 2 * latent, 1, 1, 0, rng)) : null;
        this.postQuantConv = config.usePostQuantConv()
                ? child("post_quant_conv", new Conv2d(latent, latent, 1, 1, 0, rng)) : null;
    }

    /**
     * Returns the state dict with the attention names of older diffusers files ({@code query},
     * {@code key}, {@code value}, {@code proj_attn}) renamed to today's ({@code to_q}, {@code to_k},
     * {@code to_v}, {@code to_out.0}), as diffusers does when it loads such a file; other keys and
     * every tensor are kept as they are.
     *
     * @param state tensors by name, as read from a checkpoint
     * @return a new map in the same order
     */
    public static Map<String, Tensor> renameLegacyAttentionKeys(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((key, value) -> {
            Matcher m = LEGACY_ATTENTION.matcher(key);
            String name = key;
            if (m.matches()) {
                String modern = switch (m.group(2)) {
                    case "query" -> "to_q";
                    case "key" -> "to_k";
                    case "value" -> "to_v";
                    default -> "to_out.0";
                };
                name = m.group(1) + modern + m.group(3);
            }
            if (out.put(name, value) != null) {
                throw new IllegalArgumentException("renameLegacyAttentionKeys: '" + key + "' and another key both map to '"
                        + name + "'");
            }
        });
        return out;
    }

    /**
     * Returns the architecture.
     *
     * @return the configuration
     */
    public AutoencoderKLConfig config() {
        return config;
    }

    /**
     * Encodes images to the posterior over latents: {@code E(x)}, then {@code quant_conv}.
     *
     * @param x images {@code (N, in_channels, H, W)}, H and W divisible by {@link AutoencoderKLConfig#downsamplingFactor()}
     * @return the posterior, whose mean is {@code (N, latent_channels, H / f, W / f)}
     */
    public DiagonalGaussianDistribution encode(Tensor x) {
        int f = config.downsamplingFactor();
        if (x.rank() != 4 || x.size(1) != config.inChannels() || x.size(2) % f != 0 || x.size(3) % f != 0) {
            throw new ShapeException("AutoencoderKL.encode", "expects (N, " + config.inChannels()
                    + ", H, W) with H and W divisible by " + f + " (one halving per level but the last)", x.shape());
        }
        Tensor moments = encoder.forward(x); // (N, 2 latent, H / f, W / f)
        if (quantConv != null) {
            moments = quantConv.forward(moments);
        }
        return new DiagonalGaussianDistribution(moments);
    }

    /**
     * Decodes latents to images: {@code post_quant_conv}, then {@code D(z)}.
     *
     * @param z latents {@code (N, latent_channels, h, w)}, unscaled (see {@link #unscaleLatent})
     * @return images {@code (N, out_channels, h f, w f)}
     */
    public Tensor decode(Tensor z) {
        if (z.rank() != 4 || z.size(1) != config.latentChannels()) {
            throw new ShapeException("AutoencoderKL.decode", "expects latents (N, " + config.latentChannels()
                    + ", h, w)", z.shape());
        }
        Tensor h = postQuantConv == null ? z : postQuantConv.forward(z);
        return decoder.forward(h);
    }

    /**
     * Reconstructs images through the posterior's mode, as diffusers' {@code forward} with
     * {@code sample_posterior=False}: {@code decode(encode(x).mode())}.
     *
     * @param x images {@code (N, in_channels, H, W)}
     * @return reconstructions {@code (N, out_channels, H, W)}
     */
    @Override
    public Tensor forward(Tensor x) {
        return decode(encode(x).mode());
    }

    /**
     * Returns the latent the diffusion model works on, {@code (z − shift_factor) · scaling_factor},
     * as diffusers' pipelines do after encoding (Rombach et al. 2022, appendix G: unit variance).
     *
     * @param z a latent from {@link DiagonalGaussianDistribution#sample} or {@code mode()}
     * @return the scaled latent
     */
    public Tensor scaleLatent(Tensor z) {
        return z.sub(config.shiftFactor()).mul(config.scalingFactor());
    }

    /**
     * Inverts {@link #scaleLatent}: {@code z / scaling_factor + shift_factor}, before {@link #decode}.
     *
     * @param scaled a latent from the diffusion model
     * @return the latent for the decoder
     */
    public Tensor unscaleLatent(Tensor scaled) {
        return scaled.div(config.scalingFactor()).add(config.shiftFactor());
    }
}
