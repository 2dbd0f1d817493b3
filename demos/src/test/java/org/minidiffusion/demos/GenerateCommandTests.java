package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Images;

/** The generate command and the sampling helpers, with a micro U-Net written by the test. */
class GenerateCommandTests {
    @TempDir
    Path dir;

    @Test
    void generateWritesAGridWithOneRowPerClass() throws IOException {
        Path model = dir.resolve("m.safetensors");
        DemoRun.writeMicroModel(model, 1);
        Path png = dir.resolve("out/grid.png");
        DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "20", "--steps", "2",
                "--out", png.toString());
        assertEquals(0, run.code(), run.toString());
        Tensor grid = Images.readPng(png);
        assertArrayEquals(new int[] {1, 10 * 30 + 2, 2 * 30 + 2}, grid.shape().toArray(), "10 rows of 2");
        assertTrue(run.out().contains("sampling 20 images (2 per class) with DDPM, 2 steps, guidance 3.0, seed 0"),
                run.toString());
        assertTrue(run.out().contains("sampling step 2/2"), run.toString());
        assertTrue(run.out().contains("on backend '"), "names the backend\n" + run);
        assertTrue(run.out().contains("T-shirt/top, Trouser"), "names the rows\n" + run);
    }

    @Test
    void theSameSeedGivesTheSameImagesAndAnotherSeedOthers() throws IOException {
        Path model = dir.resolve("m.safetensors");
        DemoRun.writeMicroModel(model, 2);
        byte[][] pngs = new byte[3][];
        String[] seeds = {"7", "7", "8"};
        for (int i = 0; i < 3; i++) {
            Path png = dir.resolve("g" + i + ".png");
            DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "3", "--steps", "2",
                    "--sampler", "ddpm", "--seed", seeds[i], "--out", png.toString());
            assertEquals(0, run.code(), run.toString());
            pngs[i] = Files.readAllBytes(png);
        }
        assertArrayEquals(pngs[0], pngs[1]);
        assertFalse(Arrays.equals(pngs[0], pngs[2]));
    }

    @Test
    void aMissingModelFileExitsWithOneAndNamesIt() {
        Path missing = dir.resolve("absent.safetensors");
        DemoRun run = DemoRun.of("generate", "--model", missing.toString(), "--out", dir.resolve("x.png").toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: no model file " + missing), run.toString());
        assertTrue(run.err().contains("'train'"), "says how to get one\n" + run);
        assertFalse(run.hasStackTrace(), run.toString());
        assertFalse(Files.exists(dir.resolve("x.png")));
    }

    @Test
    void theDefaultModelIsTheShippedOneAndItsAbsenceNamesEveryPlaceLooked() {
        assertEquals("fashion-unet.safetensors", GenerateCommand.DEFAULT_MODEL);
        ShippedModels.Places places = ShippedModels.Places.current();
        assumeTrue(places.env() == null && places.property() == null
                && !Files.exists(Path.of(ShippedModels.DIRECTORY, GenerateCommand.DEFAULT_MODEL)),
                "the tests run in demos/, where no models directory is found");
        DemoRun run = DemoRun.of("generate", "--steps", "1", "--count", "1", "--out", dir.resolve("x.png").toString());
        assertEquals(1, run.code(), run.toString());
        Path looked = Path.of(ShippedModels.DIRECTORY, GenerateCommand.DEFAULT_MODEL).toAbsolutePath();
        assertTrue(run.err().startsWith("error: no shipped model fashion-unet.safetensors; looked for " + looked
                + " (the working directory); $MINIDIFFUSION_MODELS is not set;"), run.toString());
        assertTrue(run.err().endsWith("or pass its path with --model" + System.lineSeparator()), run.toString());
        assertEquals("", run.out(), "fails before choosing a backend\n" + run);
        assertFalse(Files.exists(dir.resolve("x.png")));
    }

    @Test
    void badSamplingOptionsAreUsageErrors() {
        DemoRun eta = DemoRun.of("generate", "--sampler", "ddpm", "--eta", "0.5");
        assertEquals(2, eta.code(), eta.toString());
        assertTrue(eta.err().startsWith("error: --eta applies to --sampler ddim only"), eta.toString());
        DemoRun sampler = DemoRun.of("generate", "--sampler", "euler");
        assertEquals(2, sampler.code(), sampler.toString());
        DemoRun guidance = DemoRun.of("generate", "--guidance", "-1");
        assertEquals(2, guidance.code(), guidance.toString());
        DemoRun count = DemoRun.of("generate", "--count", "0");
        assertEquals(2, count.code(), count.toString());
    }

    @Test
    void labelsAreSpreadOverTheClassesInOrder() {
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, Sampling.labelsInClassOrder(5, 3));
        assertArrayEquals(new int[] {0, 1}, Sampling.labelsInClassOrder(2, 10));
        int[] hundred = Sampling.labelsInClassOrder(100, 10);
        for (int i = 0; i < 100; i++) {
            assertEquals(i / 10, hundred[i]);
        }
    }

    @Test
    void aClassGridPutsEachClassOnItsOwnRow() {
        // five 1x1 "images" with values 0.1 .. 0.5, classes 0, 0, 1, 1, 2
        Tensor images = Tensor.of(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, 5, 1, 1, 1);
        Tensor grid = Sampling.classGrid(images, new int[] {0, 0, 1, 1, 2}, 3);
        int p = Sampling.GRID_PADDING;
        assertArrayEquals(new int[] {1, 3 * (1 + p) + p, 2 * (1 + p) + p}, grid.shape().toArray());
        int w = grid.size(2);
        float[] g = grid.toArray();
        float[][] expected = {{0.1f, 0.2f}, {0.3f, 0.4f}, {0.5f, Sampling.GRID_PAD_VALUE}};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 2; c++) {
                assertEquals(expected[r][c], g[(p + r * (1 + p)) * w + p + c * (1 + p)], "cell " + r + "," + c);
            }
        }
    }

    @Test
    void chunkingDoesNotChangeTheShapeAndIsDeterministic() {
        var unet = new org.minidiffusion.diffusion.unet.UNet(ModelSize.MICRO.config(28, 1, 10), new Rng(4));
        var sampler = SamplerKind.DDIM.create(org.minidiffusion.diffusion.NoiseSchedule.of(
                org.minidiffusion.diffusion.BetaSchedule.COSINE, 1000), org.minidiffusion.diffusion.PredictionType.EPSILON, 0);
        int[] labels = Sampling.labelsInClassOrder(5, 10);
        long[] calls = new long[2];
        Tensor a = Sampling.generate(unet, sampler, 2, labels, 2f, 3, 2, (done, total) -> {
            calls[0] = done;
            calls[1] = total;
        });
        Tensor b = Sampling.generate(unet, sampler, 2, labels, 2f, 3, 2, (done, total) -> { });
        assertArrayEquals(new int[] {5, 1, 28, 28}, a.shape().toArray());
        assertArrayEquals(a.toArray(), b.toArray(), 0f);
        assertArrayEquals(new long[] {6, 6}, calls, "3 chunks of 2 steps");
    }
}
