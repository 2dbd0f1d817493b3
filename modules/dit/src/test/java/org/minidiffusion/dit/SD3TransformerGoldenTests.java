package org.minidiffusion.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of MMDiT against a from-scratch PyTorch implementation of diffusers'
 * {@code SD3Transformer2DModel} ({@code tools/golden_dit.py}), on both backends, with random
 * non-zero modulation and RMSNorm weights:
 *
 * <ul>
 *   <li>{@code mmdit_block}: one {@link JointTransformerBlock} (D 16 = 2 heads x 8, QK RMSNorm), 6 image
 *       and 4 text tokens, batch 2; both streams' outputs and gradients.</li>
 *   <li>{@code mmdit_tiny}: an {@link SD3Transformer2DModel} built from its {@code config.json} (2 blocks,
 *       the last {@code context_pre_only}, QK RMSNorm, 4 latent channels, patch 2, a 6x6 position table)
 *       on non-square 8x6 latents (4x3 patches, so the table is cropped at row 1, column 1), 5 text tokens,
 *       pooled text and timesteps 300 and 750.5.</li>
 * </ul>
 *
 * Tolerance: the kit's {@link Tolerance#DEFAULT} as it is ({@code R = 1e-4}, {@code A = 1e-5}, no
 * per-tensor scaling of the floor): both backends stay below 0.11 x the bound.
 */
class SD3TransformerGoldenTests {

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(Golden.MMDIT_CASES);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchPyTorch(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = Golden.load(name, backend);
            Map<String, String> meta = f.metadata();
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            Layer layer;
            Tensor loss;
            if (name.equals("mmdit_block")) {
                JointTransformerBlock block = new JointTransformerBlock(GoldenCheck.intMeta(meta, "dim"),
                        GoldenCheck.intMeta(meta, "heads"), GoldenCheck.intMeta(meta, "head_dim"),
                        Boolean.parseBoolean(GoldenCheck.meta(meta, "context_pre_only")),
                        GoldenCheck.meta(meta, "qk_norm").equals("rms_norm"), new Rng(0));
                Golden.loadWeights(name, f, block);
                for (String k : new String[] {"hidden_states", "encoder_hidden_states", "temb"}) {
                    inputs.put(k, f.tensor(k).requireGrad());
                }
                layer = block;
                JointTransformerBlock.Output out = block.forward(inputs.get("hidden_states"),
                        inputs.get("encoder_hidden_states"), inputs.get("temb"));
                check.close("hidden_out", f.tensor("hidden_out"), out.image());
                check.close("encoder_out", f.tensor("encoder_out"), out.context());
                loss = out.image().mul(f.tensor("grad_hidden_out")).sum()
                        .add(out.context().mul(f.tensor("grad_encoder_out")).sum());
            } else {
                SD3Transformer2DModel model = new SD3Transformer2DModel(config(name), new Rng(0));
                Golden.loadWeights(name, f, model);
                for (String k : new String[] {"hidden_states", "encoder_hidden_states", "pooled_projections"}) {
                    inputs.put(k, f.tensor(k).requireGrad());
                }
                layer = model;
                Tensor sample = model.forward(inputs.get("hidden_states"), inputs.get("encoder_hidden_states"),
                        inputs.get("pooled_projections"), f.tensor("timestep"));
                check.close("sample", f.tensor("sample"), sample);
                loss = sample.mul(f.tensor("grad_sample")).sum();
            }
            loss.backward();
            Golden.checkGradients(check, name, f, layer, inputs);
            check.finish();
        });
    }

    /** The stored position table is the one the Java side computes (what a checkpoint holds as a buffer). */
    @Test
    void thePositionTableIsSd3s() {
        Backend backend = Backends.get("scalar");
        SafetensorsFile f = Golden.load("mmdit_tiny", backend);
        SD3Transformer2DModelConfig config = config("mmdit_tiny");
        backend.run(() -> {
            SD3Transformer2DModel fresh = new SD3Transformer2DModel(config, new Rng(0));
            GoldenCheck check = new GoldenCheck("mmdit_tiny", "scalar", Tolerance.KNOWN_VALUE);
            check.close("pos_embed.pos_embed", f.tensor("pos_embed.pos_embed"),
                    fresh.parameters().get("pos_embed.pos_embed").value());
            check.finish();
        });
    }

    /** A golden file that no test names would be skipped silently. */
    @Test
    void everyGoldenFileIsTested() throws IOException, URISyntaxException {
        Set<String> expected = new TreeSet<>();
        for (String c : Golden.DIT_CASES) {
            expected.add(c + ".safetensors");
        }
        for (String c : Golden.MMDIT_CASES) {
            expected.add(c + ".safetensors");
        }
        expected.add("mmdit_tiny.config.json");
        assertEquals(expected, Golden.files(), "golden files and tested cases differ");
    }

    private static SD3Transformer2DModelConfig config(String name) {
        try {
            return SD3Transformer2DModelConfig.fromJson(Golden.resource(name + ".config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
