package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.minidiffusion.io.Images;

/**
 * The {@code evaluate} command: generates images as {@code generate} does (by default 100, 10
 * per class) and classifies them with the shipped classifier, printing the conditional accuracy,
 * the fraction labelled as the class they were generated for, per class and overall.
 */
final class EvaluateCommand {
    /** The classifier by default: the one the project ships, a name that {@link ShippedModels} finds. */
    static final String SHIPPED_CLASSIFIER = ClassifierCommand.DEFAULT_OUT.getFileName().toString();

    /** The command line of {@code evaluate}: the options of {@code generate}, and the classifier. */
    static final CliCommand COMMAND = GenerateCommand.samplingOptions(CliCommand.named("evaluate",
            "Generate images as 'generate' does and print the share the classifier labels as the class asked for.")
            .details("Prints the share per class and overall. --out also writes the grid."))
            .option("classifier", "FILE", "the classifier, made by 'classifier-train' (default: the shipped "
                    + SHIPPED_CLASSIFIER + ")")
            .backend()
            .build();

    private EvaluateCommand() {
    }

    /**
     * What the evaluation found.
     *
     * @param accuracy           the conditional accuracy of the generated images
     * @param classifierAccuracy the classifier's stored test accuracy, NaN if unknown
     */
    record Result(ConditionalAccuracy accuracy, double classifierAccuracy) {
    }

    /**
     * Runs {@code evaluate}.
     *
     * @param generate   the sampling settings; the PNG is written only if {@code writeGrid}
     * @param writeGrid  whether to write the grid of generated images too
     * @param classifier the classifier file: {@code --classifier}, else the shipped one
     * @param out        where progress and the results go
     * @return the accuracies
     * @throws IOException   if a file cannot be read or written
     * @throws DemoException if a model file is missing or the two models do not fit together
     */
    static Result run(GenerateCommand.Settings generate, boolean writeGrid, Path classifier, PrintStream out)
            throws IOException {
        if (!Files.exists(classifier)) {
            throw new DemoException("no classifier file " + classifier + " (in "
                    + classifier.toAbsolutePath().normalize().getParent() + "); train one with 'classifier-train --out "
                    + classifier + "'");
        }
        ModelFile.Model model = GenerateCommand.load(generate.model());
        FashionClassifier.Loaded loaded;
        try {
            loaded = FashionClassifier.load(classifier);
        } catch (NoSuchFileException e) {
            throw new DemoException("no classifier file " + classifier + "; train one with 'classifier-train'", e);
        }
        int classes = model.unet().config().numClasses();
        FashionClassifier.Architecture arch = loaded.model().architecture();
        if (classes == 0) {
            throw new DemoException(generate.model() + " is an unconditional model; evaluate needs a class-conditional one");
        }
        if (classes != arch.classes() || model.unet().config().imageSize() != arch.imageSize()
                || model.unet().config().inChannels() != 1) {
            throw new DemoException(generate.model() + " generates " + classes + " classes of "
                    + model.unet().config().imageSize() + "x" + model.unet().config().imageSize() + "x"
                    + model.unet().config().inChannels() + " images but " + classifier + " classifies " + arch.classes()
                    + " classes of " + arch.imageSize() + "x" + arch.imageSize() + "x1 images");
        }
        out.println("loaded " + GenerateCommand.describe(model));
        out.printf(Locale.ROOT, "loaded %s: classifier %s%s%n", classifier, arch.describe(),
                Double.isNaN(loaded.testAccuracy()) ? "" : String.format(Locale.ROOT, ", test accuracy %.2f%%",
                        100 * loaded.testAccuracy()));

        GenerateCommand.Result generated = GenerateCommand.sample(generate, model, out);
        if (writeGrid) {
            Images.writePng(generate.out(), Sampling.classGrid(generated.images(), generated.labels(), classes));
            out.println("wrote " + generate.out());
        }
        ConditionalAccuracy accuracy = ConditionalAccuracy.measure(loaded.model(), generated.images(),
                generated.labels(), classes);
        out.printf(Locale.ROOT, "sampled in %.1f s; conditional accuracy (the fraction the classifier labels as the class"
                + " requested):%n", generated.seconds());
        accuracy.table(model.classNames()).forEach(out::println);
        if (!Double.isNaN(loaded.testAccuracy())) {
            out.printf(Locale.ROOT, "classifier test accuracy on real images (from %s): %.2f%%%n", classifier,
                    100 * loaded.testAccuracy());
        }
        return new Result(accuracy, loaded.testAccuracy());
    }
}
