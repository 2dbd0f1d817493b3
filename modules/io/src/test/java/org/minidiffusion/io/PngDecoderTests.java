package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the PNG decoder against the JDK's ImageIO reader on every colour type, bit depth and
 * both interlace methods, with random pixels so that every row filter occurs.
 */
class PngDecoderTests {
    @TempDir
    Path dir;

    @Test
    void everyColourTypeBitDepthAndInterlaceMatchesImageIo() throws IOException {
        Random random = new Random(42);
        int checked = 0;
        for (BufferedImage image : images(random)) {
            for (boolean interlaced : new boolean[] {false, true}) {
                Path file = dir.resolve("case" + checked + ".png");
                write(image, file, interlaced);
                BufferedImage reference = ImageIO.read(file.toFile());
                PngDecoder.Image decoded = PngDecoder.decode(file, Images.Limits.DEFAULT, 0f, 1f);
                String what = "case " + checked + " (" + describe(image) + (interlaced ? ", interlaced" : "") + ")";
                assertEquals(reference.getHeight(), decoded.height(), what);
                assertEquals(reference.getWidth(), decoded.width(), what);
                int colourType = java.nio.file.Files.readAllBytes(file)[25];
                assertArrayEquals(expected(reference, colourType == 0 || colourType == 4 ? 1 : 3), decoded.values(),
                        what + ", PNG colour type " + colourType);
                checked++;
            }
        }
        assertEquals(2 * 11, checked);
    }

    @Test
    void scalesSamplesIntoTheGivenRange() throws IOException {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 51);
        grey.getRaster().setSample(1, 0, 0, 255);
        Path file = dir.resolve("grey.png");
        write(grey, file, false);
        PngDecoder.Image image = PngDecoder.decode(file, Images.Limits.DEFAULT, -1f, 1f);
        assertArrayEquals(new float[] {-1f + 2f * 51 / 255f, 1f}, image.values());
        assertEquals(1, image.channels());
    }

    private static List<BufferedImage> images(Random random) {
        List<BufferedImage> images = new ArrayList<>();
        int w = 13;
        int h = 11;
        for (int bits : new int[] {1, 2, 4}) {
            images.add(fill(grey(w, h, bits, DataBuffer.TYPE_BYTE), random));
        }
        images.add(fill(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), random));
        images.add(fill(new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY), random));
        images.add(fill(new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR), random));
        images.add(fill(new BufferedImage(w, h, BufferedImage.TYPE_4BYTE_ABGR), random));
        images.add(fill(component(w, h, ColorSpace.CS_sRGB, false, DataBuffer.TYPE_USHORT), random));
        images.add(fill(component(w, h, ColorSpace.CS_sRGB, true, DataBuffer.TYPE_USHORT), random));
        images.add(fill(component(w, h, ColorSpace.CS_GRAY, true, DataBuffer.TYPE_BYTE), random));
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        random.nextBytes(r);
        random.nextBytes(g);
        random.nextBytes(b);
        images.add(fill(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY, new IndexColorModel(4, 16, r, g, b)),
                random));
        return images;
    }

    private static BufferedImage grey(int w, int h, int bits, int type) {
        byte[] levels = new byte[1 << bits];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = (byte) (i * 255 / (levels.length - 1));
        }
        return new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY,
                new IndexColorModel(bits, levels.length, levels, levels, levels));
    }

    private static BufferedImage component(int w, int h, int space, boolean alpha, int type) {
        ColorModel cm = new ComponentColorModel(ColorSpace.getInstance(space), alpha, false,
                alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, type);
        return new BufferedImage(cm, cm.createCompatibleWritableRaster(w, h), false, null);
    }

    private static BufferedImage fill(BufferedImage image, Random random) {
        WritableRaster raster = image.getRaster();
        for (int band = 0; band < raster.getNumBands(); band++) {
            int max = (1 << raster.getSampleModel().getSampleSize(band)) - 1;
            for (int y = 0; y < raster.getHeight(); y++) {
                for (int x = 0; x < raster.getWidth(); x++) {
                    raster.setSample(x, y, band, random.nextInt(max + 1));
                }
            }
        }
        return image;
    }

    private static void write(BufferedImage image, Path file, boolean interlaced) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(interlaced ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }

    /** The values the decoder should give in {@code [0, 1]}: samples as stored, palettes looked up. */
    private static float[] expected(BufferedImage image, int channels) {
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        int w = image.getWidth();
        int h = image.getHeight();
        if (cm instanceof IndexColorModel palette) {
            float[] values = new float[channels * w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = palette.getRGB(raster.getSample(x, y, 0));
                    for (int c = 0; c < channels; c++) {
                        values[c * w * h + y * w + x] = ((rgb >> (16 - 8 * c)) & 0xff) / 255f;
                    }
                }
            }
            return values;
        }
        float[] values = new float[channels * w * h];
        for (int c = 0; c < channels; c++) {
            float max = (1 << raster.getSampleModel().getSampleSize(c)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    values[c * w * h + y * w + x] = raster.getSample(x, y, c) / max;
                }
            }
        }
        return values;
    }

    private static String describe(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        return cm.getClass().getSimpleName() + " " + cm.getNumComponents() + " components, "
                + image.getSampleModel().getSampleSize(0) + " bits";
    }
}
