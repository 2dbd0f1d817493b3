package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.flow.FlowSolver;
import org.minidiffusion.io.Images;
import org.minidiffusion.sd3.GenerationRequest;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.FashionClass;
import org.minidiffusion.text.caption.Tone;

/**
 * The {@code evaluate-prompts} command: draws images of prompts with a text-to-image model and
 * judges them as the captions would: the share the classifier labels as the class the prompt
 * names, and, for prompts that name a tone, the share whose measured tone ({@link Tone#measure},
 * with the thresholds of the prompted class) is that tone; per prompt and overall.
 *
 * <p>The class and tone of a prompt are read with the captions' vocabulary
 * ({@link Captioner#parse}); a prompt that names no class, or two, is refused. The images of seed
 * {@code j} are those that {@code txt2img} draws for the same prompts with {@code --seed j}:
 * each seed is one batch of all the prompts.
 *
 * <p>The default prompts are ten held-out captions ({@link Captioner#evaluationPrompts}), one per
 * class, the first in alphabetical order for a tone that cycles dark, light, none over the labels:
 * seven of the ten name a tone, and every phrasing is one no training caption has.
 */
final class EvaluatePromptsCommand {
    /** The tones of the default prompts, by label modulo 3. */
    static final List<Tone> DEFAULT_TONES = List.of(Tone.DARK, Tone.LIGHT, Tone.NONE);
    /** Seeds per prompt by default. */
    static final int DEFAULT_SEEDS = 10;

    /** The command line of {@code evaluate-prompts}. */
    static final CliCommand COMMAND = TextToImageCommand.samplingOptions(CliCommand.named("evaluate-prompts",
                    "Draw prompts as 'txt2img' does and print how often the classifier sees the class and tone they name.")
            .details("Draws each prompt with seeds 0..N-1 and prints, per prompt and overall, the share of images the"
                    + " classifier labels as the class the prompt names and, for prompts naming a tone, the share"
                    + " measured in that tone. --out also writes the grid.")
            .arguments("PROMPT", "the prompts, each quoted (default: ten held-out prompts, one per class)"))
            .option("prompts", "FILE", "read the prompts from FILE, one per line, instead")
            .option("seeds", "N", "images per prompt, with seeds 0..N-1 (default: " + DEFAULT_SEEDS + ")")
            .option("classifier", "FILE", "the classifier, made by 'classifier-train' (default: the shipped "
                    + EvaluateCommand.SHIPPED_CLASSIFIER + ")")
            .option("out", "PNG", "also write the grid")
            .backend()
            .build();

    private EvaluatePromptsCommand() {
    }

    /**
     * Returns the default prompts: for each label, the first of
     * {@code Captioner.evaluationPrompts(label, DEFAULT_TONES.get(label % 3))}.
     *
     * @return ten prompts, in label order
     */
    static List<String> defaultPrompts() {
        List<String> prompts = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            prompts.add(Captioner.evaluationPrompts(c.label(), DEFAULT_TONES.get(c.label() % 3)).get(0));
        }
        return List.copyOf(prompts);
    }

    /**
     * The command line of {@code evaluate-prompts}.
     *
     * @param draw       the sampling settings; {@code count} is the number of seeds, {@code out} the grid
     * @param writeGrid  whether to write the grid
     * @param classifier the classifier file
     */
    record Settings(TextToImageCommand.Settings draw, boolean writeGrid, Path classifier) {
    }

    /**
     * What one prompt asks for, and how its images did.
     *
     * @param prompt       the prompt
     * @param garment      the class it names
     * @param tone         the tone it names, {@link Tone#NONE} if none
     * @param images       how many images were drawn
     * @param rightClass   how many the classifier labelled as {@code garment}
     * @param rightTone    how many measured as {@code tone} (0 when no tone is named)
     */
    record PromptScore(String prompt, FashionClass garment, Tone tone, int images, int rightClass, int rightTone) {
    }

    /**
     * What the evaluation found.
     *
     * @param scores             one per prompt, in order
     * @param classifierAccuracy the classifier's stored test accuracy, NaN if unknown
     */
    record Result(List<PromptScore> scores, double classifierAccuracy) {
        /** Returns the share of all images labelled as their prompt's class. */
        double classAccuracy() {
            return share(scores.stream().mapToInt(PromptScore::rightClass).sum(),
                    scores.stream().mapToInt(PromptScore::images).sum());
        }

        /** Returns the share of the images of tone-naming prompts measured as that tone; NaN if none names one. */
        double toneAccuracy() {
            List<PromptScore> toned = scores.stream().filter(s -> s.tone() != Tone.NONE).toList();
            return share(toned.stream().mapToInt(PromptScore::rightTone).sum(),
                    toned.stream().mapToInt(PromptScore::images).sum());
        }
    }

    private static double share(int k, int n) {
        return n == 0 ? Double.NaN : (double) k / n;
    }

    /**
     * Reads the settings: prompts from the arguments, or {@code --prompts FILE}, or the defaults.
     *
     * @param p the options and prompts
     * @return the settings
     * @throws IOException    if the prompts file cannot be read
     * @throws UsageException for both prompts and {@code --prompts}, or an option out of range
     */
    static Settings parse(Cli.Invocation p) throws IOException {
        Options o = p.options();
        List<String> prompts = p.arguments();
        if (o.has("prompts")) {
            if (!prompts.isEmpty()) {
                throw new UsageException("give the prompts either as arguments or with --prompts, not both");
            }
            prompts = readPrompts(o.path("prompts", null));
        } else if (prompts.isEmpty()) {
            prompts = defaultPrompts();
        }
        int steps = o.intValue("steps", TextToImageCommand.DEFAULT_STEPS, 1, 10_000);
        float guidance = o.floatValue("guidance", (float) TextToImageCommand.DEFAULT_GUIDANCE, 0f, 100f);
        double shift = o.has("shift") ? o.positiveFloat("shift", 1f, 100f) : Double.NaN;
        int seeds = o.intValue("seeds", DEFAULT_SEEDS, 1, 10_000);
        FlowSolver solver = TextToImageCommand.solver(o);
        String negative = o.string("negative", "");
        Path out = o.path("out", TextToImageCommand.DEFAULT_OUT);
        Path classifierOption = o.has("classifier") ? o.path("classifier", null) : null;
        parsePrompts(prompts); // a prompt naming no class is reported before the models are looked for
        // last, so that a bad command line is reported as such even where no model can be found
        TextToImageCommand.Settings draw = new TextToImageCommand.Settings(prompts, TextToImageCommand.model(o), steps,
                guidance, 0, shift, seeds, solver, negative, false, out);
        Path classifier = classifierOption != null ? classifierOption
                : ShippedModels.resolve(EvaluateCommand.SHIPPED_CLASSIFIER, "--classifier");
        return new Settings(draw, o.has("out"), classifier);
    }

    /**
     * Reads prompts, one per line; blank lines and lines starting with {@code #} are skipped.
     *
     * @param file a UTF-8 text file
     * @return the prompts, in order
     * @throws IOException   if the file cannot be read
     * @throws DemoException if it holds no prompt
     */
    static List<String> readPrompts(Path file) throws IOException {
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String prompt = line.strip();
            if (!prompt.isEmpty() && !prompt.startsWith("#")) {
                prompts.add(prompt);
            }
        }
        if (prompts.isEmpty()) {
            throw new DemoException(file + " holds no prompt (one per line; blank lines and lines starting with # are"
                    + " skipped)");
        }
        return prompts;
    }

    /**
     * Runs {@code evaluate-prompts} with the classifier of the settings.
     *
     * @param s   the settings
     * @param out where progress and the results go
     * @param err where warnings go
     * @return the scores
     * @throws IOException   if a file cannot be read or written
     * @throws DemoException if a file is missing, a prompt names no class, or the classifier does not fit
     */
    static Result run(Settings s, PrintStream out, PrintStream err) throws IOException {
        parsePrompts(s.draw().prompts()); // a bad prompt is reported before any file is read
        Path file = s.classifier();
        if (!Files.exists(file)) {
            throw new DemoException("no classifier file " + file + " (in " + file.toAbsolutePath().normalize().getParent()
                    + "); train one with 'classifier-train'" + " --out " + file);
        }
        FashionClassifier.Loaded loaded;
        try {
            loaded = FashionClassifier.load(file);
        } catch (NoSuchFileException e) {
            throw new DemoException("no classifier file " + file + "; train one with 'classifier-train'", e);
        }
        FashionClassifier.Architecture arch = loaded.model().architecture();
        if (arch.classes() != FashionClass.values().length) {
            throw new DemoException(file + " classifies " + arch.classes() + " classes, not the "
                    + FashionClass.values().length + " of Fashion-MNIST");
        }
        out.printf(Locale.ROOT, "loaded %s: classifier %s%s%n", file, arch.describe(),
                Double.isNaN(loaded.testAccuracy()) ? "" : String.format(Locale.ROOT, ", test accuracy %.2f%%",
                        100 * loaded.testAccuracy()));
        return run(s, loaded.model(), arch.imageSize(), loaded.testAccuracy(), out, err);
    }

    /**
     * Runs {@code evaluate-prompts} with a given classifier.
     *
     * @param s                  the settings
     * @param classifier         labels images in {@code [-1, 1]}
     * @param classifierSize     the side of the images it takes
     * @param classifierAccuracy its test accuracy, for the report; NaN if unknown
     * @param out                where progress and the results go
     * @param err                where warnings go
     * @return the scores
     * @throws IOException   if the model cannot be read or the grid written
     * @throws DemoException if the model is missing, a prompt names no class, or the sizes differ
     */
    static Result run(Settings s, ImageClassifier classifier, int classifierSize, double classifierAccuracy,
                      PrintStream out, PrintStream err) throws IOException {
        TextToImageCommand.Settings d = s.draw();
        List<Captioner.Parsed> asked = parsePrompts(d.prompts());
        TextToImagePipeline pipeline = TextToImageCommand.load(d.model());
        if (pipeline.imageSize() != classifierSize) {
            throw new DemoException(d.model() + " draws " + pipeline.imageSize() + "x" + pipeline.imageSize()
                    + " images but the classifier takes " + classifierSize + "x" + classifierSize);
        }
        TextToImageCommand.warnAboutUnknownWords(d.prompts(), err);
        out.println("loaded " + TextToImageCommand.describe(d.model(), pipeline));
        int seeds = d.count();
        int p = d.prompts().size();
        out.printf(Locale.ROOT, "drawing %d prompt%s with seeds 0..%d (%s, %d steps, guidance %s%s)%n", p,
                p == 1 ? "" : "s", seeds - 1, d.solver().name().toLowerCase(Locale.ROOT), d.steps(), d.guidance(),
                d.negative().isEmpty() ? "" : " against \"" + d.negative() + "\"");

        int size = pipeline.imageSize();
        int pixels = size * size;
        float[][] bySeed = new float[seeds][];
        long t0 = System.nanoTime();
        GenerationRequest base = new GenerationRequest(d.prompts(), d.negative(), 1, d.steps(), d.guidance(), d.shift(),
                d.solver(), 0, null);
        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "seed", seeds, ProgressBar.every(seeds, 10));
        for (int seed = 0; seed < seeds; seed++) {
            bySeed[seed] = pipeline.generate(base.withSeed(seed)).toArray();  // (P, 1, H, W) in [0, 1]
            double perSeed = (System.nanoTime() - t0) / 1e9 / (seed + 1);
            bar.update(seed + 1, perSeed, String.format(Locale.ROOT, "%.1f s/seed", perSeed));
        }
        bar.finish();
        double seconds = (System.nanoTime() - t0) / 1e9;

        float[] promptMajor = new float[p * seeds * pixels];          // (P·seeds, 1, H, W): row i, column j = seed j
        for (int i = 0; i < p; i++) {
            for (int seed = 0; seed < seeds; seed++) {
                System.arraycopy(bySeed[seed], i * pixels, promptMajor, (i * seeds + seed) * pixels, pixels);
            }
        }
        Tensor images = Tensor.of(promptMajor, p * seeds, 1, size, size);
        int[] labels = classifier.classify(images.mul(2f).sub(1f));   // the classifier reads [-1, 1]
        List<PromptScore> scores = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            Captioner.Parsed want = asked.get(i);
            int rightClass = 0;
            int rightTone = 0;
            for (int seed = 0; seed < seeds; seed++) {
                int k = i * seeds + seed;
                rightClass += labels[k] == want.garment().label() ? 1 : 0;
                if (want.tone() != Tone.NONE) {
                    float[] image = new float[pixels];
                    System.arraycopy(promptMajor, k * pixels, image, 0, pixels);
                    rightTone += Tone.measure(want.garment().label(), image) == want.tone() ? 1 : 0;
                }
            }
            scores.add(new PromptScore(d.prompts().get(i), want.garment(), want.tone(), seeds, rightClass, rightTone));
        }
        Result result = new Result(Collections.unmodifiableList(scores), classifierAccuracy);
        if (s.writeGrid()) {
            Path parent = d.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Images.writePng(d.out(), TextToImageCommand.grid(images, seeds), 0f, 1f);
            out.println("wrote " + d.out() + " (a row per prompt, a column per seed)");
        }
        out.printf(Locale.ROOT, "drew %d images in %.1f s; the share labelled as the class the prompt names, and of those"
                + " naming a tone, the share measured as that tone:%n", p * seeds, seconds);
        table(result).forEach(out::println);
        if (!Double.isNaN(classifierAccuracy)) {
            out.printf(Locale.ROOT, "classifier test accuracy on real images: %.2f%%%n", 100 * classifierAccuracy);
        }
        return result;
    }

    /**
     * Reads the class and tone each prompt names.
     *
     * @param prompts the prompts
     * @return what each names, in order
     * @throws DemoException naming the first prompt that names no class, or two
     */
    static List<Captioner.Parsed> parsePrompts(List<String> prompts) {
        List<Captioner.Parsed> asked = new ArrayList<>();
        for (String prompt : prompts) {
            Optional<Captioner.Parsed> parsed = Captioner.parse(prompt);
            if (parsed.isEmpty()) {
                throw new DemoException("the prompt \"" + prompt + "\" names no Fashion-MNIST class, or more than one, in"
                        + " the captions' words, so its images cannot be judged");
            }
            asked.add(parsed.get());
        }
        return asked;
    }

    /**
     * Formats the scores: a line per prompt, then the overall shares.
     *
     * @param r the result
     * @return the lines
     */
    static List<String> table(Result r) {
        List<String> lines = new ArrayList<>();
        int width = Math.max(6, r.scores().stream().mapToInt(s -> s.prompt().length()).max().orElse(6));
        lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %-11s  %-5s  %-13s  %s", "prompt", "class", "tone",
                "class right", "tone right"));
        for (PromptScore s : r.scores()) {
            lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %-11s  %-5s  %3d/%-3d %5.1f%%  %s", s.prompt(),
                    s.garment().datasetName(), s.tone().name().toLowerCase(Locale.ROOT), s.rightClass(), s.images(),
                    100.0 * s.rightClass() / s.images(), s.tone() == Tone.NONE ? "-"
                            : String.format(Locale.ROOT, "%3d/%-3d %5.1f%%", s.rightTone(), s.images(),
                            100.0 * s.rightTone() / s.images())));
        }
        int n = r.scores().stream().mapToInt(PromptScore::images).sum();
        int k = r.scores().stream().mapToInt(PromptScore::rightClass).sum();
        List<PromptScore> toned = r.scores().stream().filter(s -> s.tone() != Tone.NONE).toList();
        int tn = toned.stream().mapToInt(PromptScore::images).sum();
        int tk = toned.stream().mapToInt(PromptScore::rightTone).sum();
        lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %-11s  %-5s  %3d/%-3d %5.1f%%  %s", "overall", "", "", k, n,
                100 * r.classAccuracy(), tn == 0 ? "-" : String.format(Locale.ROOT, "%3d/%-3d %5.1f%%", tk, tn,
                        100 * r.toneAccuracy())));
        return lines;
    }
}
