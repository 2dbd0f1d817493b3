package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.flow.FlowSchedule;
import org.minidiffusion.diffusion.flow.FlowSolver;
import org.minidiffusion.io.Images;
import org.minidiffusion.sd3.GenerationRequest;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.text.caption.Captioner;

/**
 * The {@code txt2img} command: loads a text-to-image model directory (diffusers'
 * {@code StableDiffusion3Pipeline} layout, {@link TextToImagePipeline#load}) and writes one PNG grid
 * with a row per prompt and {@code --count} images in each row.
 *
 * <p>Prompts are the positional arguments, one per argument (quote each); after {@code --} every
 * argument is a prompt. With none, the command draws the ten default prompts of
 * {@code evaluate-prompts}, one per class. A prompt with words that no training caption has gets
 * a one-line warning on standard error ({@link Captioner#unknownWordsWarning}) and is drawn anyway.
 *
 * <p>{@code --show-tokens} prints, for each prompt, the tokens and ids of both tokenizers
 * (CLIP's BPE and T5's Unigram) and the sigma schedule of the sampler, and then stops without
 * generating: it is for looking at what the model will read, which takes no sampling time.
 */
final class TextToImageCommand {
    /** The model directory by default: the one the project ships, a name that {@link ShippedModels} finds. */
    static final String DEFAULT_MODEL = "fashion-sd3";
    /** The output PNG by default. */
    static final Path DEFAULT_OUT = Path.of("txt2img.png");
    /** The command that trains a model directory. */
    static final String TRAIN_COMMAND = "train-t2i";
    /** Sampling steps by default. */
    static final int DEFAULT_STEPS = GenerationRequest.DEFAULT_STEPS;
    /** The guidance scale by default. */
    static final double DEFAULT_GUIDANCE = GenerationRequest.DEFAULT_GUIDANCE;
    /** Images per prompt by default. */
    static final int DEFAULT_COUNT = 1;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;
    /** The solver by default. */
    static final FlowSolver DEFAULT_SOLVER = FlowSolver.EULER;
    /** The gap between grid cells, in pixels. */
    static final int GRID_PADDING = 2;
    /** The value of the gaps, in {@code [0, 1]}: mid-grey. */
    static final float GRID_PAD_VALUE = 0.5f;

    /** The command line of {@code txt2img}. */
    static final CliCommand COMMAND = samplingOptions(CliCommand.named("txt2img",
                    "Draw images of text prompts with the text-to-image model into one PNG grid, a row per prompt.")
            .details("A prompt with words no training caption has gets a warning and is drawn anyway. After '--'"
                    + " every argument is a prompt, even one that starts with a dash.")
            .arguments("PROMPT", "the prompts, each quoted (default: the ten prompts of 'evaluate-prompts',"
                    + " one per class)"))
            .option("count", "N", "images per prompt (default: " + DEFAULT_COUNT + ")")
            .option("seed", "N", "the seed of the initial noise (default: "
                    + DEFAULT_SEED + ")")
            .flag("show-tokens", "print each prompt's CLIP and T5 tokens and ids and the sigmas, and draw nothing")
            .option("out", "PNG", "the image grid to write (default: " + DEFAULT_OUT + ")")
            .backend()
            .build();

    /**
     * Adds the options that {@code txt2img} and {@code evaluate-prompts} share: the model and how to sample it.
     *
     * @param b the command being declared
     * @return the same builder
     */
    static CliCommand.Builder samplingOptions(CliCommand.Builder b) {
        return b.option("model", "DIR", "the model directory, diffusers' StableDiffusion3Pipeline layout, made by '"
                        + TRAIN_COMMAND + "' (default: the shipped " + DEFAULT_MODEL + ")")
                .option("steps", "N", "sampling steps (default: " + DEFAULT_STEPS + ")")
                .option("guidance", "X", "the classifier-free guidance scale; 1 is none (default: " + DEFAULT_GUIDANCE
                        + ")")
                .option("shift", "X", "the shift of the sigma schedule (Esser et al. 2024, eq. 23) (default: the"
                        + " model's)")
                .option("sampler", "euler|heun", "the ODE solver of the flow (default: " + solverId(DEFAULT_SOLVER)
                        + ")")
                .option("negative", "TEXT", "guide away from TEXT instead of the empty prompt");
    }

    private TextToImageCommand() {
    }

    /**
     * The command line of {@code txt2img}.
     *
     * @param prompts    the prompts, at least one
     * @param model      the model directory
     * @param steps      sampling steps
     * @param guidance   the guidance scale
     * @param seed       the seed of the noise
     * @param shift      the schedule's shift, NaN for the model's
     * @param count      images per prompt
     * @param solver     Euler or Heun
     * @param negative   the negative prompt, {@code ""} for none
     * @param showTokens whether to print tokens and sigmas instead of generating
     * @param out        the PNG to write
     */
    record Settings(List<String> prompts, Path model, int steps, double guidance, long seed, double shift, int count,
                    FlowSolver solver, String negative, boolean showTokens, Path out) {
        /**
         * Returns the generation request of these settings.
         *
         * @return the request, without a listener
         */
        GenerationRequest request() {
            return new GenerationRequest(prompts, negative, count, steps, guidance, shift, solver, seed, null);
        }
    }


    /**
     * Returns {@code --model}, else the shipped model wherever {@link ShippedModels} finds it.
     *
     * @param o the options
     * @return the model directory
     * @throws DemoException if there is no {@code --model} and the shipped model is nowhere to be found
     */
    static Path model(Options o) {
        return o.has("model") ? o.path("model", null) : ShippedModels.resolve(DEFAULT_MODEL, "--model");
    }

    /**
     * Reads the settings of {@code txt2img}.
     *
     * @param p the options and prompts
     * @return the settings
     * @throws UsageException if an option is out of range
     * @throws DemoException  if there is no {@code --model} and the shipped model is nowhere to be found
     */
    static Settings parse(Cli.Invocation p) {
        Options o = p.options();
        List<String> prompts = p.arguments().isEmpty() ? EvaluatePromptsCommand.defaultPrompts() : p.arguments();
        int steps = o.intValue("steps", DEFAULT_STEPS, 1, 10_000);
        float guidance = o.floatValue("guidance", (float) DEFAULT_GUIDANCE, 0f, 100f);
        long seed = o.longValue("seed", DEFAULT_SEED);
        double shift = o.has("shift") ? o.positiveFloat("shift", 1f, 100f) : Double.NaN;
        int count = o.intValue("count", DEFAULT_COUNT, 1, 1000);
        FlowSolver solver = solver(o);
        String negative = o.string("negative", "");
        Path out = o.path("out", DEFAULT_OUT);
        // last, so that a bad command line is reported as such even where no model can be found
        return new Settings(prompts, model(o), steps, guidance, seed, shift, count, solver, negative,
                o.flag("show-tokens"), out);
    }

    /** Reads {@code --sampler euler|heun}. */
    static FlowSolver solver(Options o) {
        return o.choice("sampler", solverId(DEFAULT_SOLVER), Set.of("euler", "heun")).equals("heun")
                ? FlowSolver.HEUN : FlowSolver.EULER;
    }

    private static String solverId(FlowSolver solver) {
        return solver.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Loads a model directory, explaining a missing one.
     *
     * @param dir the directory
     * @return the pipeline
     * @throws DemoException if the directory does not exist
     * @throws IOException   naming the file, if one is missing or cannot be read
     */
    static TextToImagePipeline load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DemoException("no text-to-image model directory " + dir + " (in "
                    + dir.toAbsolutePath().normalize().getParent() + "); train one with '" + TRAIN_COMMAND
                    + "' or pass one with --model");
        }
        return TextToImagePipeline.load(dir);
    }

    /**
     * Prints a one-line warning on {@code err} for each prompt with words no training caption has.
     *
     * @param prompts the prompts
     * @param err     where warnings go
     */
    static void warnAboutUnknownWords(List<String> prompts, PrintStream err) {
        for (String prompt : prompts) {
            Captioner.unknownWordsWarning(prompt).ifPresent(w -> err.println("warning: \"" + prompt + "\": " + w));
        }
    }

    /**
     * Describes the sigmas a sampler visits, {@code σ_0 = 1} down to 0, and the timesteps {@code σ·T}
     * the model receives.
     *
     * @param schedule the schedule, with the shift used
     * @param steps    the steps
     * @param solver   the solver
     * @return two lines
     */
    static String describeSchedule(FlowSchedule schedule, int steps, FlowSolver solver) {
        StringJoiner sigmas = new StringJoiner(" ");
        for (double s : schedule.sigmas(steps)) {
            sigmas.add(String.format(Locale.ROOT, "%.4f", s));
        }
        StringJoiner timesteps = new StringJoiner(" ");
        for (double t : schedule.timesteps(steps)) {
            timesteps.add(String.format(Locale.ROOT, "%.1f", t));
        }
        return String.format(Locale.ROOT, "sigmas (%d %s step%s, shift %s, %d model evaluations per image): %s%n"
                        + "timesteps (sigma x %d): %s", steps, solverId(solver), steps == 1 ? "" : "s",
                schedule.shift(), solver.evaluations(steps), sigmas, schedule.numTrainTimesteps(), timesteps);
    }

    /**
     * Generates the images of a request with a progress bar.
     *
     * @param pipeline the model
     * @param request  what to draw
     * @param out      where progress goes
     * @return images {@code (N, 1, H, W)} in {@code [0, 1]}, prompt-major
     */
    static Tensor generate(TextToImagePipeline pipeline, GenerationRequest request, PrintStream out) {
        long total = request.steps();
        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "sampling step", total,
                ProgressBar.every(total, 10));
        long t0 = System.nanoTime();
        Tensor images = pipeline.generate(request.withListener((index, count, t, tPrev, sample) -> {
            double perStep = (System.nanoTime() - t0) / 1e9 / (index + 1);
            bar.update(index + 1, perStep, String.format(Locale.ROOT, "%.2f s/step", perStep));
        }));
        bar.finish();
        return images;
    }

    /**
     * Tiles prompt-major images into a grid with one row per prompt.
     *
     * @param images {@code (prompts × count, 1, H, W)} in {@code [0, 1]}
     * @param count  images per prompt, the columns
     * @return {@code (1, prompts (H + 2) + 2, count (W + 2) + 2)}
     */
    static Tensor grid(Tensor images, int count) {
        return Images.grid(images, count, GRID_PADDING, GRID_PAD_VALUE);
    }

    /**
     * Runs {@code txt2img}.
     *
     * @param s   the settings
     * @param out where progress and the summary go
     * @param err where warnings go
     * @return the images, or null with {@code --show-tokens}
     * @throws IOException   if the model cannot be read or the PNG written
     * @throws DemoException if the model directory is missing
     */
    static Tensor run(Settings s, PrintStream out, PrintStream err) throws IOException {
        TextToImagePipeline pipeline = load(s.model());
        warnAboutUnknownWords(s.prompts(), err);
        out.println("loaded " + describe(s.model(), pipeline));
        GenerationRequest request = s.request();
        FlowSchedule schedule = Double.isNaN(request.shift()) ? pipeline.schedule()
                : new FlowSchedule(pipeline.schedule().numTrainTimesteps(), request.shift());
        if (s.showTokens()) {
            for (String prompt : s.prompts()) {
                out.println("prompt \"" + prompt + "\":");
                pipeline.encoder().describeTokens(prompt).lines().forEach(line -> out.println("  " + line));
            }
            if (!request.negativePrompt().isEmpty()) {
                out.println("negative prompt \"" + request.negativePrompt() + "\":");
                pipeline.encoder().describeTokens(request.negativePrompt()).lines().forEach(line -> out.println("  " + line));
            }
            out.println(describeSchedule(schedule, s.steps(), s.solver()));
            return null;
        }
        out.printf(Locale.ROOT, "drawing %d image%s of %d prompt%s with %s, %d step%s, shift %s, guidance %s%s, seed %d%n",
                s.count(), s.count() == 1 ? "" : "s", s.prompts().size(), s.prompts().size() == 1 ? "" : "s",
                solverId(s.solver()), s.steps(), s.steps() == 1 ? "" : "s", schedule.shift(), s.guidance(),
                s.negative().isEmpty() ? "" : " against \"" + s.negative() + "\"", s.seed());
        long t0 = System.nanoTime();
        Tensor images = generate(pipeline, request, out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Tensor grid = grid(images, s.count());
        Path parent = s.out().toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Images.writePng(s.out(), grid, 0f, 1f);
        out.printf(Locale.ROOT, "wrote %s (%dx%d pixels, a row per prompt, %d per row) in %.1f s on backend '%s'%n",
                s.out(), grid.size(2), grid.size(1), s.count(), seconds, Backends.current().id());
        return images;
    }

    /**
     * Describes a loaded model in one line.
     *
     * @param dir      its directory
     * @param pipeline the model
     * @return the sizes of its parts
     */
    static String describe(Path dir, TextToImagePipeline pipeline) {
        return String.format(Locale.ROOT, "%s: MMDiT %,d parameters, CLIP %,d, T5 %,d, VAE %,d; %d+%d tokens, %dx%d images",
                dir, parameters(pipeline.transformer()), parameters(pipeline.encoder().clip()),
                parameters(pipeline.encoder().t5()), parameters(pipeline.vae()), pipeline.encoder().clipLength(),
                pipeline.encoder().t5Length(), pipeline.imageSize(), pipeline.imageSize());
    }

    private static long parameters(org.minidiffusion.core.api.Parameterized model) {
        return model.parameters().values().stream().mapToLong(p -> p.shape().numel()).sum();
    }
}
