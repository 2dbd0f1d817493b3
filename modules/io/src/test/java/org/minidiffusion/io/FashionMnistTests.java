package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

class FashionMnistTests {
    private static FashionMnist test;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        test = FashionMnist.load(IdxTests.DATA, FashionMnist.TEST_SPLIT);
    }

    @Test
    void theCommittedTestSplitHasKnownSizesAndLabels() {
        assertEquals(10_000, test.size());
        assertEquals(28, test.height());
        assertEquals(28, test.width());
        int[] labels = test.labels();
        assertEquals(10_000, labels.length);
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, Arrays.copyOf(labels, 10));
        assertEquals(5, test.label(9_999));
        int[] counts = counts(labels);
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, counts[c], "class " + c);
        }
        labels[0] = 3;
        assertEquals(9, test.label(0), "labels() returns a copy");
        assertEquals("Ankle boot", FashionMnist.className(test.label(0)));
        assertEquals(10, FashionMnist.CLASS_NAMES.size());
    }

    @Test
    void imagesAreScaledToMinusOneToOne() {
        Tensor image = test.image(0);
        assertEquals(Shape.of(1, 28, 28), image.shape());
        assertEquals(33_456, Math.round(pixelSum(image)));
        assertEquals(24_390, Math.round(pixelSum(test.image(9_999))));
        float[] values = image.toArray();
        assertEquals(-1f, values[0]);
        // Row 14 of image 0 holds 0, 0, 0, 0, 0, 0, 2, 4, 1, 0, 0, 0, 98, ...
        assertEquals(2 / 127.5f - 1f, values[14 * 28 + 6]);
        assertEquals(98 / 127.5f - 1f, values[14 * 28 + 12]);
    }

    @Test
    void unitPixelsAreTheBytesOver255() {
        float[] unit = test.unitPixels(0);
        assertEquals(28 * 28, unit.length);
        assertEquals(0f, unit[0]);
        assertEquals(2 / 255f, unit[14 * 28 + 6]);
        assertEquals(98 / 255f, unit[14 * 28 + 12]);
        float[] scaled = test.image(9_999).toArray();
        float[] unit9999 = test.unitPixels(9_999);
        for (int p = 0; p < unit9999.length; p++) {
            assertEquals((scaled[p] + 1f) / 2f, unit9999[p], 1e-6f, "pixel " + p);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> test.unitPixels(10_000));
    }

    @Test
    void batchesStackImagesAndLabelsInIndexOrder() {
        FashionMnist.Batch batch = test.batch(9_999, 0, 0);
        assertEquals(Shape.of(3, 1, 28, 28), batch.images().shape());
        assertArrayEquals(new int[] {5, 9, 9}, batch.labels());
        assertEquals(9, batch.label(2));
        batch.labels()[0] = 0;
        assertArrayEquals(new int[] {5, 9, 9}, batch.labels(), "labels() returns a copy");
        int[] given = {1, 2};
        FashionMnist.Batch own = new FashionMnist.Batch(batch.images(), given);
        given[0] = 7;
        assertArrayEquals(new int[] {1, 2}, own.labels(), "the record copies the array it is given");
        float[] values = batch.images().toArray();
        float[] last = test.image(9_999).toArray();
        float[] first = test.image(0).toArray();
        for (int p = 0; p < 784; p++) {
            assertEquals(last[p], values[p]);
            assertEquals(first[p], values[784 + p]);
            assertEquals(first[p], values[2 * 784 + p]);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> test.batch(0, 10_000));
        assertThrows(IndexOutOfBoundsException.class, () -> test.image(-1));
    }

    @Test
    void mismatchedCountsNameBothFilesAndCounts() throws IOException {
        Path images = Files.write(dir.resolve("images.idx"), HexFormat.of().parseHex("00000803" + "00000003"
                + "00000001" + "00000001" + "010203"));
        Path labels = Files.write(dir.resolve("labels.idx"), HexFormat.of().parseHex("00000801" + "00000002" + "0001"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> FashionMnist.load(images, labels));
        assertEquals(labels + ": has 2 labels but the images file " + images + " has 3 images", e.getMessage());
    }

    @Test
    void rejectsWrongShapesAndLabels() throws IOException {
        Path flat = Files.write(dir.resolve("flat.idx"), HexFormat.of().parseHex("00000801" + "00000001" + "0a"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> FashionMnist.load(flat, flat));
        assertTrue(e.getMessage().contains("expected images of shape (N, H, W), found (1)"), e.getMessage());
        Path image = Files.write(dir.resolve("one.idx"), HexFormat.of().parseHex("00000803" + "00000001"
                + "00000001" + "00000001" + "00"));
        e = assertThrows(FileFormatException.class, () -> FashionMnist.load(image, flat));
        assertEquals(flat + ": expected labels 0 to 9, found 10 at index 0", e.getMessage());
    }

    @Test
    void rejectsUnknownSplitsAndMissingFiles() {
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(IdxTests.DATA, "validation"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> FashionMnist.load(dir, FashionMnist.TRAIN_SPLIT));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }

    @Test
    void theSystemTrainingSplitHasSixThousandImagesPerClass() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "dataset-fashion-mnist is not installed");
        FashionMnist train = FashionMnist.load(FashionMnist.SYSTEM_DIR, FashionMnist.TRAIN_SPLIT);
        assertEquals(60_000, train.size());
        int[] counts = counts(train.labels());
        for (int c = 0; c < 10; c++) {
            assertEquals(6000, counts[c], "class " + c);
        }
        assertEquals(76_247, Math.round(pixelSum(train.image(0))));
    }

    private static int[] counts(int[] labels) {
        int[] counts = new int[10];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    private static double pixelSum(Tensor image) {
        double sum = 0;
        for (float v : image.toArray()) {
            sum += (v + 1) * 127.5;
        }
        return sum;
    }
}
