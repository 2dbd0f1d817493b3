package org.minidiffusion.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.minidiffusion.core.api.Tensor;

/**
 * An image-classification dataset in the MNIST layout, such as Fashion-MNIST: greyscale images
 * with labels 0 to 9, loaded from a pair of IDX files.
 *
 * <p>Pixels are stored as bytes and become tensors only in {@link #image(int)} and
 * {@link #batch(int...)}, scaled from {@code [0, 255]} to {@code [-1, 1]} as {@code x / 127.5 - 1}.
 * Tensors are created on the {@linkplain org.minidiffusion.core.api.Backends#current() current
 * backend}.
 *
 * <p>The repository ships the 10,000-image test split in {@link #DEFAULT_DIR}; the 60,000-image
 * training split is in {@link #SYSTEM_DIR} after {@code apt-get install dataset-fashion-mnist}.
 */
public final class FashionMnist {
    /** The repository's copy of the test split, relative to the working directory. */
    public static final Path DEFAULT_DIR = Path.of("data", "fashion-mnist");

    /** Where Debian's {@code dataset-fashion-mnist} package installs both splits. */
    public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The name of the 10,000-image test split. */
    public static final String TEST_SPLIT = "t10k";

    /** The name of the 60,000-image training split. */
    public static final String TRAIN_SPLIT = "train";

    /** The Fashion-MNIST class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * Images and their labels, as returned by {@link #batch(int...)}.
     *
     * <p>The record keeps its own copy of the labels and {@link #labels()} returns a fresh copy,
     * so neither the caller's array nor the returned one can change it.
     *
     * @param images the images, shape {@code (B, 1, H, W)}, values in {@code [-1, 1]}
     * @param labels the labels, one per image
     */
    public record Batch(Tensor images, int[] labels) {
        /**
         * Creates a batch, copying the labels.
         *
         * @param images the images
         * @param labels the labels, one per image
         */
        public Batch {
            Objects.requireNonNull(images, "images");
            labels = labels.clone();
        }

        /**
         * Returns the labels.
         *
         * @return a copy of the labels, one per image
         */
        @Override
        public int[] labels() {
            return labels.clone();
        }

        /**
         * Returns one label without copying the array.
         *
         * @param index the position in the batch
         * @return its label, 0 to 9
         */
        public int label(int index) {
            return labels[index];
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Batch b && images.equals(b.images) && Arrays.equals(labels, b.labels);
        }

        @Override
        public int hashCode() {
            return 31 * images.hashCode() + Arrays.hashCode(labels);
        }

        @Override
        public String toString() {
            return "Batch[images=" + images.shape() + ", labels=" + Arrays.toString(labels) + "]";
        }
    }

    private final byte[] pixels;
    private final int height;
    private final int width;
    private final int[] labels;

    private FashionMnist(byte[] pixels, int height, int width, int[] labels) {
        this.pixels = pixels;
        this.height = height;
        this.width = width;
        this.labels = labels;
    }

    /**
     * Loads one split from a directory holding files named as in the original distribution.
     *
     * <p>It reads {@code <split>-images-idx3-ubyte.gz} and {@code <split>-labels-idx1-ubyte.gz},
     * or the same names without {@code .gz}.
     *
     * @param dir   the directory, such as {@link #DEFAULT_DIR} or {@link #SYSTEM_DIR}
     * @param split {@link #TEST_SPLIT} or {@link #TRAIN_SPLIT}
     * @return the dataset
     * @throws IllegalArgumentException if the split is neither
     * @throws NoSuchFileException      naming the missing file
     * @throws IOException              if the files cannot be read or are invalid
     */
    public static FashionMnist load(Path dir, String split) throws IOException {
        if (!TEST_SPLIT.equals(split) && !TRAIN_SPLIT.equals(split)) {
            throw new IllegalArgumentException("FashionMnist.load: split must be \"" + TEST_SPLIT + "\" or \""
                    + TRAIN_SPLIT + "\", got \"" + split + "\"");
        }
        return load(find(dir, split + "-images-idx3-ubyte"), find(dir, split + "-labels-idx1-ubyte"));
    }

    /**
     * Loads a dataset from an images file of shape {@code (N, H, W)} and a labels file of shape {@code (N)}.
     *
     * @param imagesFile the IDX images file
     * @param labelsFile the IDX labels file, with values 0 to 9
     * @return the dataset
     * @throws FileFormatException naming the files if a shape is wrong, the counts differ or a
     *                             label is out of range
     * @throws IOException         if the files cannot be read
     */
    public static FashionMnist load(Path imagesFile, Path labelsFile) throws IOException {
        IdxData images = Idx.read(imagesFile);
        IdxData labels = Idx.read(labelsFile);
        if (images.shape().rank() != 3) {
            throw new FileFormatException(imagesFile, "expected images of shape (N, H, W), found " + images.shape());
        }
        if (labels.shape().rank() != 1) {
            throw new FileFormatException(labelsFile, "expected labels of shape (N), found " + labels.shape());
        }
        int count = images.shape().size(0);
        if (labels.shape().size(0) != count) {
            throw new FileFormatException(labelsFile, "has " + labels.shape().size(0) + " labels but the images file "
                    + imagesFile + " has " + count + " images");
        }
        return new FashionMnist(images.data(), images.shape().size(1), images.shape().size(2),
                labelList(labelsFile, labels));
    }

    /**
     * Returns the name of a class.
     *
     * @param label the label, 0 to 9
     * @return the name, such as {@code "Ankle boot"} for 9
     */
    public static String className(int label) {
        return CLASS_NAMES.get(label);
    }

    /**
     * Returns the number of images.
     *
     * @return the image count
     */
    public int size() {
        return labels.length;
    }

    /**
     * Returns the image height in pixels.
     *
     * @return 28 for Fashion-MNIST
     */
    public int height() {
        return height;
    }

    /**
     * Returns the image width in pixels.
     *
     * @return 28 for Fashion-MNIST
     */
    public int width() {
        return width;
    }

    /**
     * Returns all labels, in file order.
     *
     * @return a copy of the labels, each 0 to 9
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Returns one label.
     *
     * @param index the image index
     * @return its label, 0 to 9
     */
    public int label(int index) {
        return labels[index];
    }

    /**
     * Returns one image scaled to {@code [-1, 1]}.
     *
     * @param index the image index, in {@code [0, size())}
     * @return a tensor of shape {@code (1, H, W)}
     */
    public Tensor image(int index) {
        return Tensor.of(scaled(new int[] {index}), 1, height, width);
    }

    /**
     * Returns one image's pixels scaled to {@code [0, 1]} as {@code x / 255}, row by row, without
     * making a tensor (so no backend is needed).
     *
     * @param index the image index, in {@code [0, size())}
     * @return a new array of {@code H * W} values
     */
    public float[] unitPixels(int index) {
        int pixelsPerImage = height * width;
        int from = Objects.checkIndex(index, size()) * pixelsPerImage;
        float[] values = new float[pixelsPerImage];
        for (int p = 0; p < pixelsPerImage; p++) {
            values[p] = (pixels[from + p] & 0xff) / 255f;
        }
        return values;
    }

    /**
     * Returns the images and labels at {@code indices}, in that order.
     *
     * @param indices the image indices, each in {@code [0, size())}, repeats allowed
     * @return the images, shape {@code (B, 1, H, W)} in {@code [-1, 1]}, and their labels
     */
    public Batch batch(int... indices) {
        int[] batchLabels = new int[indices.length];
        for (int b = 0; b < indices.length; b++) {
            batchLabels[b] = labels[Objects.checkIndex(indices[b], size())];
        }
        return new Batch(Tensor.of(scaled(indices), indices.length, 1, height, width), batchLabels);
    }

    private float[] scaled(int[] indices) {
        int pixelsPerImage = height * width;
        float[] values = new float[indices.length * pixelsPerImage];
        for (int b = 0; b < indices.length; b++) {
            int from = Objects.checkIndex(indices[b], size()) * pixelsPerImage;
            for (int p = 0; p < pixelsPerImage; p++) {
                values[b * pixelsPerImage + p] = (pixels[from + p] & 0xff) / 127.5f - 1f;
            }
        }
        return values;
    }

    private static int[] labelList(Path file, IdxData labels) throws FileFormatException {
        int[] list = new int[labels.data().length];
        for (int i = 0; i < list.length; i++) {
            int label = labels.get(i);
            if (label >= CLASS_NAMES.size()) {
                throw new FileFormatException(file, "expected labels 0 to 9, found " + label + " at index " + i);
            }
            list[i] = label;
        }
        return list;
    }

    private static Path find(Path dir, String name) throws NoSuchFileException {
        for (Path candidate : List.of(dir.resolve(name + ".gz"), dir.resolve(name))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new NoSuchFileException(dir.resolve(name + ".gz").toString(), null, "no such file (nor without .gz)"
                + "; the full dataset is in " + SYSTEM_DIR + " after 'apt-get install dataset-fashion-mnist'");
    }
}
