package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minidiffusion.testkit.GoldenCheck.floatMeta;
import static org.minidiffusion.testkit.GoldenCheck.intMeta;
import static org.minidiffusion.testkit.GoldenCheck.meta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
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
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of the layers against PyTorch ({@code tools/golden_layers.py}), on both backends:
 * each case loads PyTorch's weights into our layer, runs the stored input forward, back-propagates
 * the stored {@code grad_output}, and compares the output and the gradients of the input and of
 * every parameter.
 *
 * <p>Tolerance: the kit's {@link Tolerance#DEFAULT} ({@code R = 1e-4, A = 1e-5}). The golden values
 * are float64 results rounded to float32; ours are float32 with sums of at most a few hundred terms
 * of order 1 (a 5x5 conv over 2 input channels is 50 terms per output; weight gradients sum over at
 * most 2 x 42 positions), whose rounding error is orders of magnitude below the bound.
 */
class LayerGoldenTests {
    static final String[] CONV2D = {"conv2d_k3_s1_p1_g1", "conv2d_k3_s2_p0_g1", "conv2d_k3_s2_p1_g2",
        "conv2d_k3_s1_p1_g4", "conv2d_k1_s1_p0_g1", "conv2d_k5_s2_p2_g2"};
    static final String[] GROUP_NORM = {"groupnorm_g2", "groupnorm_g4", "groupnorm_g8", "groupnorm_g32"};
    static final String[] LAYER_NORM = {"layernorm", "layernorm_d64"};
    static final String[] RMS_NORM = {"rmsnorm", "rmsnorm_d37"};
    static final String[] ATTENTION = {"attention_d12_h3", "attention_d8_h1", "attention_d16_h4"};
    static final String[] OTHERS = {"linear", "linear_nobias", "embedding"};

    private static final Rng RNG = new Rng(0); // initial weights only; every weight is then loaded

    static Stream<Arguments> conv2dCases() {
        return GoldenCheck.cases(CONV2D);
    }

    static Stream<Arguments> groupNormCases() {
        return GoldenCheck.cases(GROUP_NORM);
    }

    static Stream<Arguments> layerNormCases() {
        return GoldenCheck.cases(LAYER_NORM);
    }

    static Stream<Arguments> rmsNormCases() {
        return GoldenCheck.cases(RMS_NORM);
    }

    static Stream<Arguments> attentionCases() {
        return GoldenCheck.cases(ATTENTION);
    }

    static Stream<Arguments> linearCases() {
        return GoldenCheck.cases("linear", "linear_nobias");
    }

    static Stream<Arguments> backends() {
        return GoldenCheck.BACKENDS.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("conv2dCases")
    void conv2d(String backend, String name) {
        check(backend, name, "Conv2d", f -> new Conv2d(intMeta(f, "in_channels"), intMeta(f, "out_channels"),
                intMeta(f, "kernel"), intMeta(f, "stride"), intMeta(f, "padding"), intMeta(f, "groups"), RNG));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("groupNormCases")
    void groupNorm(String backend, String name) {
        check(backend, name, "GroupNorm", f -> new GroupNorm(intMeta(f, "groups"), intMeta(f, "channels"),
                floatMeta(f, "eps")));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("layerNormCases")
    void layerNorm(String backend, String name) {
        check(backend, name, "LayerNorm", f -> new LayerNorm(intMeta(f, "features"), floatMeta(f, "eps")));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("rmsNormCases")
    void rmsNorm(String backend, String name) {
        check(backend, name, "RMSNorm", f -> new RMSNorm(intMeta(f, "features"), floatMeta(f, "eps")));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("linearCases")
    void linear(String backend, String name) {
        check(backend, name, "Linear", f -> new Linear(intMeta(f, "in"), intMeta(f, "out"),
                Boolean.parseBoolean(meta(f, "bias")), RNG));
    }

    /** Ids with repeats, stored as floats: the weight gradient must accumulate over repeated ids. */
    @ParameterizedTest(name = "embedding on {0}")
    @MethodSource("backends")
    void embedding(String backend) {
        check(backend, "embedding", "Embedding", f -> new Embedding(intMeta(f, "count"), intMeta(f, "dim"), RNG));
    }

    /** The script checks that its reference equals {@code torch.nn.MultiheadAttention} with the same weights. */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("attentionCases")
    void attention(String backend, String name) {
        check(backend, name, "MultiHeadAttention", f -> new MultiHeadAttention(intMeta(f, "dim"), intMeta(f, "heads"), RNG));
    }

    /** A golden file that no test names would be skipped silently. */
    @Test
    void everyGoldenFileIsTested() throws IOException, URISyntaxException {
        Path dir = Path.of(LayerGoldenTests.class.getResource("/golden").toURI());
        Set<String> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors"))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length()))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Set<String> tested = new TreeSet<>();
        for (String[] names : new String[][] {CONV2D, GROUP_NORM, LAYER_NORM, RMS_NORM, ATTENTION, OTHERS, OptimizerGoldenTests.CASES,
            AttentionGoldenTests.CASES, RotaryEmbeddingGoldenTests.CASES}) {
            tested.addAll(Set.of(names));
        }
        assertEquals(tested, files, "golden files and tested cases differ");
    }

    /**
     * Loads the case onto the backend, builds the layer from the metadata, loads PyTorch's weights,
     * and compares the output and every gradient.
     */
    private static void check(String backendId, String name, String layerName, Function<Map<String, String>, Layer> build) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(LayerGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            assertEquals(layerName, meta(f.metadata(), "layer"), name + ": the file is for another layer");
            Layer layer = build.apply(f.metadata());
            layer.loadStateDict(GoldenCheck.stateDict(f.metadata(), f::tensor));     // exact keys and shapes, or it throws
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);

            boolean gradInput = f.tensors().containsKey("grad.input");
            Tensor x = gradInput ? f.tensor("input").requireGrad() : f.tensor("input");
            Tensor out = layer.forward(x);
            check.close("output", f.tensor("output"), out);

            out.backward(f.tensor("grad_output"));
            Set<String> grads = new TreeSet<>();
            if (gradInput) {
                check.close("grad.input", f.tensor("grad.input"), x.grad());
                grads.add("grad.input");
            }
            layer.parameters().forEach((param, p) -> {
                check.close("grad." + param, f.tensor("grad." + param), p.grad());
                grads.add("grad." + param);
            });
            Set<String> stored = f.tensors().keySet().stream().filter(k -> k.startsWith("grad."))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(stored, grads, name + ": every stored gradient must be compared");
            check.finish();
        });
    }
}
