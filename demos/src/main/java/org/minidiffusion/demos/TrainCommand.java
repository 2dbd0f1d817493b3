package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.Sampler;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.train.Trainer;
import org.minidiffusion.diffusion.train.TrainingData;
import org.minidiffusion.diffusion.train.TrainingDivergedException;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.Images;
import org.minidiffusion.io.Plot;

/**
 * The {@code train} command: trains a class-conditional U-Net on Fashion-MNIST with a progress
 * bar, periodic checkpoints, sample grids and a loss curve, and writes the EMA weights as a
 * {@linkplain ModelFile model file} for {@code generate}.
 *
 * <p>Everything goes to one output directory:
 * <ul>
 *   <li>{@code checkpoint.safetensors}: model, EMA and optimiser state, to continue with {@code --resume};
 *   <li>{@code model.safetensors}: the EMA weights and their metadata, the file {@code generate} loads;
 *   <li>{@code samples/step-NNNNNN.png}: sample grids from the EMA model, one row per class;
 *   <li>{@code loss.png} and {@code losses.csv}: the loss of every step;
 *   <li>{@code run.properties}: the data the run trains on, so that {@code --resume} finds it again.
 * </ul>
 */
final class TrainCommand {
    /** The output directory by default. */
    static final Path DEFAULT_OUT = Path.of("runs", "fashion");
    /** The steps of a new run by default: about ten minutes with the tiny U-Net on two cores. */
    static final int DEFAULT_STEPS = 300;
    /** The images per step by default. */
    static final int DEFAULT_BATCH = 32;
    /** The peak learning rate of AdamW by default. */
    static final float DEFAULT_LR = 1e-3f;
    /** The U-Net size by default. */
    static final ModelSize DEFAULT_MODEL = ModelSize.TINY;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;
    /** The fewest steps between sample grids by default; see {@link #defaultSampleEvery}. */
    static final int MIN_SAMPLE_EVERY = 100;
    /** Steps between checkpoints by default. */
    static final int DEFAULT_CHECKPOINT_EVERY = 100;
    /** DDIM steps of each sample grid by default. */
    static final int DEFAULT_SAMPLE_STEPS = 25;
    /** Images per class in a sample grid. */
    static final int SAMPLE_COLUMNS = 8;
    /** The classifier-free guidance scale of the sample grids. */
    static final float SAMPLE_GUIDANCE = 3f;

    /** The checkpoint's file name in the output directory. */
    static final String CHECKPOINT = "checkpoint.safetensors";
    /** The model file's name in the output directory. */
    static final String MODEL = "model.safetensors";
    /** The loss curve's file name in the output directory. */
    static final String LOSS_PNG = "loss.png";
    /** The loss table's file name in the output directory. */
    static final String LOSSES_CSV = "losses.csv";
    /** The sample grids' directory in the output directory. */
    static final String SAMPLES = "samples";
    /** The run description's file name in the output directory. */
    static final String RUN_INFO = "run.properties";

    /** The options that take a value. */
    static final Set<String> OPTIONS = Set.of("out", "data", "split", "steps", "batch", "lr", "model", "backend", "seed",
            "sample-every", "checkpoint-every", "sample-steps");
    /** The switches. */
    static final Set<String> FLAGS = Set.of("resume");

    private static final int LOSS_PLOT_WIDTH = 800;
    private static final int LOSS_PLOT_HEIGHT = 400;
    private static final int WINDOW = 50;
    private static final long SAMPLE_SEED_SALT = 0x5A3D1E5L;

    private TrainCommand() {
    }

    /**
     * The command line of {@code train}.
     *
     * @param out             the output directory
     * @param resume          whether to continue the run in {@code out}
     * @param data            the directory of IDX files, or null for the default (or the resumed run's)
     * @param split           {@code t10k} or {@code train}, or null to choose from the directory
     * @param steps           the total number of steps, or 0 for the default (or the resumed run's plan)
     * @param batch           images per step
     * @param lr              the peak learning rate
     * @param model           the U-Net size
     * @param seed            the seed of the weights, data order and noise
     * @param sampleEvery     steps between sample grids; 0 for a grid at the end only, −1 for
     *                        {@linkplain #defaultSampleEvery the default}
     * @param checkpointEvery steps between checkpoints
     * @param sampleSteps     DDIM steps of each sample grid
     */
    record Settings(Path out, boolean resume, Path data, String split, int steps, int batch, float lr, ModelSize model,
                    long seed, int sampleEvery, int checkpointEvery, int sampleSteps) {
    }

    /**
     * What a run did.
     *
     * @param completedSteps the steps done in all, including those before a resume
     * @param losses         the loss of every step done, NaN where unknown
     * @param out            the output directory
     */
    record Result(long completedSteps, double[] losses, Path out) {
    }

    /**
     * Reads the options of {@code train}.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is out of range or cannot be combined with {@code --resume}
     */
    static Settings parse(Options o) {
        boolean resume = o.flag("resume");
        if (resume) {
            for (String fixed : List.of("model", "batch", "lr", "seed")) {
                if (o.has(fixed)) {
                    throw new UsageException("--" + fixed + " cannot be combined with --resume: the checkpoint fixes it");
                }
            }
        }
        return new Settings(
                o.path("out", DEFAULT_OUT),
                resume,
                o.path("data", null),
                o.choice("split", null, Set.of(FashionMnist.TEST_SPLIT, FashionMnist.TRAIN_SPLIT)),
                o.intValue("steps", resume ? 0 : DEFAULT_STEPS, 1, 100_000_000),
                o.intValue("batch", DEFAULT_BATCH, 1, 4096),
                o.positiveFloat("lr", DEFAULT_LR, 1f),
                ModelSize.of(o.choice("model", DEFAULT_MODEL.id(), ModelSize.ids())),
                o.longValue("seed", DEFAULT_SEED),
                o.intValue("sample-every", -1, 0, 100_000_000),
                o.intValue("checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1, 100_000_000),
                o.intValue("sample-steps", DEFAULT_SAMPLE_STEPS, 1, 1000));
    }

    /**
     * Returns the steps between sample grids when {@code --sample-every} is not given: a tenth of
     * the run rounded up to a multiple of 100, and at least 100, so that a run shows about ten
     * grids and sampling (a minute or so per grid with the tiny U-Net) stays a small share of it.
     *
     * @param steps the planned steps
     * @return the interval
     */
    static int defaultSampleEvery(int steps) {
        return Math.max(MIN_SAMPLE_EVERY, (steps / 10 + 99) / 100 * 100);
    }

    /**
     * Returns the EMA decay for a run of {@code steps} steps: {@code 1 - 10 / steps} within
     * {@code [0.9, 0.999]}, so that the initial weights have faded from the average by the end
     * even of a short run.
     *
     * @param steps the planned steps
     * @return the decay
     */
    static float emaDecay(int steps) {
        return (float) Math.min(0.999, Math.max(0.9, 1 - 10.0 / steps));
    }

    /**
     * Returns the training settings of a new run.
     *
     * @param s the command line
     * @return {@link TrainConfig#defaults} with the batch size, learning rate and an EMA decay
     *         suited to the run's length
     */
    static TrainConfig trainConfig(Settings s) {
        TrainConfig d = TrainConfig.defaults(s.steps(), s.seed());
        return new TrainConfig(d.steps(), s.batch(), s.lr(), d.warmupSteps(), d.weightDecay(), d.gradClip(),
                emaDecay(s.steps()), d.classDropout(), d.seed(), d.prediction(), d.betaSchedule(), d.trainTimesteps());
    }

    /**
     * Trains, starting or resuming a run.
     *
     * @param s   the settings
     * @param out where progress goes
     * @return what was done
     * @throws IOException                if a file cannot be read or written
     * @throws DemoException              if the data are missing or the output directory does
     *                                    not fit the request (a run exists, or none to resume)
     * @throws TrainingDivergedException  if the loss becomes NaN; the last checkpoint is intact
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        Path dir = s.out();
        Path checkpoint = dir.resolve(CHECKPOINT);
        Properties recorded = new Properties();
        if (s.resume()) {
            if (!Files.exists(checkpoint)) {
                throw new DemoException("--resume: there is no checkpoint " + checkpoint
                        + " to continue from; start a new run without --resume");
            }
            Path info = dir.resolve(RUN_INFO);
            if (Files.exists(info)) {
                try (Reader r = Files.newBufferedReader(info, StandardCharsets.UTF_8)) {
                    recorded.load(r);
                }
            }
        } else if (Files.exists(checkpoint)) {
            throw new DemoException(dir + " already holds a training run (" + checkpoint + "); continue it with --resume"
                    + " (and --steps to extend it), or pass another --out");
        }

        boolean sameData = s.data() == null && recorded.getProperty("data") != null;
        Path dataDir = s.data() != null ? s.data() : sameData ? Path.of(recorded.getProperty("data")) : FashionMnist.DEFAULT_DIR;
        String split = s.split() != null ? s.split()
                : sameData && recorded.getProperty("split") != null ? recorded.getProperty("split")
                : defaultSplit(dataDir, s.data() != null);
        FashionMnist images = loadData(dataDir, split, s.data() != null || sameData);
        if (images.height() != images.width()) {
            throw new DemoException(dataDir + ": the images are " + images.height() + "x" + images.width()
                    + "; the U-Net needs square images");
        }
        TrainingData data = TrainingData.of(images);

        Trainer trainer;
        String modelName;
        if (s.resume()) {
            String expected = recorded.getProperty("images");
            if (expected != null && !expected.equals(Integer.toString(images.size()))) {
                throw new DemoException("the run in " + dir + " trains on " + expected + " images (" + recorded.getProperty("data")
                        + ", split " + recorded.getProperty("split") + ") but " + dataDir + " (split " + split + ") has "
                        + images.size() + "; resume with the same --data and --split");
            }
            trainer = resume(checkpoint, data, s.steps(), dir);
            modelName = recorded.getProperty("model", "custom");
            out.printf(Locale.ROOT, "resuming %s at step %d of %d%n", checkpoint, trainer.completedSteps(),
                    trainer.config().steps());
        } else {
            UNetConfig config;
            try {
                config = s.model().config(images.height(), 1, FashionMnist.CLASS_NAMES.size());
            } catch (IllegalArgumentException e) {
                throw new DemoException("cannot build a " + s.model().id() + " U-Net for " + images.height() + "x"
                        + images.width() + " images: " + e.getMessage(), e);
            }
            if (images.size() < s.batch()) {
                throw new DemoException("--batch " + s.batch() + " is larger than the data set (" + images.size() + " images)");
            }
            trainer = new Trainer(new UNet(config, new Rng(s.seed())), trainConfig(s), data);
            modelName = s.model().id();
            Files.createDirectories(dir);
            Properties info = new Properties();
            info.setProperty("data", dataDir.toString());
            info.setProperty("split", split);
            info.setProperty("images", Integer.toString(images.size()));
            info.setProperty("model", modelName);
            writeAtomically(dir.resolve(RUN_INFO), w -> info.store(w, "mini-diffusion training run"));
        }

        TrainConfig config = trainer.config();
        int total = config.steps();
        int sampleEvery = s.sampleEvery() >= 0 ? s.sampleEvery() : defaultSampleEvery(total);
        UNetConfig unet = trainer.model().config();
        int parameters = trainer.model().parameters().values().stream().mapToInt(p -> p.shape().numel()).sum();
        out.printf(Locale.ROOT, "training a %s U-Net (%s; %,d parameters)%n", modelName,
                describe(unet), parameters);
        out.printf(Locale.ROOT, "  on %d images of %s (split %s), %d classes%n", images.size(), dataDir, split,
                unet.numClasses());
        out.printf(Locale.ROOT, "  %d steps of %d images: AdamW lr %s, %d warm-up steps then cosine decay, EMA decay %.4g,"
                        + " class dropout %s, %s prediction, %s schedule, seed %d%n",
                config.steps(), config.batchSize(), config.learningRate(), config.warmupSteps(), config.emaDecay(),
                config.classDropout(), config.prediction().name().toLowerCase(Locale.ROOT),
                config.betaSchedule().name().toLowerCase(Locale.ROOT), config.seed());
        out.printf(Locale.ROOT, "  writing to %s: %s every %d steps, %s (EMA weights, for 'generate --model'), %s/step-NNNNNN.png %s,"
                        + " %s and %s%n", dir, CHECKPOINT, s.checkpointEvery(), MODEL, SAMPLES,
                sampleEvery > 0 ? "every " + sampleEvery + " steps" : "at the end", LOSS_PNG, LOSSES_CSV);

        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("data", dataDir.toString());
        extra.put("split", split);
        extra.put("model_size", modelName);
        extra.put(ModelFile.CLASS_NAMES, String.join(",", FashionMnist.CLASS_NAMES));

        long first = trainer.completedSteps();
        double[] losses = new double[total];
        Arrays.fill(losses, Double.NaN);
        if (first > 0) {
            readLosses(dir.resolve(LOSSES_CSV), losses, first);
        }
        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "step", total,
                Math.min(100, ProgressBar.every(total, 20)));
        double[] windowLoss = new double[WINDOW];
        long[] windowNanos = new long[WINDOW];
        int seen = 0;
        long trainNanos = 0;
        long started = System.nanoTime();
        while (trainer.completedSteps() < total) {
            long t0 = System.nanoTime();
            Trainer.StepResult r;
            try {
                r = trainer.step();
            } catch (TrainingDivergedException e) {
                bar.finish();
                throw e;
            }
            long dt = System.nanoTime() - t0;
            trainNanos += dt;
            int step = (int) r.step();
            losses[step - 1] = r.loss();
            windowLoss[seen % WINDOW] = r.loss();
            windowNanos[seen % WINDOW] = dt;
            seen++;
            int n = Math.min(seen, WINDOW);
            double meanLoss = Arrays.stream(windowLoss, 0, n).average().orElse(Double.NaN);
            double secondsPerStep = Arrays.stream(windowNanos, 0, n).average().orElse(Double.NaN) / 1e9;
            bar.update(step, secondsPerStep, String.format(Locale.ROOT, "loss %.4f  %.1f img/s", meanLoss,
                    config.batchSize() / secondsPerStep));
            boolean last = step == total;
            if (step % s.checkpointEvery() == 0 || last) {
                save(trainer, dir, losses, extra);
                bar.println("step " + step + ": saved " + CHECKPOINT + ", " + MODEL + ", " + LOSS_PNG + " and " + LOSSES_CSV);
            }
            if ((sampleEvery > 0 && step % sampleEvery == 0) || last) {
                Path png = dir.resolve(SAMPLES).resolve(String.format(Locale.ROOT, "step-%06d.png", step));
                long s0 = System.nanoTime();
                bar.println("step " + step + ": sampling " + Math.max(1, unet.numClasses()) * SAMPLE_COLUMNS
                        + " images from the EMA weights for " + dir.relativize(png) + " ...");
                writeSampleGrid(trainer.emaModel(), config, s.sampleSteps(), png);
                bar.println(String.format(Locale.ROOT, "step %d: wrote %s (DDIM, %d step%s, guidance %s, %.1f s)", step,
                        dir.relativize(png), s.sampleSteps(), s.sampleSteps() == 1 ? "" : "s", SAMPLE_GUIDANCE,
                        (System.nanoTime() - s0) / 1e9));
            }
        }
        bar.finish();

        long done = trainer.completedSteps() - first;
        double seconds = trainNanos / 1e9;
        if (done > 0) {
            out.printf(Locale.ROOT, "trained %d steps in %s (%.1f img/s, %.2f s per step; %s in all with checkpoints and"
                            + " samples)%n", done, ProgressBar.duration(seconds), done * config.batchSize() / seconds,
                    seconds / done, ProgressBar.duration((System.nanoTime() - started) / 1e9));
        }
        out.println("files in " + dir + ":");
        out.printf(Locale.ROOT, "  %-24s the EMA weights; sample with: generate --model %s%n", MODEL, dir.resolve(MODEL));
        out.printf(Locale.ROOT, "  %-24s continue with: train --resume --out %s --steps %d%n", CHECKPOINT, dir, 2L * total);
        out.printf(Locale.ROOT, "  %-24s sample grids, one row per class: %s%n", SAMPLES + "/",
                String.join(", ", FashionMnist.CLASS_NAMES));
        out.printf(Locale.ROOT, "  %-24s the loss curve; %s holds the values%n", LOSS_PNG, LOSSES_CSV);
        return new Result(trainer.completedSteps(), Arrays.copyOf(losses, (int) trainer.completedSteps()), dir);
    }

    private static Trainer resume(Path checkpoint, TrainingData data, int steps, Path dir) throws IOException {
        Trainer trainer;
        try {
            trainer = Trainer.resume(checkpoint, data, steps);
        } catch (IllegalArgumentException e) {
            throw new DemoException(checkpoint + " is not a usable training checkpoint: " + e.getMessage(), e);
        }
        long completed = trainer.completedSteps();
        if (steps > 0 && steps <= completed) {
            throw new DemoException("the run in " + dir + " has already done " + completed + " steps; pass --steps"
                    + " greater than " + completed + " to train further");
        }
        if (completed >= trainer.config().steps()) {
            throw new DemoException("the run in " + dir + " has finished its " + completed + " steps; pass --steps"
                    + " greater than " + completed + " to train further");
        }
        return trainer;
    }

    private static String describe(UNetConfig c) {
        String mults = Arrays.stream(c.channelMults()).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        String attention = new TreeSet<>(c.attentionRes()).stream().map(r -> r + "x" + r).collect(Collectors.joining(", "));
        return "base " + c.baseChannels() + ", mults (" + mults + "), " + c.blocksPerLevel() + " block"
                + (c.blocksPerLevel() == 1 ? "" : "s") + " per level, attention at " + attention + ", for "
                + c.imageSize() + "x" + c.imageSize() + "x" + c.inChannels() + " images";
    }

    /**
     * Returns the split to train on when {@code --split} is not given: {@code train} if the user
     * named a directory that has it, else {@code t10k}, the split the repository ships.
     *
     * @param dir      the data directory
     * @param explicit whether the user named the directory
     * @return the split
     */
    static String defaultSplit(Path dir, boolean explicit) {
        boolean hasTrain = Files.exists(dir.resolve("train-images-idx3-ubyte.gz"))
                || Files.exists(dir.resolve("train-images-idx3-ubyte"));
        return explicit && hasTrain ? FashionMnist.TRAIN_SPLIT : FashionMnist.TEST_SPLIT;
    }

    /**
     * Loads a split, explaining a missing file.
     *
     * @param dir      the directory of IDX files
     * @param split    the split
     * @param explicit whether the user chose the directory (else it is the built-in default)
     * @return the images
     * @throws IOException   if a file is invalid
     * @throws DemoException if a file is missing
     */
    static FashionMnist loadData(Path dir, String split, boolean explicit) throws IOException {
        try {
            return FashionMnist.load(dir, split);
        } catch (NoSuchFileException e) {
            String hint = explicit
                    ? "--data must name a directory holding " + split + "-images-idx3-ubyte(.gz) and " + split
                    + "-labels-idx1-ubyte(.gz)"
                    : "run from the repository root, whose " + FashionMnist.DEFAULT_DIR + " holds the built-in split,"
                    + " or pass --data <dir> (" + FashionMnist.SYSTEM_DIR + " has both splits if installed)";
            throw new DemoException("cannot find the images: " + e.getFile() + " does not exist; " + hint, e);
        }
    }

    /** Saves the checkpoint, the model file, the loss table and the loss curve, in that order. */
    private static void save(Trainer trainer, Path dir, double[] losses, Map<String, String> extra) throws IOException {
        long step = trainer.completedSteps();
        trainer.save(dir.resolve(CHECKPOINT));
        writeLosses(dir.resolve(LOSSES_CSV), losses, step);
        ModelFile.write(dir.resolve(MODEL), trainer.emaModel(), trainer.config(), step, extra);
        double[] upToNow = Arrays.copyOf(losses, (int) step);
        if (Arrays.stream(upToNow).anyMatch(Double::isFinite)) {
            Plot.lossCurve(dir.resolve(LOSS_PNG), upToNow, LOSS_PLOT_WIDTH, LOSS_PLOT_HEIGHT);
        }
    }

    /**
     * Samples a grid from a model with one row of {@link #SAMPLE_COLUMNS} images per class,
     * with DDIM and guidance, and writes it as a PNG.
     *
     * @param ema    the model to sample from
     * @param config the settings it was trained with
     * @param steps  the DDIM steps
     * @param png    the file to write
     * @throws IOException if writing fails
     */
    static void writeSampleGrid(UNet ema, TrainConfig config, int steps, Path png) throws IOException {
        int classes = ema.config().numClasses();
        int[] labels = Sampling.labelsInClassOrder(Math.max(1, classes) * SAMPLE_COLUMNS, Math.max(1, classes));
        Sampler sampler = Sampling.sampler("ddim", NoiseSchedule.of(config.betaSchedule(), config.trainTimesteps()),
                config.prediction(), 0);
        Tensor images = Sampling.generate(ema, sampler, Math.min(steps, config.trainTimesteps()), labels,
                SAMPLE_GUIDANCE, config.seed() ^ SAMPLE_SEED_SALT, labels.length, (done, total) -> { });
        Files.createDirectories(png.toAbsolutePath().getParent());
        Images.writePng(png, Sampling.classGrid(images, labels, classes));
    }

    /**
     * Writes the losses of steps {@code 1..steps} as {@code step,loss} lines, atomically.
     *
     * @param file   the CSV file
     * @param losses the loss of each step, indexed from 0
     * @param steps  the number of steps to write
     * @throws IOException if writing fails
     */
    static void writeLosses(Path file, double[] losses, long steps) throws IOException {
        writeAtomically(file, w -> {
            w.write("step,loss\n");
            for (int i = 0; i < steps; i++) {
                w.write((i + 1) + "," + (Double.isNaN(losses[i]) ? "" : Double.toString(losses[i])) + "\n");
            }
        });
    }

    /**
     * Reads the losses of steps {@code 1..steps} written by {@link #writeLosses}; missing or
     * unreadable entries stay as they are.
     *
     * @param file   the CSV file, which need not exist
     * @param losses receives the loss of step {@code s} at index {@code s - 1}
     * @param steps  the last step to read
     * @throws IOException if the file exists but cannot be read
     */
    static void readLosses(Path file, double[] losses, long steps) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int comma = line.indexOf(',');
            if (comma <= 0) {
                continue;
            }
            try {
                long step = Long.parseLong(line.substring(0, comma).trim());
                String value = line.substring(comma + 1).trim();
                if (step >= 1 && step <= steps && step <= losses.length && !value.isEmpty()) {
                    losses[(int) step - 1] = Double.parseDouble(value);
                }
            } catch (NumberFormatException e) {
                // the header or a damaged line: skip it
            }
        }
    }

    /** Writes text to a file through a temporary file and a rename. */
    private interface Body {
        void write(Writer w) throws IOException;
    }

    private static void writeAtomically(Path file, Body body) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            body.write(w);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
