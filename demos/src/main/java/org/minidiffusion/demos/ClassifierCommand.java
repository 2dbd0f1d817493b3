package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.LearningRateSchedule;

/**
 * The {@code classifier-train} command: trains a {@link FashionClassifier} on the 60,000-image
 * training split with Adam and a cosine learning-rate decay, measures its accuracy on the
 * 10,000-image test split after each epoch, and saves it with the architecture and the final test
 * accuracy in the metadata.
 */
final class ClassifierCommand {
    /** The data directory by default: where Debian's {@code dataset-fashion-mnist} installs both splits. */
    static final Path DEFAULT_DATA = FashionMnist.SYSTEM_DIR;
    /** The classifier file by default, relative to the working directory: the one the project ships. */
    static final Path DEFAULT_OUT = Path.of("models", "fashion-classifier.safetensors");
    /** Passes over the training split by default. */
    static final int DEFAULT_EPOCHS = 5;
    /** Images per step by default. */
    static final int DEFAULT_BATCH = 64;
    /** Adam's learning rate by default, decayed along a cosine to 5% of it by the last step. */
    static final float DEFAULT_LR = 1e-3f;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;

    /** The command line of {@code classifier-train}. */
    static final CliCommand COMMAND = CliCommand.named("classifier-train",
                    "Train the CNN classifier that 'evaluate' uses, on the 60,000 training images, and test it on t10k.")
            .option("data", "DIR", "the Fashion-MNIST files (default: " + DEFAULT_DATA + ")")
            .option("out", "FILE", "the classifier to write (default: " + DEFAULT_OUT + ")")
            .option("epochs", "N", "passes over the training images (default: " + DEFAULT_EPOCHS + ")")
            .option("batch", "N", "images per step (default: " + DEFAULT_BATCH + ")")
            .option("lr", "X", "Adam's learning rate (default: " + DEFAULT_LR + ")")
            .option("seed", "N", "the seed of the weights and the shuffling (default: " + DEFAULT_SEED + ")")
            .option("steps", "N", "stop after N steps, for a quick run (default: all the epochs)")
            .backend()
            .build();

    private ClassifierCommand() {
    }

    /**
     * The command line of {@code classifier-train}.
     *
     * @param data     the directory holding both splits
     * @param out      the classifier file to write
     * @param epochs   passes over the training split
     * @param batch    images per step
     * @param lr       the peak learning rate
     * @param seed     the seed of the weights and the data order
     * @param maxSteps stop after this many steps in all, for quick runs; 0 for no limit
     */
    record Settings(Path data, Path out, int epochs, int batch, float lr, long seed, int maxSteps) {
    }

    /**
     * What training achieved.
     *
     * @param model        the trained classifier
     * @param testAccuracy its accuracy on the test split
     * @param steps        the optimiser steps taken
     * @param seconds      the training time, without evaluation
     */
    record Result(FashionClassifier model, double testAccuracy, long steps, double seconds) {
    }

    /**
     * Reads the options of {@code classifier-train}.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is out of range
     */
    static Settings parse(Options o) {
        return new Settings(o.path("data", DEFAULT_DATA), o.path("out", DEFAULT_OUT),
                o.intValue("epochs", DEFAULT_EPOCHS, 1, 1000), o.intValue("batch", DEFAULT_BATCH, 1, 4096),
                o.positiveFloat("lr", DEFAULT_LR, 1f), o.longValue("seed", DEFAULT_SEED),
                o.intValue("steps", 0, 1, 100_000_000));
    }

    /**
     * Takes one Adam step on a batch.
     *
     * @param model     the classifier
     * @param optimizer its optimiser
     * @param images    the images
     * @param labels    their classes
     * @return the loss before the step
     */
    static double step(FashionClassifier model, Adam optimizer, Tensor images, int[] labels) {
        Tensor loss = model.loss(images, labels);
        double value = loss.item();
        if (!Double.isFinite(value)) {
            throw new DemoException("classifier training stopped: the loss is " + value + "; try a lower --lr");
        }
        loss.backward();
        optimizer.step();
        return value;
    }

    /**
     * Returns the fraction of a split the classifier labels correctly.
     *
     * @param classifier the classifier
     * @param data       the split
     * @return the accuracy in {@code [0, 1]}
     */
    static double accuracy(ImageClassifier classifier, FashionMnist data) {
        int correct = 0;
        int chunk = 1000;
        for (int from = 0; from < data.size(); from += chunk) {
            int b = Math.min(chunk, data.size() - from);
            int[] idx = new int[b];
            for (int i = 0; i < b; i++) {
                idx[i] = from + i;
            }
            FashionMnist.Batch batch = data.batch(idx);
            int[] predicted = classifier.classify(batch.images());
            for (int i = 0; i < b; i++) {
                if (predicted[i] == batch.label(i)) {
                    correct++;
                }
            }
        }
        return (double) correct / data.size();
    }

    /**
     * Trains, evaluates and saves a classifier.
     *
     * @param s   the settings
     * @param out where progress goes
     * @return the classifier and its test accuracy
     * @throws IOException   if a file cannot be read or written
     * @throws DemoException if a split is missing
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        FashionMnist train = load(s.data(), FashionMnist.TRAIN_SPLIT);
        FashionMnist test = load(s.data(), FashionMnist.TEST_SPLIT);
        if (train.height() != 28 || train.width() != 28) {
            throw new DemoException(s.data() + ": the classifier expects 28x28 images, got " + train.height() + "x"
                    + train.width());
        }
        FashionClassifier.Architecture arch = FashionClassifier.Architecture.standard();
        Rng rng = new Rng(s.seed());
        FashionClassifier model = new FashionClassifier(arch, rng);
        int parameters = model.parameters().values().stream().mapToInt(p -> p.shape().numel()).sum();
        long perEpoch = train.size() / s.batch();
        if (perEpoch == 0) {
            throw new DemoException("--batch " + s.batch() + " is larger than the training split (" + train.size()
                    + " images)");
        }
        long planned = perEpoch * s.epochs();
        long total = s.maxSteps() > 0 ? Math.min(planned, s.maxSteps()) : planned;
        int epochs = (int) ((total + perEpoch - 1) / perEpoch);
        Adam adam = Adam.adam(model.parameters(), s.lr());
        LearningRateSchedule schedule = new LearningRateSchedule(s.lr(), s.lr() * 0.05f, 0, total);
        out.printf(Locale.ROOT, "training a classifier (%s; %,d parameters)%n", arch.describe(), parameters);
        out.printf(Locale.ROOT, "  on %d images of %s (split train), testing on %d (split t10k)%n", train.size(),
                s.data(), test.size());
        out.printf(Locale.ROOT, "  %d epoch(s) of %d steps of %d images (%d steps in all), Adam lr %s with cosine decay,"
                + " seed %d%n", epochs, perEpoch, s.batch(), total, s.lr(), s.seed());

        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "step", total,
                Math.min(100, ProgressBar.every(total, 30)));
        long step = 0;
        long nanos = 0;
        double accuracy = Double.NaN;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = new Rng(s.seed() * 31 + epoch + 1).permutation(train.size());
            double lossSum = 0;
            long seen = 0;
            for (long b = 0; b < perEpoch && step < total; b++) {
                int[] idx = java.util.Arrays.copyOfRange(order, (int) (b * s.batch()), (int) ((b + 1) * s.batch()));
                FashionMnist.Batch batch = train.batch(idx);
                int[] labels = batch.labels();
                long t0 = System.nanoTime();
                step++;
                adam.setLearningRate(schedule.at(step));
                double value;
                try {
                    value = step(model, adam, batch.images(), labels);
                } catch (DemoException e) {
                    bar.finish();
                    throw e;
                }
                nanos += System.nanoTime() - t0;
                lossSum += value * labels.length;
                seen += labels.length;
                double perStep = nanos / 1e9 / step;
                bar.update(step, perStep, String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  %.0f img/s", epoch + 1,
                        epochs, lossSum / seen, s.batch() / perStep));
            }
            bar.finish();
            long e0 = System.nanoTime();
            accuracy = accuracy(model, test);
            out.printf(Locale.ROOT, "epoch %d: mean training loss %.4f, test accuracy %.2f%% (%d images, %.1f s)%n",
                    epoch + 1, lossSum / Math.max(1, seen), 100 * accuracy, test.size(), (System.nanoTime() - e0) / 1e9);
        }
        double seconds = nanos / 1e9;
        out.printf(Locale.ROOT, "trained %d steps in %s (%.0f img/s, %s per epoch of %d images)%n", step,
                ProgressBar.duration(seconds), step * s.batch() / seconds,
                ProgressBar.duration(seconds / step * perEpoch), perEpoch * s.batch());

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FashionClassifier.TEST_ACCURACY, String.format(Locale.ROOT, "%.4f", accuracy));
        meta.put("test_images", Integer.toString(test.size()));
        meta.put("train_images", Integer.toString(train.size()));
        meta.put("data", s.data().toString());
        meta.put("epochs", Integer.toString(epochs));
        meta.put("steps", Long.toString(step));
        meta.put("batch_size", Integer.toString(s.batch()));
        meta.put("learning_rate", Float.toString(s.lr()));
        meta.put("seed", Long.toString(s.seed()));
        meta.put(ModelFile.CLASS_NAMES, String.join(",", FashionMnist.CLASS_NAMES));
        model.save(s.out(), meta);
        out.printf(Locale.ROOT, "test accuracy %.2f%%; wrote %s%n", 100 * accuracy, s.out());
        return new Result(model, accuracy, step, seconds);
    }

    private static FashionMnist load(Path dir, String split) throws IOException {
        try {
            return FashionMnist.load(dir, split);
        } catch (NoSuchFileException e) {
            throw new DemoException("cannot find the " + split + " split: " + e.getFile() + " does not exist; the"
                    + " classifier trains on the 60,000-image training split and tests on the 10,000-image t10k split;"
                    + " pass --data <dir> holding both (Debian's dataset-fashion-mnist package installs them in "
                    + FashionMnist.SYSTEM_DIR + ")", e);
        }
    }
}
