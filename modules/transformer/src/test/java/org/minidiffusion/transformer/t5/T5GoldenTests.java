package org.minidiffusion.transformer.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
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
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of T5's encoder against a from-scratch PyTorch implementation
 * ({@code tools/golden_transformers.py}), on both backends: a 2-layer encoder (d_model 16, 3 heads of
 * 6, d_ff 24, 8 buckets up to distance 12, so the logarithmic buckets and the last bucket are used
 * over 10 tokens) with a padded second sequence, built from its {@code config.json} and loaded by
 * Hugging Face's names. It compares block 0's position bias, the last hidden state and the gradient
 * of {@code sum(h·g)} for every parameter under {@link Tolerance#DEFAULT}; the buckets of every
 * relative position in [−300, 300] must equal PyTorch's exactly.
 */
class T5GoldenTests {
    static final String NAME = "t5_encoder_2layer";

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(NAME);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void twoLayersWithPaddingMatchPyTorch(String backendId, String name) throws IOException {
        Backend backend = Backends.get(backendId);
        T5Config config = T5Config.fromJson(resource(name + ".config.json"));
        backend.run(() -> {
            SafetensorsFile f = load(name, backend);
            T5EncoderModel model = new T5EncoderModel(config, new Rng(0));
            Map<String, Tensor> state = GoldenCheck.stateDict(f.metadata(), f::tensor);
            assertEquals(new TreeSet<>(state.keySet()), new TreeSet<>(model.parameters().keySet()),
                    name + ": parameter names of T5EncoderModel and of Hugging Face's module tree");
            model.loadCheckpoint(state);
            int[][] ids = rows(f.tensor("input_ids"));
            Tensor out = model.encode(ids, rows(f.tensor("attention_mask")));
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            T5Attention first = model.firstAttention();
            check.close("position_bias", f.tensor("position_bias"), first.positionBias(ids[0].length, ids[0].length));
            check.close("last_hidden_state", f.tensor("last_hidden_state"), out);
            out.backward(f.tensor("grad_last_hidden_state"));
            model.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            assertEquals(model.parameters().size(),
                    f.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count(),
                    name + ": every stored gradient is compared");
            check.finish();
        });
    }

    @Test
    void bucketsEqualPyTorchs() {
        SafetensorsFile f = load("t5_buckets", Backends.get("scalar"));
        int[] rel = GoldenCheck.ints(f.tensor("relative_position"));
        for (int[] cfg : new int[][] {{32, 128}, {8, 12}}) {
            int[] expected = GoldenCheck.ints(f.tensor("buckets_" + cfg[0] + "_" + cfg[1]));
            int[] actual = new int[rel.length];
            for (int i = 0; i < rel.length; i++) {
                actual[i] = T5Attention.bucket(rel[i], cfg[0], cfg[1]);
            }
            assertArrayEquals(expected, actual, "buckets of " + cfg[0] + " up to distance " + cfg[1]);
        }
    }

    private static int[][] rows(Tensor t) {
        int[] flat = GoldenCheck.ints(t);
        int[][] out = new int[t.size(0)][t.size(1)];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * out[0].length, out[i], 0, out[0].length);
        }
        return out;
    }

    private static Path resource(String file) {
        return GoldenCheck.load(T5GoldenTests.class, "/golden/" + file, path -> path);
    }

    private static SafetensorsFile load(String name, Backend backend) {
        return GoldenCheck.load(T5GoldenTests.class, "/golden/" + name + ".safetensors",
                path -> Safetensors.read(path, backend));
    }
}
