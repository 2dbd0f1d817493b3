package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of CLIP's text encoder against a from-scratch PyTorch implementation
 * ({@code tools/golden_transformers.py}), on both backends, with weights loaded by Hugging Face's
 * names and the model built from the case's {@code config.json}:
 *
 * <ul>
 *   <li>{@code clip_layer}: one encoder layer (D 16, 4 heads, QuickGELU) under a causal plus
 *       padding mask: output and the gradients of the input and every parameter;</li>
 *   <li>{@code clip_text_2layer}: two layers, GELU, ids padded with the end token (49) and a padding
 *       mask, pooled at the first end token, with the text projection;</li>
 *   <li>{@code clip_text_2layer_legacy}: QuickGELU, {@code eos_token_id} 2, so pooled at the largest
 *       id, no mask.</li>
 * </ul>
 *
 * <p>The models compare the last hidden state, the pooled output, the text embeddings and the
 * gradients of {@code sum(h·g_h) + sum(pooled·g_p) + sum(embeds·g_e)} for every parameter, under
 * {@link Tolerance#DEFAULT}.
 */
class ClipGoldenTests {
    static final String[] MODELS = {"clip_text_2layer", "clip_text_2layer_legacy"};

    static Stream<Arguments> models() {
        return GoldenCheck.cases(MODELS);
    }

    static Stream<Arguments> layer() {
        return GoldenCheck.cases("clip_layer");
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("layer")
    void oneLayerMatchesPyTorch(String backendId, String name) throws IOException {
        Backend backend = Backends.get(backendId);
        ClipTextConfig config = ClipTextConfig.fromJson(resource(name + ".config.json"));
        backend.run(() -> {
            SafetensorsFile f = load(name, backend);
            ClipEncoderLayer layer = new ClipEncoderLayer(config, new Rng(0));
            layer.loadStateDict(GoldenCheck.stateDict(f.metadata(), f::tensor));
            Tensor x = f.tensor("input").requireGrad();
            Tensor mask = Attention.causalMask(x.size(1), x.size(1)).add(Attention.paddingMask(rows(f.tensor("attention_mask"))));
            Tensor out = layer.forward(x, mask);
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            check.close("output", f.tensor("output"), out);
            out.backward(f.tensor("grad_output"));
            check.close("grad.input", f.tensor("grad.input"), x.grad());
            layer.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            assertEquals(layer.parameters().size() + 1, gradCount(f), name + ": every stored gradient is compared");
            check.finish();
        });
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("models")
    void twoLayersWithPoolingAndProjectionMatchPyTorch(String backendId, String name) throws IOException {
        Backend backend = Backends.get(backendId);
        ClipTextConfig config = ClipTextConfig.fromJson(resource(name + ".config.json"));
        backend.run(() -> {
            SafetensorsFile f = load(name, backend);
            ClipTextModel model = new ClipTextModel(config, true, new Rng(0));
            Map<String, Tensor> state = GoldenCheck.stateDict(f.metadata(), f::tensor);
            assertEquals(new TreeSet<>(state.keySet()), new TreeSet<>(model.parameters().keySet()),
                    name + ": parameter names of ClipTextModel and of Hugging Face's module tree");
            model.loadCheckpoint(state);
            int[][] mask = f.tensors().containsKey("attention_mask") ? rows(f.tensor("attention_mask")) : null;
            ClipTextModel.Output out = model.encode(rows(f.tensor("input_ids")), mask);
            Tensor loss = out.lastHiddenState().mul(f.tensor("grad_last_hidden_state")).sum()
                    .add(out.pooled().mul(f.tensor("grad_pooled")).sum())
                    .add(out.textEmbeds().mul(f.tensor("grad_text_embeds")).sum());
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            check.close("last_hidden_state", f.tensor("last_hidden_state"), out.lastHiddenState());
            check.close("pooled", f.tensor("pooled"), out.pooled());
            check.close("text_embeds", f.tensor("text_embeds"), out.textEmbeds());
            check.close("loss", f.tensor("loss"), loss.reshape(1));
            loss.backward();
            model.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            assertEquals(model.parameters().size(), gradCount(f), name + ": every stored gradient is compared");
            check.finish();
        });
    }

    /** A golden file that no test names would be skipped silently. */
    @Test
    void everyGoldenFileIsTested() throws IOException, URISyntaxException {
        Path dir = Path.of(ClipGoldenTests.class.getResource("/golden").toURI());
        Set<String> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Set<String> expected = new TreeSet<>();
        for (String c : new String[] {"clip_layer", MODELS[0], MODELS[1], "t5_encoder_2layer"}) {
            expected.add(c + ".safetensors");
            expected.add(c + ".config.json");
        }
        expected.add("t5_buckets.safetensors");
        for (String c : ClipLossGoldenTests.CASES) {
            expected.add(c + ".safetensors");
            expected.add(c + ".config.json");
            expected.add(c + ".image_config.json");
        }
        assertEquals(expected, files, "golden files and the cases of ClipGoldenTests, ClipLossGoldenTests and T5GoldenTests differ");
    }

    private static long gradCount(SafetensorsFile f) {
        return f.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count();
    }

    /** Returns a stored {@code (B, L)} tensor of integer values as rows. */
    static int[][] rows(Tensor t) {
        int[] flat = GoldenCheck.ints(t);
        int[][] out = new int[t.size(0)][t.size(1)];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * out[0].length, out[i], 0, out[0].length);
        }
        return out;
    }

    /** Returns the path of the test resource {@code /golden/<file>}. */
    static Path resource(String file) {
        return GoldenCheck.load(ClipGoldenTests.class, "/golden/" + file, path -> path);
    }

    /** Reads {@code golden/<name>.safetensors} onto {@code backend}. */
    static SafetensorsFile load(String name, Backend backend) {
        return GoldenCheck.load(ClipGoldenTests.class, "/golden/" + name + ".safetensors",
                path -> Safetensors.read(path, backend));
    }
}
