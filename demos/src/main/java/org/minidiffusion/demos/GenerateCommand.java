package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.diffusion.Sampler;
import org.minidiffusion.io.Images;

/**
 * The {@code generate} command: loads a {@linkplain ModelFile model file} and writes a PNG grid
 * of generated images with one row per class.
 */
final class GenerateCommand {
    /** The model by default: the one the project ships, a name that {@link ShippedModels} finds. */
    static final String DEFAULT_MODEL = "fashion-unet.safetensors";
    /** The output PNG by default. */
    static final Path DEFAULT_OUT = Path.of("generated.png");
    /**
     * The sampler by default: ancestral DDPM. With the shipped model, deterministic DDIM at 50
     * steps gets 92 of 100 images recognised by {@code evaluate} against DDPM's 100, and leaves
     * speckles on a few backgrounds, which DDPM's fresh noise at every step washes out.
     */
    static final SamplerKind DEFAULT_SAMPLER = SamplerKind.DDPM;
    /** The sampling steps by default. */
    static final int DEFAULT_STEPS = 100;
    /** DDIM's {@code η} by default: deterministic sampling. */
    static final float DEFAULT_ETA = 0f;
    /** The classifier-free guidance scale by default. */
    static final float DEFAULT_GUIDANCE = 3f;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;
    /** The number of images by default: 10 per class. */
    static final int DEFAULT_COUNT = 100;

    /** The command line of {@code generate}. */
    static final CliCommand COMMAND = samplingOptions(CliCommand.named("generate",
            "Sample images from the class-conditional U-Net into a PNG grid, one row per class."))
            .backend()
            .build();

    private GenerateCommand() {
    }

    /**
     * The sampling settings of {@code generate} (and {@code evaluate}).
     *
     * @param model    the model file: {@code --model}, else the shipped one
     * @param out      the PNG to write
     * @param sampler  the sampler
     * @param steps    the sampling steps
     * @param eta      DDIM's {@code η}
     * @param guidance the classifier-free guidance scale
     * @param seed     the seed
     * @param count    the number of images, spread over the classes in order
     * @param chunk    the most images sampled together
     */
    record Settings(Path model, Path out, SamplerKind sampler, int steps, float eta, float guidance, long seed, int count,
                    int chunk) {
    }

    /**
     * Generated images.
     *
     * @param images  {@code (N, C, H, W)}, roughly in {@code [-1, 1]}
     * @param labels  the class each image was generated for, in class order
     * @param model   the model they came from
     * @param seconds the sampling time
     */
    record Result(Tensor images, int[] labels, ModelFile.Model model, double seconds) {
    }

    /**
     * Adds the options that {@code generate} and {@code evaluate} share: the model and how to sample it.
     *
     * @param b the command being declared
     * @return the same builder
     */
    static CliCommand.Builder samplingOptions(CliCommand.Builder b) {
        return b.option("model", "FILE", "the model file or a training checkpoint (default: the shipped "
                        + DEFAULT_MODEL + ")")
                .option("out", "PNG", "the image grid to write (default: " + DEFAULT_OUT + ")")
                .option("sampler", String.join("|", SamplerKind.ids()), "ancestral DDPM (Ho et al. 2020, Algorithm 2)"
                        + " or DDIM (Song et al. 2021, eq. 12) (default: " + DEFAULT_SAMPLER.id() + ")")
                .option("steps", "N", "sampling steps, at most the model's training timesteps (default: "
                        + DEFAULT_STEPS + ")")
                .option("eta", "X", "DDIM's eta in [0, 1]: 0 is deterministic, 1 as noisy as DDPM; --sampler ddim only"
                        + " (default: " + DEFAULT_ETA + ")")
                .option("guidance", "X", "the classifier-free guidance scale; 1 is none (default: " + DEFAULT_GUIDANCE
                        + ")")
                .option("seed", "N", "the seed of the initial noise and of DDPM's noise (default: " + DEFAULT_SEED + ")")
                .option("count", "N", "how many images, spread over the classes in order (default: " + DEFAULT_COUNT
                        + ")");
    }

    /**
     * Reads the options of {@code generate}; without {@code --model}, finds the shipped model.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is out of range
     * @throws DemoException  if there is no {@code --model} and the shipped model is nowhere to be found
     */
    static Settings parse(Options o) {
        SamplerKind sampler = SamplerKind.of(o.choice("sampler", DEFAULT_SAMPLER.id(), SamplerKind.ids()));
        if (o.has("eta") && !sampler.takesEta()) {
            throw new UsageException("--eta applies to --sampler ddim only");
        }
        Path out = o.path("out", DEFAULT_OUT);
        int steps = o.intValue("steps", DEFAULT_STEPS, 1, 100_000);
        float eta = o.floatValue("eta", DEFAULT_ETA, 0f, 1f);
        float guidance = o.floatValue("guidance", DEFAULT_GUIDANCE, 0f, 100f);
        long seed = o.longValue("seed", DEFAULT_SEED);
        int count = o.intValue("count", DEFAULT_COUNT, 1, 100_000);
        // last, so that a bad command line is reported as such even where no model can be found
        Path model = o.has("model") ? o.path("model", null) : ShippedModels.resolve(DEFAULT_MODEL, "--model");
        return new Settings(model, out, sampler, steps, eta, guidance, seed, count, Sampling.DEFAULT_CHUNK);
    }

    /**
     * Loads a model file, explaining a missing one.
     *
     * @param file the file
     * @return the model
     * @throws IOException   if it cannot be read
     * @throws DemoException if it is missing or not a model file
     */
    static ModelFile.Model load(Path file) throws IOException {
        try {
            return ModelFile.read(file);
        } catch (NoSuchFileException e) {
            throw new DemoException("no model file " + file + " (in " + file.toAbsolutePath().normalize().getParent()
                    + "); train one with 'train', which writes <out>/" + TrainCommand.MODEL
                    + ", or check the --model path", e);
        }
    }

    /**
     * Samples {@code settings.count()} images from a loaded model, spread over its classes in
     * order, with a progress bar.
     *
     * @param s     the settings
     * @param model the model
     * @param out   where progress goes
     * @return the images and their classes
     * @throws UsageException if there are more steps than the model's training timesteps
     */
    static Result sample(Settings s, ModelFile.Model model, PrintStream out) {
        if (s.steps() > model.trainTimesteps()) {
            throw new UsageException("--steps " + s.steps() + " exceeds the model's " + model.trainTimesteps()
                    + " training timesteps");
        }
        int classes = model.unet().config().numClasses();
        int[] labels = Sampling.labelsInClassOrder(s.count(), Math.max(1, classes));
        Sampler sampler = s.sampler().create(model.schedule(), model.prediction(), s.eta());
        float guidance = classes > 0 ? s.guidance() : 1f;
        int chunks = (s.count() + s.chunk() - 1) / s.chunk();
        out.printf(Locale.ROOT, "sampling %d images (%s) with %s, %d step%s, guidance %s, seed %d%s%n",
                s.count(), perClass(labels, classes), s.sampler().describe(s.eta()), s.steps(), s.steps() == 1 ? "" : "s",
                guidance, s.seed(),
                chunks > 1 ? ", in " + chunks + " chunks of up to " + s.chunk() : "");
        long total = (long) chunks * s.steps();
        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "sampling step", total,
                ProgressBar.every(total, 10));
        long t0 = System.nanoTime();
        Tensor images;
        // an outer workspace only to count: each sampling loop recycles its buffers in its own
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace buffers = Workspace.open()) {
            images = Sampling.generate(model.unet(), sampler, s.steps(), labels, guidance, s.seed(), s.chunk(),
                    (done, all) -> {
                        double perStep = (System.nanoTime() - t0) / 1e9 / done;
                        bar.update(done, perStep, String.format(Locale.ROOT, "%.2f s/step", perStep));
                    });
            bar.finish();
            out.printf(Locale.ROOT, "tensor buffers: %,d reused from the workspace pool, %,d newly allocated%n",
                    buffers.reusedAllocations(), buffers.freshAllocations());
        }
        return new Result(images, labels, model, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Runs {@code generate}: loads the model, samples, and writes the grid.
     *
     * @param s   the settings
     * @param out where progress and the summary go
     * @return the images
     * @throws IOException   if the model cannot be read or the PNG written
     * @throws DemoException if the model file is missing or invalid
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        ModelFile.Model model = load(s.model());
        out.println("loaded " + describe(model));
        Result result = sample(s, model, out);
        Tensor grid = Sampling.classGrid(result.images(), result.labels(), model.unet().config().numClasses());
        Path parent = s.out().toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Images.writePng(s.out(), grid);
        int classes = model.unet().config().numClasses();
        out.printf(Locale.ROOT, "wrote %s (%dx%d pixels%s) in %.1f s on backend '%s'%n", s.out(), grid.size(2),
                grid.size(1), classes > 0 ? "; one row per class: " + rowNames(result.labels(), model.classNames()) : "",
                result.seconds(), Backends.current().id());
        out.printf(Locale.ROOT, "peak heap %.0f MiB%n", WorkloadBench.peakHeapMiB());
        return result;
    }

    /**
     * Describes a loaded model in one line.
     *
     * @param model the model
     * @return its file, size, training steps and prediction type
     */
    static String describe(ModelFile.Model model) {
        int parameters = model.unet().parameters().values().stream().mapToInt(p -> p.shape().numel()).sum();
        long steps = model.completedSteps();
        String size = model.metadata().get("model_size");
        return String.format(Locale.ROOT, "%s: %sU-Net with %,d parameters, %d classes%s, %s prediction, %s schedule",
                model.file(), size == null ? "" : size + " ", parameters, model.unet().config().numClasses(),
                steps >= 0 ? ", trained " + steps + " steps" : "",
                model.prediction().name().toLowerCase(Locale.ROOT), model.betaSchedule().name().toLowerCase(Locale.ROOT));
    }

    private static String perClass(int[] labels, int classes) {
        if (classes == 0) {
            return "unconditional";
        }
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        if (labels.length < classes) {
            return "one each for the first " + labels.length + " classes";
        }
        int min = Arrays.stream(counts).min().orElse(0);
        int max = Arrays.stream(counts).max().orElse(0);
        return min == max ? min + " per class" : min + " to " + max + " per class";
    }

    private static String rowNames(int[] labels, List<String> names) {
        return String.join(", ", Arrays.stream(labels).distinct().mapToObj(names::get).toList());
    }
}
