package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Images;
import org.minidiffusion.sd3.GenerationRequest;
import org.minidiffusion.sd3.TextToImagePipeline;

/** The txt2img command, with a tiny random model directory written by the test. */
class TextToImageCommandTests {
    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModel() throws IOException {
        model = DemoRun.writeTinyTextToImageModel(shared.resolve("tiny-sd3"), 1);
    }

    @Test
    void writesAGridWithARowPerPromptAndTheImagesOfThePipeline() throws IOException {
        Path png = dir.resolve("out/grid.png");
        DemoRun run = DemoRun.of("txt2img", "a photo of a dark sneaker", "--model", model.toString(), "a pair of pants",
                "--count", "3", "--steps", "2", "--seed", "5", "--out", png.toString());
        assertEquals(0, run.code(), run.toString());
        Tensor grid = Images.readPng(png, 0f, 1f);
        assertArrayEquals(new int[] {1, 2 * 30 + 2, 3 * 30 + 2}, grid.shape().toArray(), "2 rows of 3");
        assertTrue(run.out().contains("drawing 3 images of 2 prompts with euler, 2 steps, shift 3.0, guidance 4.0, seed 5"),
                run.toString());
        assertTrue(run.out().contains("sampling step 2/2") && run.out().contains("on backend '"), run.toString());
        assertTrue(run.out().contains("wrote " + png + " (92x62 pixels"), run.toString());
        assertEquals("", run.err(), "no warning for caption words");

        // the cell of prompt 2, image 1 is the pipeline's image, to the PNG's 8 bits
        Tensor images = TextToImagePipeline.load(model).generate(GenerationRequest.of(
                List.of("a photo of a dark sneaker", "a pair of pants")).withCount(3).withSteps(2).withSeed(5));
        float[] expected = images.narrow(0, 4, 1).toArray();
        float[] g = grid.toArray();
        int w = grid.size(2);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                float actual = g[(2 + 30 + y) * w + 2 + 30 + x];
                assertEquals(expected[y * 28 + x], actual, 1f / 255 + 1e-6f, "pixel " + y + "," + x);
            }
        }
    }

    @Test
    void aPromptWithUnknownWordsWarnsInOneLineAndStillDraws() {
        Path png = dir.resolve("x.png");
        DemoRun run = DemoRun.of("txt2img", "a purple zeppelin", "--model", model.toString(), "--steps", "1",
                "--out", png.toString());
        assertEquals(0, run.code(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(run.err().startsWith("warning: \"a purple zeppelin\": the words \"purple\", \"zeppelin\" are not in any"
                + " training caption"), run.toString());
        assertTrue(Files.exists(png));
    }

    @Test
    void showTokensPrintsBothTokenizersAndTheSigmasAndDrawsNothing() {
        Path png = dir.resolve("none.png");
        DemoRun run = DemoRun.of("txt2img", "a dark bag", "--model", model.toString(), "--show-tokens", "--steps", "4",
                "--negative", "a coat", "--out", png.toString());
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("prompt \"a dark bag\":") && run.out().contains("  CLIP (")
                && run.out().contains("  T5 (") && run.out().contains("negative prompt \"a coat\":"), run.toString());
        assertTrue(run.out().contains("sigmas (4 euler steps, shift 3.0, 4 model evaluations per image): 1.0000 "),
                run.toString());
        assertTrue(run.out().contains(" 0.0000\ntimesteps (sigma x 1000): 1000.0 ") || run.out().contains(" 0.0000"
                + System.lineSeparator() + "timesteps (sigma x 1000): 1000.0 "), run.toString());
        assertFalse(Files.exists(png), "--show-tokens draws nothing");
    }

    @Test
    void aMissingModelDirectoryNamesItAndTheCommandThatMakesIt() {
        Path missing = dir.resolve("no-model");
        DemoRun run = DemoRun.of("txt2img", "a bag", "--model", missing.toString());
        assertEquals(1, run.code(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(run.err().startsWith("error: no text-to-image model directory " + missing), run.toString());
        assertTrue(run.err().contains("'train-t2i'"), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void aBrokenModelDirectoryNamesTheFile() throws IOException {
        Path copy = DemoRun.writeTinyTextToImageModel(dir.resolve("m"), 2);
        Files.delete(copy.resolve("vae/config.json"));
        DemoRun run = DemoRun.of("txt2img", "a bag", "--model", copy.toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains(copy.resolve("vae/config.json").toString()), run.toString());
    }

    @Test
    void badOptionsAreUsageErrors() {
        for (String[] args : new String[][] {
            {"txt2img", "a bag", "--sampler", "ddim"},
            {"txt2img", "--count", "0"},
            {"txt2img", "--steps", "many"},
            {"txt2img", "--guidance", "-1"},
            {"txt2img", "--shift", "0"},
            {"txt2img", "--show-tokens=yes"},
            {"txt2img", "--colour", "red"},
            {"txt2img", "--negative", " "},
            {"txt2img", "a bag", "--seed"}}) {
            DemoRun run = DemoRun.of(args);
            assertEquals(2, run.code(), String.join(" ", args) + "\n" + run);
            assertTrue(run.err().startsWith("error: ") && run.err().contains("(see 'minidiffusion txt2img --help')"), run.toString());
        }
    }

    @Test
    void promptsAreTheArgumentsThatAreNotOptionsAndAllArgumentsAfterTwoDashes() {
        Cli.Invocation p = Demos.parse("txt2img", "a bag", "--steps", "3", "--show-tokens", "a coat", "--model", "m",
                "--", "--count", "x");
        assertEquals(List.of("a bag", "a coat", "--count", "x"), p.arguments());
        TextToImageCommand.Settings s = TextToImageCommand.parse(p);
        assertEquals(3, s.steps());
        assertTrue(s.showTokens());
        assertEquals(Path.of("m"), s.model());
        TextToImageCommand.Settings defaults = TextToImageCommand.parse(Demos.parse("txt2img", "--model", "m"));
        assertEquals(EvaluatePromptsCommand.defaultPrompts(), defaults.prompts());
        assertEquals(20, defaults.steps());
        assertEquals(4.0, defaults.guidance());
        assertEquals(1, defaults.count());
        assertEquals(0, defaults.seed());
        assertTrue(Double.isNaN(defaults.shift()));
        assertEquals("", defaults.negative());
        assertEquals(Path.of("txt2img.png"), defaults.out());
    }

    @Test
    void withoutModelTheShippedModelIsLookedUpAndItsAbsenceNamesEveryPlaceLooked() {
        ShippedModels.Places places = ShippedModels.Places.current();
        assumeTrue(places.env() == null && places.property() == null
                && !Files.exists(Path.of(ShippedModels.DIRECTORY, TextToImageCommand.DEFAULT_MODEL)),
                "the tests run in demos/, where no models directory is found");
        for (String command : List.of("txt2img", "evaluate-prompts")) {
            DemoRun run = DemoRun.of(command, "a bag", "--steps", "1");
            assertEquals(1, run.code(), run.toString());
            Path looked = Path.of(ShippedModels.DIRECTORY, TextToImageCommand.DEFAULT_MODEL).toAbsolutePath();
            assertTrue(run.err().startsWith("error: no shipped model fashion-sd3; looked for " + looked
                    + " (the working directory); $MINIDIFFUSION_MODELS is not set;"), run.toString());
            assertEquals("", run.out(), "fails before choosing a backend\n" + run);
        }
    }
}
