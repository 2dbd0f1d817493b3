package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

class ImagesTests {
    @TempDir
    Path dir;

    @Test
    void greyRoundTripIsExactOnThe255Grid() throws IOException {
        float[] values = new float[256];
        for (int k = 0; k < 256; k++) {
            values[k] = onGrid(k);
        }
        Path file = dir.resolve("grey.png");
        Images.writePng(file, Tensor.of(values, 1, 16, 16));

        Tensor read = Images.readPng(file);
        assertEquals(Shape.of(1, 16, 16), read.shape());
        assertArrayEquals(values, read.toArray());
        byte[] png = Files.readAllBytes(file);
        assertEquals(8, png[24], "bit depth");
        assertEquals(0, png[25], "PNG colour type greyscale");
    }

    @Test
    void aRankTwoTensorIsWrittenAsGrey() throws IOException {
        Path file = dir.resolve("hw.png");
        Images.writePng(file, Tensor.of(new float[] {-1, 1, onGrid(7), onGrid(200), -1, 1}, 2, 3));
        Tensor read = Images.readPng(file);
        assertEquals(Shape.of(1, 2, 3), read.shape());
        assertArrayEquals(new float[] {-1, 1, onGrid(7), onGrid(200), -1, 1}, read.toArray());
    }

    @Test
    void rgbRoundTripIsExactAndStaysRgbEvenWhenGrey() throws IOException {
        float[] values = new float[3 * 4 * 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = onGrid((i * 37) % 256);
        }
        Path file = dir.resolve("rgb.png");
        Images.writePng(file, Tensor.of(values, 3, 4, 5));
        Tensor read = Images.readPng(file);
        assertEquals(Shape.of(3, 4, 5), read.shape());
        assertArrayEquals(values, read.toArray());
        assertEquals(2, Files.readAllBytes(file)[25], "PNG colour type RGB");

        Images.writePng(file, Tensor.zeros(3, 2, 2));
        assertEquals(Shape.of(3, 2, 2), Images.readPng(file).shape());
    }

    @Test
    void valuesOutsideTheRangeAreClampedAndNanIsBlack() throws IOException {
        Path file = dir.resolve("clamp.png");
        Images.writePng(file, Tensor.of(new float[] {-5, 5, Float.NaN, 0}, 1, 4));
        assertArrayEquals(new float[] {-1, 1, -1, onGrid(128)}, Images.readPng(file).toArray());
    }

    @Test
    void aCustomRangeMapsToTheFullScale() throws IOException {
        Path file = dir.resolve("unit.png");
        float[] values = {0f, 1f, 51 / 255f, 1.5f};
        Images.writePng(file, Tensor.of(values, 2, 2), 0f, 1f);
        assertArrayEquals(new float[] {0f, 1f, 51 / 255f, 1f}, Images.readPng(file, 0f, 1f).toArray());
        assertThrows(IllegalArgumentException.class, () -> Images.writePng(file, Tensor.zeros(2, 2), 1f, 1f));
    }

    @Test
    void badShapesNameTheOpAndShape() {
        for (Tensor bad : List.of(Tensor.zeros(2, 3, 4), Tensor.zeros(5), Tensor.zeros(1, 1, 2, 2),
                Tensor.zeros(0, 3))) {
            ShapeException e = assertThrows(ShapeException.class, () -> Images.writePng(dir.resolve("x.png"), bad));
            assertEquals("writePng: expected a non-empty image of shape (H, W), (1, H, W) or (3, H, W): "
                    + bad.shape(), e.getMessage());
        }
    }

    @Test
    void ioErrorsNameTheFile() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.png"), "not a PNG at all");
        FileFormatException e = assertThrows(FileFormatException.class, () -> Images.readPng(text));
        assertTrue(e.getMessage().startsWith(text + ": not a readable PNG"), e.getMessage());
        Path missing = dir.resolve("no/such/dir/out.png");
        NoSuchFileException n = assertThrows(NoSuchFileException.class,
                () -> Images.writePng(missing, Tensor.zeros(2, 2)));
        assertTrue(n.getMessage().contains("out.png"), n.getMessage());
    }

    @Test
    void writingReplacesTheFileWithoutLeavingTemporaryFiles() throws IOException {
        Path file = dir.resolve("img.png");
        Images.writePng(file, Tensor.zeros(2, 2));
        Images.writePng(file, Tensor.ones(3, 2));
        assertEquals(Shape.of(1, 3, 2), Images.readPng(file).shape());
        assertEquals(List.of(file), SafetensorsTests.listing(dir));
    }

    @Test
    void gridPlacesImagesRowByRowWithPadding() {
        Tensor batch = Tensor.arange(1, 13, 1).reshape(3, 1, 2, 2);
        Tensor grid = Images.grid(batch, 2, 1, -1f);
        assertEquals(Shape.of(1, 7, 7), grid.shape());
        float o = -1;
        assertArrayEquals(new float[] {
            o, o, o, o, o, o, o,
            o, 1, 2, o, 5, 6, o,
            o, 3, 4, o, 7, 8, o,
            o, o, o, o, o, o, o,
            o, 9, 10, o, o, o, o,
            o, 11, 12, o, o, o, o,
            o, o, o, o, o, o, o}, grid.toArray());
    }

    @Test
    void gridKeepsChannelsAndUsesAtMostNColumns() {
        // Two 1x1 RGB images: (r, g, b) = (1, 2, 3) and (4, 5, 6).
        Tensor batch = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3, 1, 1);
        Tensor grid = Images.grid(batch, 8, 0, 0f);
        assertEquals(Shape.of(3, 1, 2), grid.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, grid.toArray());
        assertEquals(batch.backend(), grid.backend());
    }

    @Test
    void gridRejectsBadArguments() {
        ShapeException e = assertThrows(ShapeException.class, () -> Images.grid(Tensor.zeros(3, 2, 2), 2, 1, 0f));
        assertEquals("grid: expected a non-empty batch of shape (N, C, H, W): (3, 2, 2)", e.getMessage());
        assertThrows(ShapeException.class, () -> Images.grid(Tensor.zeros(0, 1, 2, 2), 2, 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> Images.grid(Tensor.zeros(1, 1, 2, 2), 0, 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> Images.grid(Tensor.zeros(1, 1, 2, 2), 1, -1, 0f));
    }

    private static float onGrid(int k) {
        return -1f + 2f * k / 255f;
    }
}
