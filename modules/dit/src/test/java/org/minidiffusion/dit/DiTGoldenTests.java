package org.minidiffusion.dit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
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
 * Golden tests of DiT against a from-scratch PyTorch implementation ({@code tools/golden_dit.py}),
 * on both backends, with random non-zero modulation weights so that shift, scale and gate all act:
 *
 * <ul>
 *   <li>{@code dit_block}: one {@link DiTBlock} (D 16, 2 heads), tokens (2, 6, 16) and conditioning (2, 16);</li>
 *   <li>{@code dit_tiny}: a {@link DiT} end to end (8x8x3 latents, patch 2, D 16, 2 blocks, 6 output channels)
 *       at timesteps 17 and 803: patchify, positions, timestep embedder, blocks, final layer, unpatchify.</li>
 * </ul>
 *
 * The output and the gradients of {@code sum(output · grad_output)} with respect to the inputs and
 * every parameter are compared under the kit's {@link Tolerance#DEFAULT} as it is ({@code R = 1e-4},
 * {@code A = 1e-5}, no per-tensor scaling of the floor): both backends stay below 0.13 x the bound.
 */
class DiTGoldenTests {

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(Golden.DIT_CASES);
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
            Tensor out;
            if (name.equals("dit_block")) {
                DiTBlock block = new DiTBlock(GoldenCheck.intMeta(meta, "dim"), GoldenCheck.intMeta(meta, "heads"), 4f, new Rng(0));
                Golden.loadWeights(name, f, block);
                Tensor x = f.tensor("x").requireGrad();
                Tensor c = f.tensor("c").requireGrad();
                inputs.put("x", x);
                inputs.put("c", c);
                layer = block;
                out = block.forward(x, c);
            } else {
                DiT dit = new DiT(GoldenCheck.intMeta(meta, "input_size"), GoldenCheck.intMeta(meta, "patch_size"),
                        GoldenCheck.intMeta(meta, "in_channels"), GoldenCheck.intMeta(meta, "hidden_size"),
                        GoldenCheck.intMeta(meta, "depth"), GoldenCheck.intMeta(meta, "num_heads"),
                        GoldenCheck.intMeta(meta, "out_channels"), new Rng(0));
                Golden.loadWeights(name, f, dit);
                Tensor x = f.tensor("x").requireGrad();
                inputs.put("x", x);
                layer = dit;
                out = dit.forward(x, f.tensor("t"));
            }
            check.close("output", f.tensor("output"), out);
            out.mul(f.tensor("grad_output")).sum().backward();
            Golden.checkGradients(check, name, f, layer, inputs);
            check.finish();
        });
    }
}
