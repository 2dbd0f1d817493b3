package org.minidiffusion.demos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.Linear;

/**
 * A small CNN that classifies Fashion-MNIST images, used to measure how recognisable generated
 * images are. It shares no code with the diffusion model.
 *
 * <p>The layers: conv 3×3 (1 → c1, padding 1), ReLU, 2×2 average pooling; conv 3×3 (c1 → c2,
 * padding 1), ReLU, 2×2 average pooling; flatten; linear (c2·(s/4)² → hidden), ReLU; linear
 * (hidden → classes). The standard size is c1 = 32, c2 = 64, hidden = 128 for 28×28 images.
 */
final class FashionClassifier extends AbstractLayer implements ImageClassifier {
    /** The {@code format} metadata value of a classifier file. */
    static final String FORMAT = "mini-diffusion classifier";
    /** The metadata key of the accuracy measured on the test split when the file was written. */
    static final String TEST_ACCURACY = "test_accuracy";

    private static final int EVAL_CHUNK = 500;

    private final Architecture architecture;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Linear fc1;
    private final Linear fc2;

    /**
     * The sizes of the network.
     *
     * @param imageSize the image height and width, divisible by 4
     * @param channels1 the first convolution's output channels
     * @param channels2 the second convolution's output channels
     * @param hidden    the hidden layer's width
     * @param classes   the number of classes
     */
    record Architecture(int imageSize, int channels1, int channels2, int hidden, int classes) {
        /**
         * Validates the sizes.
         *
         * @param imageSize the image height and width, divisible by 4
         * @param channels1 the first convolution's output channels
         * @param channels2 the second convolution's output channels
         * @param hidden    the hidden layer's width
         * @param classes   the number of classes, at least 2
         */
        Architecture {
            if (imageSize <= 0 || imageSize % 4 != 0 || channels1 <= 0 || channels2 <= 0 || hidden <= 0 || classes <= 1) {
                throw new IllegalArgumentException("FashionClassifier: invalid sizes " + imageSize + ", " + channels1
                        + ", " + channels2 + ", " + hidden + ", " + classes);
            }
        }

        /**
         * Returns the standard size for 28×28 Fashion-MNIST images: 32, 64 and 128 wide, 10 classes.
         *
         * @return the architecture
         */
        static Architecture standard() {
            return new Architecture(28, 32, 64, 128, 10);
        }

        /**
         * Returns the sizes as metadata strings.
         *
         * @return an ordered map
         */
        Map<String, String> toMetadata() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("architecture", describe());
            m.put("image_size", Integer.toString(imageSize));
            m.put("channels1", Integer.toString(channels1));
            m.put("channels2", Integer.toString(channels2));
            m.put("hidden", Integer.toString(hidden));
            m.put("classes", Integer.toString(classes));
            return m;
        }

        /**
         * Reads sizes written by {@link #toMetadata()}.
         *
         * @param m the metadata
         * @return the architecture
         * @throws IllegalArgumentException naming a missing or malformed key
         */
        static Architecture fromMetadata(Map<String, String> m) {
            return new Architecture(number(m, "image_size"), number(m, "channels1"), number(m, "channels2"),
                    number(m, "hidden"), number(m, "classes"));
        }

        private static int number(Map<String, String> m, String key) {
            String v = m.get(key);
            if (v == null) {
                throw new IllegalArgumentException("its metadata lacks the key '" + key + "'");
            }
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("its metadata key '" + key + "' is not an integer: " + v, e);
            }
        }

        /**
         * Describes the layers in one line.
         *
         * @return the description
         */
        String describe() {
            int s = imageSize / 4;
            return String.format(Locale.ROOT, "conv3x3(1->%d,pad1)-relu-avgpool2-conv3x3(%d->%d,pad1)-relu-avgpool2"
                    + "-flatten(%d)-linear(%d->%d)-relu-linear(%d->%d)", channels1, channels1, channels2,
                    channels2 * s * s, channels2 * s * s, hidden, hidden, classes);
        }
    }

    /**
     * A classifier read from a file.
     *
     * @param model        the network, in evaluation mode
     * @param testAccuracy the test accuracy stored in the file, or NaN if it has none
     * @param metadata     all of the file's metadata
     */
    record Loaded(FashionClassifier model, double testAccuracy, Map<String, String> metadata) {
    }

    /**
     * Creates a classifier with freshly initialised weights.
     *
     * @param architecture the sizes
     * @param rng          the generator of the initial weights
     */
    FashionClassifier(Architecture architecture, Rng rng) {
        this.architecture = architecture;
        int s = architecture.imageSize() / 4;
        conv1 = child("conv1", new Conv2d(1, architecture.channels1(), 3, 1, 1, rng));
        conv2 = child("conv2", new Conv2d(architecture.channels1(), architecture.channels2(), 3, 1, 1, rng));
        fc1 = child("fc1", new Linear(architecture.channels2() * s * s, architecture.hidden(), rng));
        fc2 = child("fc2", new Linear(architecture.hidden(), architecture.classes(), rng));
    }

    /**
     * Returns the sizes.
     *
     * @return the architecture
     */
    Architecture architecture() {
        return architecture;
    }

    /**
     * Returns the class logits of a batch of images.
     *
     * @param x the images, {@code (B, 1, s, s)} in {@code [-1, 1]}
     * @return the logits, {@code (B, classes)}
     */
    @Override
    public Tensor forward(Tensor x) {
        int s = architecture.imageSize();
        if (x.rank() != 4 || x.size(1) != 1 || x.size(2) != s || x.size(3) != s) {
            throw new ShapeException("FashionClassifier", "expects (B, 1, " + s + ", " + s + ")", x.shape());
        }
        Tensor h = conv1.forward(x).relu().avgPool2d(2, 2);
        h = conv2.forward(h).relu().avgPool2d(2, 2);
        h = h.reshape(x.size(0), architecture.channels2() * (s / 4) * (s / 4));
        return fc2.forward(fc1.forward(h).relu());
    }

    /**
     * Returns the mean cross-entropy of the logits of {@code images} against {@code labels}.
     *
     * @param images the images
     * @param labels one class per image
     * @return the rank-0 loss, recorded for autograd
     */
    Tensor loss(Tensor images, int[] labels) {
        Tensor logits = forward(images);
        return logits.logSoftmax(1).mul(oneHot(labels, architecture.classes(), logits)).sum(1).neg().mean();
    }

    private static Tensor oneHot(int[] labels, int classes, Tensor like) {
        float[] data = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            data[i * classes + labels[i]] = 1f;
        }
        return like.backend().of(data, labels.length, classes);
    }

    @Override
    @SuppressWarnings("try") // the scope is only opened and closed
    public int[] classify(Tensor images) {
        int n = images.size(0);
        int[] out = new int[n];
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            for (int from = 0; from < n; from += EVAL_CHUNK) {
                int b = Math.min(EVAL_CHUNK, n - from);
                int[] part = argmax(forward(images.narrow(0, from, b)));
                System.arraycopy(part, 0, out, from, b);
            }
        }
        return out;
    }

    /**
     * Returns the index of the largest entry of each row.
     *
     * @param logits {@code (B, C)}
     * @return B indices
     */
    static int[] argmax(Tensor logits) {
        float[] z = logits.toArray();
        int classes = logits.size(1);
        int[] best = new int[logits.size(0)];
        for (int i = 0; i < best.length; i++) {
            for (int c = 1; c < classes; c++) {
                if (z[i * classes + c] > z[i * classes + best[i]]) {
                    best[i] = c;
                }
            }
        }
        return best;
    }

    /**
     * Writes the weights with the architecture and more metadata, atomically.
     *
     * @param file  the file to create or replace
     * @param extra more metadata, such as {@link #TEST_ACCURACY}
     * @throws IOException if writing fails
     */
    @SuppressWarnings("try") // the scope is only opened and closed
    void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.putAll(architecture.toMetadata());
        meta.putAll(extra);
        ModelFile.writeWeights(file, this, meta);
    }

    /**
     * Reads a classifier written by {@link #save}.
     *
     * @param file the file
     * @return the classifier and its stored test accuracy
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException         if it cannot be read
     * @throws DemoException       if it is not a classifier file
     */
    static Loaded load(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new DemoException(file + " is not a classifier file (its metadata has format '" + meta.get("format")
                    + "'); train one with 'classifier-train'");
        }
        try {
            FashionClassifier model = new FashionClassifier(Architecture.fromMetadata(meta), new Rng(0));
            model.loadStateDict(f.tensors());
            model.train(false);
            double accuracy = Double.NaN;
            if (meta.containsKey(TEST_ACCURACY)) {
                accuracy = Double.parseDouble(meta.get(TEST_ACCURACY).trim());
            }
            return new Loaded(model, accuracy, meta);
        } catch (IllegalArgumentException e) { // also ShapeException and NumberFormatException
            throw new DemoException(file + " is not a usable classifier file: " + e.getMessage(), e);
        }
    }
}
