package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.sd3.GenerationRequest;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.FashionClass;
import org.minidiffusion.text.caption.Tone;

/** The evaluate-prompts command, with a tiny random model and a stub or random classifier. */
class EvaluatePromptsCommandTests {
    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModel() throws IOException {
        model = DemoRun.writeTinyTextToImageModel(shared.resolve("tiny-sd3"), 3);
    }

    private static EvaluatePromptsCommand.Settings settings(String... args) throws IOException {
        return EvaluatePromptsCommand.parse(Demos.parse(args));
    }

    @Test
    void theDefaultPromptsAreHeldOutOnePerClassAndMostNameATone() {
        List<String> prompts = EvaluatePromptsCommand.defaultPrompts();
        assertEquals(10, prompts.size());
        int toned = 0;
        for (int label = 0; label < 10; label++) {
            Tone tone = EvaluatePromptsCommand.DEFAULT_TONES.get(label % 3);
            assertEquals(Optional.of(new Captioner.Parsed(FashionClass.of(label), tone)), Captioner.parse(prompts.get(label)),
                    prompts.get(label));
            assertTrue(Captioner.evaluationPrompts(label, tone).contains(prompts.get(label)));
            toned += tone == Tone.NONE ? 0 : 1;
        }
        assertEquals(7, toned);
    }

    /**
     * A stub classifier that calls everything a trouser: the trousers prompt scores all its images,
     * the bag none; the tone counts are those measured on the pipeline's own images.
     */
    @Test
    void sharesAreCountedPerPromptAndOverall() throws IOException {
        List<String> prompts = List.of("a pair of dark trousers", "a bag");
        EvaluatePromptsCommand.Settings s = settings("evaluate-prompts", prompts.get(0), prompts.get(1), "--model",
                model.toString(), "--seeds", "3", "--steps", "2", "--out", dir.resolve("grid.png").toString(),
                "--classifier", "stub");
        ImageClassifier trousers = images -> {
            float[] v = images.toArray();
            for (float x : v) {
                assertTrue(x >= -1 && x <= 1, "the classifier gets [-1, 1]");
            }
            return new int[images.size(0)];
        };
        ImageClassifier allTrousers = images -> {
            int[] labels = trousers.classify(images);
            java.util.Arrays.fill(labels, FashionClass.TROUSER.label());
            return labels;
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        EvaluatePromptsCommand.Result r = EvaluatePromptsCommand.run(s, allTrousers, 28, 0.9,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);

        TextToImagePipeline pipeline = TextToImagePipeline.load(model);
        int darkTrousers = 0;
        for (int seed = 0; seed < 3; seed++) {
            Tensor images = pipeline.generate(GenerationRequest.of(prompts).withSteps(2).withSeed(seed));
            darkTrousers += Tone.measure(FashionClass.TROUSER.label(), images.narrow(0, 0, 1).toArray()) == Tone.DARK ? 1 : 0;
        }
        EvaluatePromptsCommand.PromptScore first = r.scores().get(0);
        assertEquals(new EvaluatePromptsCommand.PromptScore(prompts.get(0), FashionClass.TROUSER, Tone.DARK, 3, 3,
                darkTrousers), first);
        assertEquals(new EvaluatePromptsCommand.PromptScore("a bag", FashionClass.BAG, Tone.NONE, 3, 0, 0),
                r.scores().get(1));
        assertEquals(0.5, r.classAccuracy());
        assertEquals(darkTrousers / 3.0, r.toneAccuracy(), 1e-12);
        assertTrue(text.contains("a pair of dark trousers") && text.contains("Trouser") && text.contains("  3/3   100.0%"),
                text);
        assertTrue(text.contains("overall") && text.contains("  3/6    50.0%"), text);
        assertTrue(text.contains("classifier test accuracy on real images: 90.00%"), text);
        assertTrue(Files.exists(dir.resolve("grid.png")), text);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aWholeRunWithAClassifierFile() throws IOException {
        Path classifier = dir.resolve("classifier.safetensors");
        new FashionClassifier(FashionClassifier.Architecture.standard(), new Rng(0)).save(classifier,
                Map.of(FashionClassifier.TEST_ACCURACY, "0.5"));
        Path prompts = Files.writeString(dir.resolve("prompts.txt"), "# two prompts\na light coat\n\nsneakers\n");
        DemoRun run = DemoRun.of("evaluate-prompts", "--prompts", prompts.toString(), "--model", model.toString(),
                "--seeds", "2", "--steps", "1", "--classifier", classifier.toString());
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("drawing 2 prompts with seeds 0..1"), run.toString());
        assertTrue(run.out().contains("a light coat") && run.out().contains("sneakers") && run.out().contains("overall"),
                run.toString());
    }

    @Test
    void aPromptWithoutAClassIsRefusedByName() {
        DemoRun run = DemoRun.of("evaluate-prompts", "a red car", "--model", model.toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: the prompt \"a red car\" names no Fashion-MNIST class"), run.toString());
    }

    @Test
    void promptsComeFromArgumentsOrAFileNotBoth() throws IOException {
        Path prompts = Files.writeString(dir.resolve("p.txt"), "a bag\n");
        DemoRun run = DemoRun.of("evaluate-prompts", "a coat", "--prompts", prompts.toString());
        assertEquals(2, run.code(), run.toString());
        Path empty = Files.writeString(dir.resolve("empty.txt"), "# nothing\n\n");
        run = DemoRun.of("evaluate-prompts", "--prompts", empty.toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("holds no prompt"), run.toString());
        run = DemoRun.of("evaluate-prompts", "--seeds", "0");
        assertEquals(2, run.code(), run.toString());
        assertEquals(List.of("a bag"), settings("evaluate-prompts", "--prompts", prompts.toString(), "--model", "m",
                "--classifier", "c").draw().prompts());
        assertEquals(10, settings("evaluate-prompts", "--model", "m", "--classifier", "c").draw().count(), "10 seeds by default");
    }
}
