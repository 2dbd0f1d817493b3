package org.minidiffusion.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/** The module tree of {@link SD3Transformer2DModel}: diffusers' names, loading by name, and shape errors. */
class SD3Transformer2DModelTests {
    /** 2 blocks of 2 heads x 8, 4 latent channels, patch 2, a 6x6 position table, optional QK RMSNorm. */
    static SD3Transformer2DModelConfig tiny(String qkNorm) {
        return new SD3Transformer2DModelConfig(8, 2, 4, 2, 8, 2, 12, 16, 10, 4, 6, qkNorm);
    }

    /** The state-dict keys of diffusers' SD3Transformer2DModel for {@link #tiny}, written out from its module tree. */
    static List<String> diffusersNames(boolean qkNorm) {
        List<String> names = new ArrayList<>(List.of("pos_embed.pos_embed"));
        List<String> linears = new ArrayList<>(List.of("pos_embed.proj", "time_text_embed.timestep_embedder.linear_1",
                "time_text_embed.timestep_embedder.linear_2", "time_text_embed.text_embedder.linear_1",
                "time_text_embed.text_embedder.linear_2", "context_embedder", "norm_out.linear", "proj_out"));
        for (int i = 0; i < 2; i++) {
            String b = "transformer_blocks." + i + ".";
            for (String l : List.of("norm1.linear", "norm1_context.linear", "attn.to_q", "attn.to_k", "attn.to_v",
                    "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj", "attn.to_out.0", "ff.net.0.proj", "ff.net.2")) {
                linears.add(b + l);
            }
            if (i == 0) { // the last block is context_pre_only: no text output projection and no text MLP
                linears.addAll(List.of(b + "attn.to_add_out", b + "ff_context.net.0.proj", b + "ff_context.net.2"));
            }
            if (qkNorm) {
                for (String n : List.of("norm_q", "norm_k", "norm_added_q", "norm_added_k")) {
                    names.add(b + "attn." + n + ".weight");
                }
            }
        }
        for (String l : linears) {
            names.add(l + ".weight");
            names.add(l + ".bias");
        }
        return names;
    }

    @Test
    void parameterNamesAreDiffusers() {
        assertEquals(new TreeSet<>(diffusersNames(false)),
                new TreeSet<>(new SD3Transformer2DModel(tiny(null), new Rng(1)).parameters().keySet()));
        assertEquals(new TreeSet<>(diffusersNames(true)),
                new TreeSet<>(new SD3Transformer2DModel(tiny("rms_norm"), new Rng(1)).parameters().keySet()));
    }

    @Test
    void parameterShapesAreDiffusers() {
        var params = new SD3Transformer2DModel(tiny("rms_norm"), new Rng(1)).parameters();
        assertArrayEquals(new int[] {1, 36, 16}, params.get("pos_embed.pos_embed").shape().toArray());
        assertArrayEquals(new int[] {16, 4, 2, 2}, params.get("pos_embed.proj.weight").shape().toArray());
        assertArrayEquals(new int[] {16, 256}, params.get("time_text_embed.timestep_embedder.linear_1.weight").shape().toArray());
        assertArrayEquals(new int[] {16, 12}, params.get("context_embedder.weight").shape().toArray());
        assertArrayEquals(new int[] {96, 16}, params.get("transformer_blocks.0.norm1.linear.weight").shape().toArray());
        assertArrayEquals(new int[] {32, 16}, params.get("transformer_blocks.1.norm1_context.linear.weight").shape().toArray());
        assertArrayEquals(new int[] {8}, params.get("transformer_blocks.0.attn.norm_added_k.weight").shape().toArray());
        assertArrayEquals(new int[] {64, 16}, params.get("transformer_blocks.0.ff.net.0.proj.weight").shape().toArray());
        assertArrayEquals(new int[] {16, 16}, params.get("proj_out.weight").shape().toArray());
    }

    /** A safetensors file written under diffusers' names loads by name and gives the writer's outputs. */
    @Test
    void aCheckpointWrittenUnderDiffusersNamesLoadsByName(@TempDir Path dir) throws IOException {
        Backends.get("scalar").run(() -> {
            try {
                SD3Transformer2DModel source = new SD3Transformer2DModel(tiny("rms_norm"), new Rng(11));
                Path file = dir.resolve("diffusion_pytorch_model.safetensors");
                Safetensors.write(file, source.stateDict());
                SafetensorsFile read = Safetensors.read(file);
                SD3Transformer2DModel loaded = new SD3Transformer2DModel(tiny("rms_norm"), new Rng(12));
                loaded.loadStateDict(read.tensors());

                Rng rng = new Rng(13);
                Tensor x = Tensor.randn(rng, 1, 4, 8, 8);
                Tensor ctx = Tensor.randn(rng, 1, 3, 12);
                Tensor pooled = Tensor.randn(rng, 1, 10);
                Tensor t = Tensor.of(new float[] {500f}, 1);
                assertArrayEquals(source.forward(x, ctx, pooled, t).toArray(), loaded.forward(x, ctx, pooled, t).toArray());

                Map<String, Tensor> renamed = new LinkedHashMap<>(read.tensors());
                renamed.put("transformer_blocks.0.attn.q_proj.weight", renamed.remove("transformer_blocks.0.attn.to_q.weight"));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loaded.loadStateDict(renamed));
                assertTrue(e.getMessage().contains("transformer_blocks.0.attn.to_q.weight"), e.getMessage());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The last block drops the text stream; the image stream still sees the text through the joint attention. */
    @Test
    void theLastBlockIsContextPreOnly() {
        Rng rng = new Rng(3);
        JointTransformerBlock last = new JointTransformerBlock(16, 2, 8, true, false, rng);
        Tensor x = Tensor.randn(rng, 1, 4, 16);
        Tensor temb = Tensor.randn(rng, 1, 16);
        JointTransformerBlock.Output a = last.forward(x, Tensor.randn(rng, 1, 3, 16), temb);
        JointTransformerBlock.Output b = last.forward(x, Tensor.randn(rng, 1, 3, 16), temb);
        assertNull(a.context());
        float diff = 0f;
        float[] ya = a.image().toArray();
        float[] yb = b.image().toArray();
        for (int i = 0; i < ya.length; i++) {
            diff = Math.max(diff, Math.abs(ya[i] - yb[i]));
        }
        assertTrue(diff > 1e-3f, "image tokens must attend to the text tokens; max change " + diff);
    }

    /** Without pos_embed_max_size the table is fixed at sample_size / patch_size, not a parameter, and not cropped. */
    @Test
    void withoutAMaximumSizeTheTableIsFixed() {
        SD3Transformer2DModel model = new SD3Transformer2DModel(
                new SD3Transformer2DModelConfig(8, 2, 4, 1, 8, 2, 12, 16, 10, 4, 0, null), new Rng(1));
        assertTrue(!model.parameters().containsKey("pos_embed.pos_embed"));
        Tensor ctx = Tensor.zeros(1, 3, 12);
        Tensor pooled = Tensor.zeros(1, 10);
        Tensor t = Tensor.zeros(1);
        assertArrayEquals(new int[] {1, 4, 8, 8}, model.forward(Tensor.zeros(1, 4, 8, 8), ctx, pooled, t).shape().toArray());
        ShapeException e = assertThrows(ShapeException.class, () -> model.forward(Tensor.zeros(1, 4, 6, 8), ctx, pooled, t));
        assertTrue(e.getMessage().contains("it must match it exactly"), e.getMessage());
    }

    @Test
    void wrongInputsAreNamed() {
        SD3Transformer2DModel model = new SD3Transformer2DModel(tiny(null), new Rng(1));
        Tensor ctx = Tensor.zeros(1, 3, 12);
        Tensor pooled = Tensor.zeros(1, 10);
        Tensor t = Tensor.zeros(1);
        ShapeException channels = assertThrows(ShapeException.class, () -> model.forward(Tensor.zeros(1, 3, 8, 8), ctx, pooled, t));
        assertTrue(channels.getMessage().contains("(B, 4, H, W)"), channels.getMessage());
        ShapeException text = assertThrows(ShapeException.class,
                () -> model.forward(Tensor.zeros(1, 4, 8, 8), Tensor.zeros(1, 3, 11), pooled, t));
        assertTrue(text.getMessage().contains("encoder_hidden_states (B, L, 12)"), text.getMessage());
        ShapeException big = assertThrows(ShapeException.class, () -> model.forward(Tensor.zeros(1, 4, 14, 8), ctx, pooled, t));
        assertTrue(big.getMessage().contains("7x4 patches does not fit the position table of 6x6"), big.getMessage());
    }
}
