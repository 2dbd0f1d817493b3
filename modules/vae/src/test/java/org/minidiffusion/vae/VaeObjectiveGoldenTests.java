package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
 * The training objective against PyTorch ({@code tools/golden_vae.py}, case {@code vae_loss}), on
 * both backends: a greyscale autoencoder with three levels (4, 8, 8) and latent 4, two 16x16 images
 * in [-1, 1], fixed noise, {@code beta} 16 (so that the KL term, a third of the loss, moves the
 * gradients). Compared: the decoded sample, the reconstruction MSE, the batch-mean KL, the loss
 * {@code mse + beta · kl / P}, and the loss's gradient for every parameter.
 *
 * <p>Tolerance: as {@link AutoencoderKLGoldenTests}, the kit's {@link Tolerance#DEFAULT} with the
 * absolute floor scaled per tensor by {@code max(1, max|golden|)}.
 */
class VaeObjectiveGoldenTests {
    static final String CASE = "vae_loss";

    static Stream<Arguments> backends() {
        return GoldenCheck.cases(CASE);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("backends")
    void lossTermsAndGradientsMatchPyTorch(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(VaeObjectiveGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            AutoencoderKLConfig config = GoldenCheck.load(VaeObjectiveGoldenTests.class,
                    "/golden/" + name + ".config.json", AutoencoderKLConfig::fromJson);
            AutoencoderKL vae = new AutoencoderKL(config, new Rng(0));
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String key : f.metadata().get("params").split(",")) {
                state.put(key, f.tensor(key));
            }
            vae.loadStateDict(state);
            float beta = f.tensor("beta").item();
            VaeObjective.Terms t = new VaeObjective(beta).evaluate(vae, f.tensor("x"), f.tensor("eps"));

            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT, true);
            check.close("decoded", f.tensor("decoded"), t.decoded());
            check.close("reconstruction", f.tensor("reconstruction"), t.reconstruction().reshape(1));
            check.close("kl", f.tensor("kl"), t.kl().reshape(1));
            check.close("loss", f.tensor("loss"), t.loss().reshape(1));
            t.loss().backward();
            vae.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            Set<String> stored = f.tensors().keySet().stream().filter(k -> k.startsWith("grad."))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(state.size(), stored.size(), name + ": every stored gradient is compared");
            check.finish();
        });
    }
}
