package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the shipped models are found: the order of the places, and the error that lists them. */
class ShippedModelsTests {
    private static final String NAME = "fashion-unet.safetensors";

    @TempDir
    Path tmp;

    private Path env;
    private Path property;
    private Path work;
    private Path image;

    @BeforeEach
    void fourModelsDirectories() throws IOException {
        env = Files.createDirectories(tmp.resolve("env"));
        property = Files.createDirectories(tmp.resolve("property"));
        work = Files.createDirectories(tmp.resolve("work"));
        image = Files.createDirectories(tmp.resolve("image"));
        for (Path models : new Path[] {env, property, work.resolve("models"), image.resolve("models")}) {
            Files.createDirectories(models);
            Files.writeString(models.resolve(NAME), models.toString());
        }
    }

    private ShippedModels.Places places() {
        return new ShippedModels.Places(env.toString(), property.toString(), work, image);
    }

    @Test
    void theFirstPlaceThatHoldsTheModelWinsInTheDocumentedOrder() throws IOException {
        assertEquals(env.resolve(NAME), ShippedModels.resolve(NAME, "--model", places()));
        Files.delete(env.resolve(NAME));
        assertEquals(property.resolve(NAME), ShippedModels.resolve(NAME, "--model", places()));
        Files.delete(property.resolve(NAME));
        assertEquals(work.resolve("models").resolve(NAME), ShippedModels.resolve(NAME, "--model", places()));
        Files.delete(work.resolve("models").resolve(NAME));
        assertEquals(image.resolve("models").resolve(NAME), ShippedModels.resolve(NAME, "--model", places()));
    }

    @Test
    void unsetOrBlankVariablesAreSkipped() {
        var places = new ShippedModels.Places(null, " ", work, null);
        assertEquals(work.resolve("models").resolve(NAME), ShippedModels.resolve(NAME, null, places));
        assertEquals(1, places.directories().size(), places.directories().toString());
    }

    @Test
    void aDirectoryModelIsFoundToo() throws IOException {
        Files.createDirectories(property.resolve("fashion-sd3"));
        assertEquals(property.resolve("fashion-sd3"), ShippedModels.resolve("fashion-sd3", "--model", places()));
    }

    @Test
    void aModelFoundNowhereNamesEveryPlaceLookedAndTheOverride() {
        DemoException e = assertThrows(DemoException.class,
                () -> ShippedModels.resolve("absent.safetensors", "--classifier", places()));
        String m = e.getMessage();
        assertTrue(m.startsWith("no shipped model absent.safetensors; looked for "
                + env.resolve("absent.safetensors") + " ($MINIDIFFUSION_MODELS), "
                + property.resolve("absent.safetensors") + " (-Dminidiffusion.models), "
                + work.resolve("models/absent.safetensors") + " (the working directory), "
                + image.resolve("models/absent.safetensors") + " (the runtime image); "), m);
        assertTrue(m.endsWith("set MINIDIFFUSION_MODELS to a directory holding absent.safetensors,"
                + " or pass its path with --classifier"), m);
        var unset = new ShippedModels.Places(null, null, work, null);
        String withoutEnv = assertThrows(DemoException.class,
                () -> ShippedModels.resolve("absent.safetensors", null, unset)).getMessage();
        assertTrue(withoutEnv.contains("(the working directory); $MINIDIFFUSION_MODELS is not set;"), withoutEnv);
        assertTrue(withoutEnv.endsWith("a directory holding absent.safetensors"), withoutEnv);
    }

    @Test
    void evaluateWithoutAClassifierFindsTheShippedOneOrSaysWhereItLooked() throws IOException {
        Path unet = tmp.resolve("m.safetensors");
        DemoRun.writeMicroModel(unet, 1);
        ShippedModels.Places current = ShippedModels.Places.current();
        assumeTrue(current.env() == null && current.property() == null
                && !Files.exists(Path.of("models")), "the tests run in demos/, which has no models directory");
        DemoRun run = DemoRun.of("evaluate", "--model", unet.toString(), "--count", "1", "--steps", "1");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: no shipped model fashion-classifier.safetensors; looked for "),
                run.toString());
        assertTrue(run.err().contains("or pass its path with --classifier"), run.toString());
    }
}
