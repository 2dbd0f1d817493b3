package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of the autoencoder against a from-scratch PyTorch implementation
 * ({@code tools/golden_vae.py}), on both backends. Each case builds the model from the case's
 * {@code config.json}, loads PyTorch's weights by diffusers' state-dict names, encodes the stored
 * images, samples with the stored noise, decodes, and compares the mean, the clamped log-variance,
 * the sample, the scaled latent, the decoded and reconstructed images, the KL term, the loss
 * {@code sum(decoded · grad_output) + sum(kl · grad_kl)}, and its gradients with respect to the
 * images and every parameter.
 *
 * <ul>
 *   <li>{@code vae_tiny}: block_out_channels (8, 16), one resnet per level, latent 4, 4 groups,
 *       quant convs, 2 images of 8x8; part of one log-variance channel lies below −30, so the clamp acts.</li>
 *   <li>{@code vae_sd3_like}: (8, 8, 16), two resnets per level (three in the decoder), latent 3,
 *       no quant convs, SD3's scaling and shift factors, one 16x16 image.</li>
 * </ul>
 *
 * <p>Tolerance: the kit's {@link Tolerance#DEFAULT} ({@code R = 1e-4}), with its absolute floor
 * {@code A = 1e-5} multiplied, per tensor, by {@code max(1, max|golden|)} (see
 * {@link GoldenCheck#scaled}), as the U-Net's golden test does. The forward values and most
 * gradients are of order 1, where this is DEFAULT itself. The weight gradients of the 3x3 convolutions
 * of the decoder are sums over up to 16x16 positions and 9 taps whose partial sums reach several
 * units, so the float32 cancellation error of their small elements (0.001 to 0.1) is about 1e-5
 * absolute, at the unscaled floor itself: PyTorch's own float32 run of {@code vae_sd3_like}, against
 * the same float64 reference, reaches 1.45 x the unscaled DEFAULT bound (on
 * {@code grad.decoder.up_blocks.1.upsamplers.0.conv.weight}; {@code tools/golden_vae.py} prints it),
 * and both backends reach 1.2 to 1.5 x on elements like it. A real bug moves values by the order of
 * the tensor, orders of magnitude above the bound.
 */
class AutoencoderKLGoldenTests {
    static final String[] CASES = {"vae_tiny", "vae_sd3_like"};

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(CASES);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchPyTorch(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = load(name, backend);
            AutoencoderKL vae = new AutoencoderKL(config(name), new Rng(0));
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String key : f.metadata().get("params").split(",")) {
                state.put(key, f.tensor(key));
            }
            assertEquals(new TreeSet<>(state.keySet()), new TreeSet<>(vae.parameters().keySet()),
                    name + ": parameter names of AutoencoderKL.java and of diffusers' module tree");
            vae.loadStateDict(state);
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT, true);

            Tensor x = f.tensor("x").requireGrad();
            DiagonalGaussianDistribution posterior = vae.encode(x);
            Tensor z = posterior.sample(f.tensor("eps"));
            Tensor decoded = vae.decode(z);
            Tensor kl = posterior.kl();
            Tensor loss = decoded.mul(f.tensor("grad_output")).sum().add(kl.mul(f.tensor("grad_kl")).sum());
            check.close("mean", f.tensor("mean"), posterior.mean());
            check.close("logvar", f.tensor("logvar"), posterior.logvar());
            check.close("z", f.tensor("z"), z);
            check.close("z_scaled", f.tensor("z_scaled"), vae.scaleLatent(z));
            check.close("decoded", f.tensor("decoded"), decoded);
            check.close("reconstruction", f.tensor("reconstruction"), vae.forward(f.tensor("x")));
            check.close("kl", f.tensor("kl"), kl);
            check.close("loss", f.tensor("loss"), loss.reshape(1));

            loss.backward();
            check.close("grad.x", f.tensor("grad.x"), x.grad());
            vae.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            Set<String> stored = f.tensors().keySet().stream().filter(k -> k.startsWith("grad."))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(state.size() + 1, stored.size(), name + ": every stored gradient is compared");
            check.finish();
        });
    }

    /** The tiny case really exercises the clamp of the log-variance, on part of a channel only. */
    @Test
    void theTinyCaseClampsSomeLogVariances() {
        SafetensorsFile f = load("vae_tiny", Backends.get("scalar"));
        int clamped = Integer.parseInt(f.metadata().get("clamped_logvar"));
        int total = f.tensor("logvar").numel();
        assertTrue(clamped > 0 && clamped < total / 4, clamped + " of " + total + " log-variances clamped");
        float min = Float.MAX_VALUE;
        for (float v : f.tensor("logvar").toArray()) {
            min = Math.min(min, v);
        }
        assertEquals(DiagonalGaussianDistribution.LOGVAR_MIN, min, "the golden log-variance is clamped at -30");
    }

    /** A golden file that no test names would be skipped silently. */
    @Test
    void everyGoldenFileIsTested() throws IOException, URISyntaxException {
        Path dir = Path.of(AutoencoderKLGoldenTests.class.getResource("/golden").toURI());
        Set<String> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Set<String> expected = new TreeSet<>();
        for (String c : Stream.concat(Stream.of(CASES), Stream.of(VaeObjectiveGoldenTests.CASE)).toList()) {
            expected.add(c + ".safetensors");
            expected.add(c + ".config.json");
        }
        assertEquals(expected, files, "golden files and tested cases differ");
    }

    private static AutoencoderKLConfig config(String name) {
        try {
            return AutoencoderKLConfig.fromJson(resource(name + ".config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the path of the test resource {@code /golden/<file>}. */
    private static Path resource(String file) {
        return GoldenCheck.load(AutoencoderKLGoldenTests.class, "/golden/" + file, path -> path);
    }

    /** Reads {@code golden/<name>.safetensors} onto {@code backend}. */
    private static SafetensorsFile load(String name, Backend backend) {
        return GoldenCheck.load(AutoencoderKLGoldenTests.class, "/golden/" + name + ".safetensors",
                path -> Safetensors.read(path, backend));
    }
}
