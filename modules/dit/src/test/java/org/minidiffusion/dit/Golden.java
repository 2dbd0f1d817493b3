package org.minidiffusion.dit;

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
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;

/** Reading the golden files of {@code tools/golden_dit.py} and comparing every stored gradient. */
final class Golden {
    /** Every golden case of this module, in {@code src/test/resources/golden}. */
    static final String[] DIT_CASES = {"dit_block", "dit_tiny"};
    static final String[] MMDIT_CASES = {"mmdit_block", "mmdit_tiny"};

    private Golden() {
    }

    /** Reads {@code golden/<name>.safetensors} onto {@code backend}. */
    static SafetensorsFile load(String name, Backend backend) {
        return GoldenCheck.load(Golden.class, "/golden/" + name + ".safetensors", path -> Safetensors.read(path, backend));
    }

    /** Returns the path of the test resource {@code /golden/<file>}. */
    static Path resource(String file) {
        return GoldenCheck.load(Golden.class, "/golden/" + file, path -> path);
    }

    /** Loads the stored weights by name, after checking that the names are exactly the layer's. */
    static void loadWeights(String name, SafetensorsFile f, Layer layer) {
        Map<String, Tensor> state = GoldenCheck.stateDict(f.metadata(), f::tensor);
        assertEquals(new TreeSet<>(state.keySet()), new TreeSet<>(layer.parameters().keySet()),
                name + ": parameter names of the Java layer and of the PyTorch module tree");
        layer.loadStateDict(state);
    }

    /** Compares the gradient of every parameter and of the named inputs, and checks none stored is left out. */
    static void checkGradients(GoldenCheck check, String name, SafetensorsFile f, Layer layer, Map<String, Tensor> inputs) {
        inputs.forEach((k, v) -> check.close("grad." + k, f.tensor("grad." + k), v.grad()));
        layer.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
        Set<String> stored = f.tensors().keySet().stream().filter(k -> k.startsWith("grad."))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(layer.parameters().size() + inputs.size(), stored.size(), name + ": every stored gradient is compared");
    }

    /** The golden files present, by file name. */
    static Set<String> files() throws IOException, URISyntaxException {
        Path dir = Path.of(Golden.class.getResource("/golden").toURI());
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
