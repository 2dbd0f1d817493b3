package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
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
    static final String CHECKPOINT = TrainingRun.CHECKPOINT;
    /** The model file's name in the output directory. */
    static final String MODEL = "model.safetensors";
    /** The loss curve's file name in the output directory. */
    static final String LOSS_PNG = TrainingRun.LOSS_PNG;
    /** The loss table's file name in the output directory. */
    static final String LOSSES_CSV = TrainingRun.LOSSES_CSV;
    /** The sample grids' directory in the output directory. */
    static final String SAMPLES = "samples";
    /** The run description's file name in the output directory. */
    static final String RUN_INFO = TrainingRun.RUN_INFO;

    /** The command line of {@code train}. */
    static final CliCommand COMMAND = CliCommand.named("train",
                    "Train a class-conditional diffusion U-Net on Fashion-MNIST, with a progress bar.")
            .details("Writes checkpoint.safetensors, samples/step-NNNNNN.png (one row per class), loss.png,"
                    + " losses.csv and model.safetensors (the EMA weights, for 'generate') to --out.")
            .option("out", "DIR", "the run's directory (default: " + DEFAULT_OUT + ")")
            .flag("resume", "continue <out>/checkpoint.safetensors, up to --steps if given; the checkpoint fixes"
                    + " --model, --batch, --lr and --seed")
            .option("steps", "N", "training steps (default: " + DEFAULT_STEPS + ")")
            .option("batch", "N", "images per step (default: " + DEFAULT_BATCH + ")")
            .option("lr", "X", "AdamW's peak learning rate (default: " + DEFAULT_LR + ")")
            .option("model", String.join("|", ModelSize.ids()), "the U-Net's size (default: " + DEFAULT_MODEL.id()
                    + ")")
            .option("seed", "N", "the seed of the weights, batches and noise (default: " + DEFAULT_SEED + ")")
            .option("data", "DIR", "the Fashion-MNIST files (default: " + FashionMnist.DEFAULT_DIR + ")")
            .option("split", "t10k|train", "the split to train on (default: t10k for the built-in data, else train"
                    + " if --data has it)")
            .option("sample-every", "N", "steps between sample grids (default: a tenth of --steps, at least "
                    + MIN_SAMPLE_EVERY + ")")
            .option("checkpoint-every", "N", "steps between checkpoints (default: " + DEFAULT_CHECKPOINT_EVERY + ")")
            .option("sample-steps", "N", "DDIM steps of the sample grids (default: " + DEFAULT_SAMPLE_STEPS + ")")
            .backend()
            .build();

    static final int LOSS_PLOT_WIDTH = TrainingRun.LOSS_PLOT_WIDTH;
    static final int LOSS_PLOT_HEIGHT = TrainingRun.LOSS_PLOT_HEIGHT;
    /** The title of {@link #LOSS_PNG}; its axes are "step" and "loss (log scale)". */
    static final String LOSS_TITLE = "train: loss per step";
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
        TrainingRun.rejectFixed(o, List.of("model", "batch", "lr", "seed"), "checkpoint");
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
     * A run ready to train: its directory, the trainer, where it came from and the data it trains on.
     *
     * @param files     the output directory and its files
     * @param trainer   the trainer, new or resumed
     * @param modelName the U-Net size, {@code custom} if a resumed run does not say
     * @param dataDir   the directory of IDX files
     * @param split     the split trained on
     * @param images    the number of training images
     */
    private record Run(TrainingRun files, Trainer trainer, String modelName, Path dataDir, String split, int images) {
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
        Run run = open(s, out);
        Trainer trainer = run.trainer();
        int total = trainer.config().steps();
        int sampleEvery = s.sampleEvery() >= 0 ? s.sampleEvery() : defaultSampleEvery(total);
        TrainReport report = new TrainReport(out, s.out(), trainer.config());
        report.plan(run.modelName(), trainer.model(), run.images(), run.dataDir(), run.split(), s.checkpointEvery(),
                sampleEvery);

        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("data", run.dataDir().toString());
        extra.put("split", run.split());
        extra.put("model_size", run.modelName());
        extra.put(ModelFile.CLASS_NAMES, String.join(",", FashionMnist.CLASS_NAMES));

        long first = trainer.completedSteps();
        double[][] losses = run.files().losses(total, first);
        train(run.files(), trainer, s, sampleEvery, losses, extra, report);
        report.summary(trainer.completedSteps() - first);
        return new Result(trainer.completedSteps(), Arrays.copyOf(losses[0], (int) trainer.completedSteps()), s.out());
    }

    /**
     * The training loop: steps until the planned total, saving every {@code --checkpoint-every}
     * steps and sampling a grid every {@code sampleEvery} steps, and at the end.
     */
    private static void train(TrainingRun files, Trainer trainer, Settings s, int sampleEvery, double[][] losses,
                              Map<String, String> extra, TrainReport report) throws IOException {
        Path dir = s.out();
        int total = trainer.config().steps();
        report.start(total);
        while (trainer.completedSteps() < total) {
            long t0 = System.nanoTime();
            Trainer.StepResult r;
            try {
                r = trainer.step();
            } catch (TrainingDivergedException e) {
                report.stop();
                throw e;
            }
            int step = (int) r.step();
            losses[0][step - 1] = r.loss();
            report.step(step, r.loss(), System.nanoTime() - t0);
            boolean last = step == total;
            if (step % s.checkpointEvery() == 0 || last) {
                save(files, trainer, losses, extra);
                report.saved(step);
            }
            if ((sampleEvery > 0 && step % sampleEvery == 0) || last) {
                Path png = dir.resolve(SAMPLES).resolve(String.format(Locale.ROOT, "step-%06d.png", step));
                report.sampling(step, trainer.emaModel().config(), png);
                long s0 = System.nanoTime();
                writeSampleGrid(trainer.emaModel(), trainer.config(), s.sampleSteps(), png);
                report.sampled(step, png, s.sampleSteps(), System.nanoTime() - s0);
            }
        }
        report.stop();
    }

    /**
     * Opens the run {@code s} asks for: checks the output directory, loads the data, and resumes
     * the checkpoint or builds a new model.
     */
    private static Run open(Settings s, PrintStream out) throws IOException {
        Path dir = s.out();
        TrainingRun files = new TrainingRun(dir, s.resume(), "training run", LOSS_TITLE, LossTable.LOSS);
        Properties recorded = files.recordedRun("; delete it and resume with --data and --split");
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
        if (!s.resume()) {
            return newRun(files, s, images, dataDir, split);
        }
        files.requireSame("images", Integer.toString(images.size()), (expected, actual) -> "the run in " + dir
                + " trains on " + expected + " images (" + recorded.getProperty("data") + ", split "
                + recorded.getProperty("split") + ") but " + dataDir + " (split " + split + ") has " + actual
                + "; resume with the same --data and --split");
        Trainer trainer = resume(files, new FashionMnistData(images), s.steps());
        out.println(files.resuming(trainer.completedSteps(), trainer.config().steps()));
        return new Run(files, trainer, recorded.getProperty("model", "custom"), dataDir, split, images.size());
    }

    /** Builds a new model for the data and records the data in {@link #RUN_INFO}, for {@code --resume}. */
    private static Run newRun(TrainingRun files, Settings s, FashionMnist images, Path dataDir, String split)
            throws IOException {
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
        Trainer trainer = new Trainer(new UNet(config, new Rng(s.seed())), trainConfig(s), new FashionMnistData(images));
        files.record("mini-diffusion training run", Map.of("data", dataDir.toString(), "split", split,
                "images", Integer.toString(images.size()), "model", s.model().id()));
        return new Run(files, trainer, s.model().id(), dataDir, split, images.size());
    }

    private static Trainer resume(TrainingRun files, TrainingData data, int steps) throws IOException {
        Path checkpoint = files.checkpoint();
        Trainer trainer;
        try {
            trainer = TrainingCheckpoints.resume(checkpoint, data, steps);
        } catch (InvalidFieldException e) { // names the key or tensor, the value and the range
            throw new DemoException(e.source() + " is not a usable training checkpoint: " + e.detail(), e);
        } catch (IllegalArgumentException e) {
            throw new DemoException(checkpoint + " is not a usable training checkpoint: " + e.getMessage(), e);
        }
        files.checkSteps(trainer.completedSteps(), trainer.config().steps(), steps, null);
        return trainer;
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

    /** Saves the checkpoint, the loss table, the model file and the loss curve, in that order. */
    private static void save(TrainingRun files, Trainer trainer, double[][] losses, Map<String, String> extra)
            throws IOException {
        long step = trainer.completedSteps();
        TrainingCheckpoints.save(trainer, files.checkpoint());
        files.writeLosses(losses, step);
        ModelFile.write(files.dir().resolve(MODEL), trainer.emaModel(), trainer.config(), step, extra);
        files.plotLosses(losses[0], step);
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
        Sampler sampler = SamplerKind.DDIM.create(NoiseSchedule.of(config.betaSchedule(), config.trainTimesteps()),
                config.prediction(), 0);
        Tensor images = Sampling.generate(ema, sampler, Math.min(steps, config.trainTimesteps()), labels,
                SAMPLE_GUIDANCE, config.seed() ^ SAMPLE_SEED_SALT, labels.length, (done, total) -> { });
        Files.createDirectories(png.toAbsolutePath().getParent());
        Images.writePng(png, Sampling.classGrid(images, labels, classes));
    }
}
