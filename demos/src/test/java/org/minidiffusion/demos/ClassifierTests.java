package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.nn.optim.Adam;

/** The classifier: it learns, it round-trips through its file, and classifier-train runs end to end. */
class ClassifierTests {
    /** A narrow version of the standard architecture, fast enough for unit tests. */
    static final FashionClassifier.Architecture NARROW = new FashionClassifier.Architecture(28, 4, 8, 16, 10);

    @TempDir
    Path dir;

    @Test
    void theLossFallsOnAHandfulOfImages() throws IOException {
        FashionMnist data = FashionMnist.load(DemoRun.DATA, FashionMnist.TEST_SPLIT);
        int[] idx = new int[32];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        FashionMnist.Batch batch = data.batch(idx);
        int[] labels = batch.labels();
        FashionClassifier model = new FashionClassifier(NARROW, new Rng(1));
        Adam adam = Adam.adam(model.parameters(), 3e-3f);
        double first = ClassifierCommand.step(model, adam, batch.images(), labels);
        assertEquals(Math.log(10), first, 0.5, "an untrained 10-class classifier has a loss near ln 10");
        double last = first;
        for (int i = 0; i < 40; i++) {
            last = ClassifierCommand.step(model, adam, batch.images(), labels);
        }
        assertTrue(last < 0.5 * first, "the loss should fall: " + first + " -> " + last);
        int[] predicted = model.classify(batch.images());
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        assertTrue(correct >= 24, "it fits most of the images it trained on: " + correct + "/32");
    }

    @Test
    void theStandardArchitectureHasTheDocumentedShapes() {
        FashionClassifier model = new FashionClassifier(FashionClassifier.Architecture.standard(), new Rng(0));
        Map<String, org.minidiffusion.core.api.Parameter> p = model.parameters();
        assertArrayEquals(new int[] {32, 1, 3, 3}, p.get("conv1.weight").shape().toArray());
        assertArrayEquals(new int[] {64, 32, 3, 3}, p.get("conv2.weight").shape().toArray());
        assertArrayEquals(new int[] {128, 64 * 7 * 7}, p.get("fc1.weight").shape().toArray());
        assertArrayEquals(new int[] {10, 128}, p.get("fc2.weight").shape().toArray());
        assertArrayEquals(new int[] {2, 10}, model.forward(Tensor.zeros(2, 1, 28, 28)).shape().toArray());
    }

    @Test
    void aSavedClassifierLoadsWithItsArchitectureAndAccuracy() throws IOException {
        FashionClassifier model = new FashionClassifier(NARROW, new Rng(2));
        Path file = dir.resolve("c.safetensors");
        model.save(file, Map.of(FashionClassifier.TEST_ACCURACY, "0.9125"));
        FashionClassifier.Loaded loaded = FashionClassifier.load(file);
        assertEquals(NARROW, loaded.model().architecture());
        assertEquals(0.9125, loaded.testAccuracy(), 1e-12);
        assertEquals(NARROW.describe(), loaded.metadata().get("architecture"));
        Tensor x = Tensor.randn(new Rng(3), 4, 1, 28, 28);
        assertArrayEquals(model.forward(x).toArray(), loaded.model().forward(x).toArray(), 0f);
        Path unet = dir.resolve("u.safetensors");
        DemoRun.writeMicroModel(unet, 1);
        assertThrows(DemoException.class, () -> FashionClassifier.load(unet), "a U-Net is not a classifier");
    }

    @Test
    void classifierTrainRunsEndToEndOnATinyDataSet() throws IOException {
        Path data = dir.resolve("data");
        DemoRun.writeIdx(data, "train", 64, 0);
        DemoRun.writeIdx(data, "t10k", 40, 64);
        Path out = dir.resolve("models/classifier.safetensors");
        DemoRun run = DemoRun.of("classifier-train", "--data", data.toString(), "--out", out.toString(), "--batch", "16",
                "--epochs", "2", "--steps", "6");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("epoch 1: mean training loss"), run.toString());
        assertTrue(run.out().contains("test accuracy"), run.toString());
        assertTrue(run.out().contains("step 6/6"), run.toString());
        FashionClassifier.Loaded loaded = FashionClassifier.load(out);
        assertEquals(FashionClassifier.Architecture.standard(), loaded.model().architecture());
        assertTrue(loaded.testAccuracy() >= 0 && loaded.testAccuracy() <= 1, loaded.metadata().toString());
        assertEquals("40", loaded.metadata().get("test_images"));
        assertEquals("6", loaded.metadata().get("steps"));
    }

    @Test
    void classifierTrainWithoutTheTrainingSplitNamesIt() {
        DemoRun run = DemoRun.of("classifier-train", "--data", DemoRun.DATA.toString(), "--out",
                dir.resolve("c.safetensors").toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("train-images-idx3-ubyte"), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void conditionalAccuracyCountsAgreementsPerClass() {
        int[] requested = {0, 0, 1, 1, 2, 2, 2};
        ImageClassifier fake = images -> new int[] {0, 1, 1, 1, 2, 0, 0};
        ConditionalAccuracy a = ConditionalAccuracy.measure(fake, Tensor.zeros(7, 1, 2, 2), requested, 3);
        assertArrayEquals(new int[] {2, 2, 3}, a.requested());
        assertArrayEquals(new int[] {1, 2, 1}, a.correct());
        assertEquals(0.5, a.accuracy(0));
        assertEquals(1.0, a.accuracy(1));
        assertEquals(1.0 / 3, a.accuracy(2), 1e-12);
        assertEquals(4.0 / 7, a.overall(), 1e-12);
        assertEquals(1, a.mostConfusedWith(0));
        assertEquals(-1, a.mostConfusedWith(1));
        assertEquals(0, a.mostConfusedWith(2));
        var table = a.table(java.util.List.of("zero", "one", "two"));
        assertEquals(4, table.size(), table.toString());
        assertTrue(table.get(0).contains("zero") && table.get(0).contains("1/2") && table.get(0).contains("50.0%")
                && table.get(0).contains("mistaken for one (1)"), table.toString());
        assertTrue(table.get(3).contains("overall") && table.get(3).contains("4/7") && table.get(3).contains("57.1%"),
                table.toString());
        assertThrows(IllegalArgumentException.class, () -> ConditionalAccuracy.of(new int[] {0}, new int[] {3}, 3));
    }

    @Test
    void evaluateClassifiesTheGeneratedImages() throws IOException {
        Path unet = dir.resolve("u.safetensors");
        DemoRun.writeMicroModel(unet, 3);
        Path classifier = dir.resolve("c.safetensors");
        new FashionClassifier(NARROW, new Rng(4)).save(classifier, Map.of(FashionClassifier.TEST_ACCURACY, "0.9"));
        DemoRun run = DemoRun.of("evaluate", "--model", unet.toString(), "--classifier", classifier.toString(),
                "--count", "10", "--steps", "1");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().lines().anyMatch(l -> l.trim().startsWith("overall") && l.contains("/10")), run.toString());
        assertTrue(run.out().contains("T-shirt/top"), run.toString());
        assertTrue(run.out().contains("classifier test accuracy on real images (from " + classifier + "): 90.00%"),
                run.toString());
    }

    @Test
    void evaluateNamesAMissingModelFile() throws IOException {
        Path unet = dir.resolve("u.safetensors");
        Path classifier = dir.resolve("c.safetensors");
        DemoRun noClassifier = DemoRun.of("evaluate", "--model", unet.toString(), "--classifier", classifier.toString());
        assertEquals(1, noClassifier.code(), noClassifier.toString());
        assertTrue(noClassifier.err().startsWith("error: no classifier file " + classifier), noClassifier.toString());
        assertTrue(noClassifier.err().contains("classifier-train"), noClassifier.toString());

        new FashionClassifier(NARROW, new Rng(4)).save(classifier, Map.of());
        DemoRun noModel = DemoRun.of("evaluate", "--model", unet.toString(), "--classifier", classifier.toString());
        assertEquals(1, noModel.code(), noModel.toString());
        assertTrue(noModel.err().startsWith("error: no model file " + unet), noModel.toString());
        assertFalse(Files.exists(unet));
    }
}
