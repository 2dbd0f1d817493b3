package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.testkit.GoldenCheck;

/** The architecture: shapes through encode and decode, diffusers' parameter names, latent scaling. */
class AutoencoderKLTests {

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new int[] {8}, 1, 4, 4, 5, 7),           // one level: no resampling at all
                Arguments.of(new int[] {8, 16}, 1, 4, 4, 8, 8),
                Arguments.of(new int[] {8, 8, 16}, 2, 3, 4, 16, 24),  // non-square
                Arguments.of(new int[] {4, 8, 8, 8}, 1, 2, 2, 32, 16)); // SD's four levels, f = 8
    }

    /** The decoder upsamples exactly as often as the encoder downsamples, so decode(encode(x)) has x's shape. */
    @ParameterizedTest(name = "block_out_channels {0}, layers {1}, latent {2}, {4}x{5}")
    @MethodSource("shapes")
    void decodeOfEncodeHasTheInputShape(int[] channels, int layers, int latent, int groups, int h, int w) {
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.of(channels, layers, latent, groups), new Rng(1));
        Tensor x = Tensor.randn(new Rng(2), 2, 3, h, w);
        DiagonalGaussianDistribution posterior = vae.encode(x);
        int f = 1 << (channels.length - 1);
        assertEquals(f, vae.config().downsamplingFactor());
        assertArrayEquals(new int[] {2, latent, h / f, w / f}, posterior.mean().shape().toArray());
        assertArrayEquals(new int[] {2, latent, h / f, w / f}, posterior.logvar().shape().toArray());
        Tensor decoded = vae.decode(posterior.sample(new Rng(3)));
        assertArrayEquals(new int[] {2, 3, h, w}, decoded.shape().toArray());
        assertArrayEquals(new int[] {2, 3, h, w}, vae.forward(x).shape().toArray());
    }

    @Test
    void sidesNotDivisibleByTheDownsamplingFactorAreRefused() {
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.of(new int[] {4, 4, 4}, 1, 4, 2), new Rng(1));
        ShapeException e = assertThrows(ShapeException.class, () -> vae.encode(Tensor.zeros(1, 3, 8, 6)));
        assertTrue(e.getMessage().contains("divisible by 4") && e.getMessage().contains("(1, 3, 8, 6)"), e.getMessage());
        ShapeException c = assertThrows(ShapeException.class, () -> vae.decode(Tensor.zeros(1, 3, 2, 2)));
        assertTrue(c.getMessage().contains("(N, 4, h, w)"), c.getMessage());
    }

    /**
     * Stable Diffusion's VAE layout (four levels, two resnets per level, channel changes at levels
     * 1 and 2) at small widths: diffusers' state dict of that model has 248 tensors with these names.
     */
    @Test
    void parameterNamesAreDiffusersStateDictKeys() {
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.of(new int[] {4, 8, 16, 16}, 2, 4, 4), new Rng(1));
        Map<String, Parameter> p = vae.parameters();
        assertEquals(248, p.size());
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("encoder.conv_in.weight", new int[] {4, 3, 3, 3});
        expected.put("encoder.down_blocks.0.resnets.0.norm1.weight", new int[] {4});
        expected.put("encoder.down_blocks.0.resnets.1.conv2.bias", new int[] {4});
        expected.put("encoder.down_blocks.0.downsamplers.0.conv.weight", new int[] {4, 4, 3, 3});
        expected.put("encoder.down_blocks.1.resnets.0.conv_shortcut.weight", new int[] {8, 4, 1, 1});
        expected.put("encoder.down_blocks.2.downsamplers.0.conv.bias", new int[] {16});
        expected.put("encoder.mid_block.attentions.0.group_norm.weight", new int[] {16});
        expected.put("encoder.mid_block.attentions.0.to_q.weight", new int[] {16, 16});
        expected.put("encoder.mid_block.attentions.0.to_k.bias", new int[] {16});
        expected.put("encoder.mid_block.attentions.0.to_v.weight", new int[] {16, 16});
        expected.put("encoder.mid_block.attentions.0.to_out.0.weight", new int[] {16, 16});
        expected.put("encoder.mid_block.resnets.1.norm2.bias", new int[] {16});
        expected.put("encoder.conv_norm_out.weight", new int[] {16});
        expected.put("encoder.conv_out.weight", new int[] {8, 16, 3, 3});
        expected.put("quant_conv.weight", new int[] {8, 8, 1, 1});
        expected.put("post_quant_conv.bias", new int[] {4});
        expected.put("decoder.conv_in.weight", new int[] {16, 4, 3, 3});
        expected.put("decoder.mid_block.attentions.0.to_out.0.bias", new int[] {16});
        expected.put("decoder.up_blocks.0.resnets.2.conv1.weight", new int[] {16, 16, 3, 3});
        expected.put("decoder.up_blocks.0.upsamplers.0.conv.weight", new int[] {16, 16, 3, 3});
        expected.put("decoder.up_blocks.2.resnets.0.conv_shortcut.weight", new int[] {8, 16, 1, 1});
        expected.put("decoder.up_blocks.3.resnets.0.conv_shortcut.bias", new int[] {4});
        expected.put("decoder.up_blocks.3.resnets.2.norm2.weight", new int[] {4});
        expected.put("decoder.conv_norm_out.bias", new int[] {4});
        expected.put("decoder.conv_out.weight", new int[] {3, 4, 3, 3});
        expected.forEach((name, shape) -> {
            assertTrue(p.containsKey(name), "missing " + name);
            assertArrayEquals(shape, p.get(name).shape().toArray(), name);
        });
        for (String absent : List.of("encoder.down_blocks.3.downsamplers.0.conv.weight",
                "decoder.up_blocks.3.upsamplers.0.conv.weight", "encoder.down_blocks.0.resnets.0.conv_shortcut.weight",
                "decoder.up_blocks.0.resnets.0.conv_shortcut.weight")) {
            assertFalse(p.containsKey(absent), absent + " exists only at other levels");
        }
    }

    /** SD3's VAE has no quant convs; without mid-block attention the attention keys go too. */
    @Test
    void optionalPartsAddAndRemoveTheirKeys() {
        AutoencoderKLConfig sd = AutoencoderKLConfig.of(new int[] {4, 8, 16, 16}, 2, 4, 4);
        AutoencoderKLConfig sd3 = new AutoencoderKLConfig(3, 3, Collections.nCopies(4, "DownEncoderBlock2D"),
                Collections.nCopies(4, "UpDecoderBlock2D"), new int[] {4, 8, 16, 16}, 2, "silu", 16, 4, 1024,
                1.5305f, 0.0609f, false, false, false);
        Set<String> names = new AutoencoderKL(sd3, new Rng(1)).parameters().keySet();
        assertEquals(248 - 4 - 2 * 10, names.size());
        assertTrue(names.stream().noneMatch(n -> n.contains("quant_conv") || n.contains("attentions")), names.toString());
        assertEquals(248, new AutoencoderKL(sd, new Rng(1)).parameters().size());
    }

    /** A checkpoint written under diffusers' names loads by name; a missing or renamed key is named. */
    @Test
    void aSafetensorsFileUnderDiffusersNamesLoads(@TempDir Path dir) throws IOException {
        AutoencoderKLConfig config = AutoencoderKLConfig.of(new int[] {4, 8}, 1, 2, 2);
        AutoencoderKL source = new AutoencoderKL(config, new Rng(7));
        Path file = dir.resolve("diffusion_pytorch_model.safetensors");
        Safetensors.write(file, source.stateDict(), Map.of("format", "pt"));

        AutoencoderKL loaded = new AutoencoderKL(config, new Rng(8));
        Tensor x = Tensor.randn(new Rng(9), 1, 3, 4, 4);
        assertFalse(java.util.Arrays.equals(source.forward(x).toArray(), loaded.forward(x).toArray()));
        loaded.loadStateDict(Safetensors.read(file).tensors());
        assertArrayEquals(source.forward(x).toArray(), loaded.forward(x).toArray());

        Map<String, Tensor> renamed = new LinkedHashMap<>(source.stateDict());
        renamed.put("encoder.mid_block.attentions.0.query.weight",
                renamed.remove("encoder.mid_block.attentions.0.to_q.weight"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loaded.loadStateDict(renamed));
        assertTrue(e.getMessage().contains("encoder.mid_block.attentions.0.to_q.weight"), e.getMessage());
    }

    /** Files saved by diffusers before 0.14 name the attention query, key, value and proj_attn. */
    @Test
    void legacyAttentionNamesAreRenamed() {
        AutoencoderKLConfig config = AutoencoderKLConfig.of(new int[] {4, 8}, 1, 2, 2);
        AutoencoderKL source = new AutoencoderKL(config, new Rng(7));
        Map<String, Tensor> legacy = new LinkedHashMap<>();
        source.stateDict().forEach((k, v) -> legacy.put(k.replace(".to_q.", ".query.").replace(".to_k.", ".key.")
                .replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn."), v));
        assertTrue(legacy.containsKey("decoder.mid_block.attentions.0.proj_attn.bias"));
        assertTrue(legacy.containsKey("encoder.mid_block.attentions.0.key.weight"));
        Map<String, Tensor> renamed = AutoencoderKL.renameLegacyAttentionKeys(legacy);
        assertEquals(List.copyOf(source.stateDict().keySet()), List.copyOf(renamed.keySet()));
        AutoencoderKL loaded = new AutoencoderKL(config, new Rng(8));
        loaded.loadStateDict(renamed);
        Tensor x = Tensor.randn(new Rng(9), 1, 3, 4, 4);
        assertArrayEquals(source.forward(x).toArray(), loaded.forward(x).toArray());
    }

    /** The diffusion model sees (z − shift) · scale; unscaleLatent inverts it. */
    @Test
    void latentScalingAndItsInverse() {
        AutoencoderKLConfig c = new AutoencoderKLConfig(3, 3, List.of("DownEncoderBlock2D"), List.of("UpDecoderBlock2D"),
                new int[] {4}, 1, "silu", 2, 2, 8, 1.5305f, 0.0609f, true, true, true);
        AutoencoderKL vae = new AutoencoderKL(c, new Rng(1));
        float[] z = {-1f, 0f, 0.0609f, 2.5f};
        float[] scaled = vae.scaleLatent(Tensor.of(z, 1, 2, 1, 2)).toArray();
        float[] back = vae.unscaleLatent(Tensor.of(scaled, 1, 2, 1, 2)).toArray();
        for (int i = 0; i < z.length; i++) {
            assertEquals((z[i] - 0.0609) * 1.5305, scaled[i], 1e-6, "scaled " + i);
            assertEquals(z[i], back[i], 1e-6, "round trip " + i);
        }
    }

    /** The whole model computes the same on both backends (the golden tests check each against PyTorch). */
    @Test
    void backendsAgree() {
        AutoencoderKLConfig c = AutoencoderKLConfig.of(new int[] {4, 8}, 1, 2, 2);
        float[][] outs = new float[2][];
        for (int i = 0; i < 2; i++) {
            outs[i] = Backends.get(GoldenCheck.BACKENDS.get(i)).call(() -> {
                AutoencoderKL vae = new AutoencoderKL(c, new Rng(5));
                return vae.forward(Tensor.randn(new Rng(6), 1, 3, 8, 8)).toArray();
            });
        }
        for (int j = 0; j < outs[0].length; j++) {
            assertEquals(outs[0][j], outs[1][j], 1e-4 * Math.max(1, Math.abs(outs[0][j])), "element " + j);
        }
    }
}
