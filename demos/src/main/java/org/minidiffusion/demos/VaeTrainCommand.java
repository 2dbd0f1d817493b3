package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.Images;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;
import org.minidiffusion.vae.AutoencoderKLTrainer;
import org.minidiffusion.vae.DiagonalGaussianDistribution;
import org.minidiffusion.vae.InvalidTrainingStateException;
import org.minidiffusion.vae.LatentStatistics;
import org.minidiffusion.vae.Psnr;
import org.minidiffusion.vae.VaeObjective;
import org.minidiffusion.vae.VaeTrainConfig;
import org.minidiffusion.vae.VaeTrainingDivergedException;

/**
 * The {@code train-vae} command: trains the KL autoencoder of latent diffusion on the
 * Fashion-MNIST train split, with a progress bar, a log, a loss curve and checkpoints that resume
 * exactly; then measures the latent scaling on training images and the reconstruction PSNR on the
 * test split, and writes the autoencoder as diffusers lays it out.
 *
 * <p>Images are padded from 28x28 to 32x32 with the background value (−1, black), not resized:
 * every original pixel stays exactly as it is (no interpolation blurs the target), cropping undoes
 * the padding, and the items already sit on a black border, as LeNet padded MNIST to 32x32. A
 * 32x32 image gives a 4x8x8 latent, whose side the MMDiT's 2x2 patches divide. In general the side
 * is padded to the next multiple of 8 (twice the downsampling factor).
 *
 * <p>PSNR is measured on the original 28x28 pixels (the padding cropped away, so the easy border
 * does not inflate it) in {@code [0, 1]}, with the reconstruction {@code decode(mode(encode(x)))}
 * clamped to {@code [0, 1]} and not quantised: {@code 10 log10(1 / MSE)} per image, averaged over
 * the test images (the usual convention of image-restoration papers); the PSNR of the mean MSE
 * over all pixels is reported beside it.
 *
 * <p>Everything goes to one output directory:
 * <ul>
 *   <li>{@code checkpoint.safetensors}: weights, AdamW state and settings, to continue with {@code --resume};
 *   <li>{@code loss.png} and {@code losses.csv}: the loss, MSE and KL term of every step;
 *   <li>{@code train.log}: what the run printed, with a progress line every few steps;
 *   <li>{@code run.properties}: the data the run trains on, so that {@code --resume} finds it again;
 *   <li>at the end, {@code vae/config.json} (with the measured {@code scaling_factor} and
 *       {@code shift_factor}) and {@code vae/diffusion_pytorch_model.safetensors}, the layout of
 *       diffusers' {@code AutoencoderKL.from_pretrained}, and {@code reconstructions.png}
 *       (test images above, their reconstructions below).
 * </ul>
 */
final class VaeTrainCommand {
    /** The output directory by default. */
    static final Path DEFAULT_OUT = Path.of("runs", "fashion-vae");
    /** The data by default: the system's copy, which has both splits. */
    static final Path DEFAULT_DATA = FashionMnist.SYSTEM_DIR;
    /**
     * The steps of a new run by default: about 15 minutes with the small autoencoder on two idle
     * cores, 26.6 dB of test PSNR (measured; see demos/README.md).
     */
    static final int DEFAULT_STEPS = 1500;
    /** The images per step by default. */
    static final int DEFAULT_BATCH = 32;
    /** The peak learning rate of AdamW by default. */
    static final float DEFAULT_LR = 2e-3f;
    /** The weight of the KL term by default (latent diffusion's kl_weight for its f = 4 autoencoder). */
    static final float DEFAULT_BETA = 1e-6f;
    /** The autoencoder size by default. */
    static final VaeSize DEFAULT_SIZE = VaeSize.SMALL;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;
    /** Steps between checkpoints by default. */
    static final int DEFAULT_CHECKPOINT_EVERY = 100;
    /** Test images whose PSNR is measured, by default: the whole test split. */
    static final int DEFAULT_EVAL_IMAGES = 10_000;
    /** Training images whose latents give the scaling factors, by default (512,000 latent values). */
    static final int DEFAULT_STATS_IMAGES = 2_000;
    /** Images per forward pass when measuring. */
    static final int EVAL_BATCH = 100;
    /** The value of the padding: the background of Fashion-MNIST, black, in {@code [-1, 1]}. */
    static final float BACKGROUND = -1f;
    /** Images in each row of {@link #RECONSTRUCTIONS}. */
    static final int GRID_COLUMNS = 8;

    /** The checkpoint's file name in the output directory. */
    static final String CHECKPOINT = TrainingRun.CHECKPOINT;
    /** The loss table's file name. */
    static final String LOSSES_CSV = TrainingRun.LOSSES_CSV;
    /** The loss curve's file name. */
    static final String LOSS_PNG = TrainingRun.LOSS_PNG;
    /** The log's file name. */
    static final String LOG = TrainingRun.LOG;
    /** The run description's file name. */
    static final String RUN_INFO = TrainingRun.RUN_INFO;
    /** The directory of the trained autoencoder, as diffusers lays it out. */
    static final String MODEL_DIR = "vae";
    /** The config's file name in {@link #MODEL_DIR}. */
    static final String CONFIG_JSON = "config.json";
    /** The weights' file name in {@link #MODEL_DIR}. */
    static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
    /** Test images and their reconstructions. */
    static final String RECONSTRUCTIONS = "reconstructions.png";

    /** The command line of {@code train-vae}. */
    static final CliCommand COMMAND = CliCommand.named("train-vae",
                    "Train the KL autoencoder (latents 4x8x8 for 32x32 images) on the Fashion-MNIST training images.")
            .details("Writes checkpoint.safetensors, loss.png, losses.csv and train.log to --out, then measures"
                    + " the latent scaling on --stats-images training images and the reconstruction PSNR on"
                    + " --eval-images test images, and writes vae/config.json and"
                    + " vae/diffusion_pytorch_model.safetensors (diffusers' AutoencoderKL layout).")
            .option("out", "DIR", "the run's directory (default: " + DEFAULT_OUT + ")")
            .flag("resume", "continue <out>/checkpoint.safetensors, up to --steps if given; the checkpoint fixes"
                    + " --size, --batch, --lr, --beta and --seed")
            .option("steps", "N", "training steps (default: " + DEFAULT_STEPS + ")")
            .option("batch", "N", "images per step (default: " + DEFAULT_BATCH + ")")
            .option("lr", "X", "AdamW's peak learning rate (default: " + DEFAULT_LR + ")")
            .option("beta", "X", "the weight of the KL term (default: " + DEFAULT_BETA + ")")
            .option("size", String.join("|", VaeSize.ids()), "the autoencoder's size (default: " + DEFAULT_SIZE.id()
                    + ")")
            .option("seed", "N", "the seed of the weights, batches and noise (default: " + DEFAULT_SEED + ")")
            .option("data", "DIR", "the Fashion-MNIST files (default: " + DEFAULT_DATA + ")")
            .option("checkpoint-every", "N", "steps between checkpoints (default: " + DEFAULT_CHECKPOINT_EVERY + ")")
            .option("eval-images", "N", "test images for the PSNR; 0 skips it (default: " + DEFAULT_EVAL_IMAGES + ")")
            .option("stats-images", "N", "training images for the latent scaling (default: " + DEFAULT_STATS_IMAGES
                    + ")")
            .option("stop-after", "N", "stop at step N with a checkpoint, to train in sessions (default: run to"
                    + " --steps)")
            .backend()
            .build();

    static final int LOSS_PLOT_WIDTH = TrainingRun.LOSS_PLOT_WIDTH;
    static final int LOSS_PLOT_HEIGHT = TrainingRun.LOSS_PLOT_HEIGHT;
    /** The title of {@link #LOSS_PNG}; its axes are "step" and "loss (log scale)". */
    static final String LOSS_TITLE = "train-vae: loss per step";
    private static final long STATS_SEED_SALT = 0x1A7E47L;
    /** The layout of {@link #LOSSES_CSV}; a line that is not UTF-8 is reported by the file's name alone. */
    static final LossTable LOSS_TABLE = new LossTable("step,loss,mse,kl", false);

    private VaeTrainCommand() {
    }

    /**
     * The command line of {@code train-vae}.
     *
     * @param out             the output directory
     * @param resume          whether to continue the run in {@code out}
     * @param data            the directory of IDX files with both splits, or null for the default (or the resumed run's)
     * @param steps           the total number of steps, or 0 for the default (or the resumed run's plan)
     * @param batch           images per step
     * @param lr              the peak learning rate
     * @param beta            the weight of the KL term
     * @param size            the autoencoder size
     * @param seed            the seed of the weights, data order and noise
     * @param checkpointEvery steps between checkpoints
     * @param evalImages      test images to measure PSNR on (0: none)
     * @param statsImages     training images to measure the latent scaling on
     * @param stopAfter       the step to stop at, with a checkpoint, as if interrupted (to train in
     *                        sessions); 0 to train the whole plan
     */
    record Settings(Path out, boolean resume, Path data, int steps, int batch, float lr, float beta, VaeSize size,
                    long seed, int checkpointEvery, int evalImages, int statsImages, int stopAfter) {
    }

    /**
     * The reconstruction quality on the test split.
     *
     * @param images        the number of test images measured
     * @param meanPsnr      the PSNR of each image, averaged, in dB
     * @param psnrOfMeanMse the PSNR of the MSE over all their pixels, in dB
     * @param mse           that MSE, on {@code [0, 1]} pixels
     */
    record Evaluation(int images, double meanPsnr, double psnrOfMeanMse, double mse) {
    }

    /**
     * What a run did.
     *
     * @param completedSteps the steps done in all, including those before a resume
     * @param losses         the loss of every step done, NaN where unknown
     * @param config         the trained autoencoder's config, with its latent scaling
     * @param evaluation     the test PSNR, or null if no test image was measured
     * @param out            the output directory
     */
    record Result(long completedSteps, double[] losses, AutoencoderKLConfig config, Evaluation evaluation, Path out) {
    }

    /**
     * Reads the options of {@code train-vae}.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is out of range or cannot be combined with {@code --resume}
     */
    static Settings parse(Options o) {
        boolean resume = o.flag("resume");
        TrainingRun.rejectFixed(o, List.of("size", "batch", "lr", "beta", "seed"), "checkpoint");
        return new Settings(
                o.path("out", DEFAULT_OUT),
                resume,
                o.path("data", null),
                o.intValue("steps", resume ? 0 : DEFAULT_STEPS, 1, 100_000_000),
                o.intValue("batch", DEFAULT_BATCH, 1, VaeTrainConfig.MAX_BATCH_SIZE),
                o.positiveFloat("lr", DEFAULT_LR, VaeTrainConfig.MAX_LEARNING_RATE),
                o.floatValue("beta", DEFAULT_BETA, 0f, VaeObjective.MAX_BETA),
                VaeSize.of(o.choice("size", DEFAULT_SIZE.id(), VaeSize.ids())),
                o.longValue("seed", DEFAULT_SEED),
                o.intValue("checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1, 100_000_000),
                o.intValue("eval-images", DEFAULT_EVAL_IMAGES, 0, 100_000_000),
                o.intValue("stats-images", DEFAULT_STATS_IMAGES, 1, 100_000_000),
                o.intValue("stop-after", 0, 1, 100_000_000));
    }

    /**
     * Returns the side an image of side {@code side} is padded to: the next multiple of 8, twice
     * the autoencoder's downsampling factor 4, so that the latent side is even (28 becomes 32).
     *
     * @param side the image side
     * @return the padded side
     */
    static int paddedSide(int side) {
        return (side + 7) / 8 * 8;
    }

    /**
     * A split padded to {@link #paddedSide} with the background, as the trainer reads it.
     *
     * @param data the split
     */
    record PaddedImages(FashionMnist data) implements AutoencoderKLTrainer.Images {
        @Override
        public int size() {
            return data.size();
        }

        @Override
        public Tensor batch(int[] indices) {
            return pad(data.batch(indices).images()); // (B, 1, H, W) -> (B, 1, H', W')
        }

        /** Pads {@code (B, 1, H, W)} images to the padded side, centred (the extra pixel, if odd, after). */
        Tensor pad(Tensor images) {
            int ph = paddedSide(data.height()) - data.height();
            int pw = paddedSide(data.width()) - data.width();
            return images.pad(new int[] {pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}, BACKGROUND);
        }

        /** Crops padded {@code (B, C, H', W')} images back to {@code (B, C, H, W)}. */
        Tensor crop(Tensor padded) {
            int ph = paddedSide(data.height()) - data.height();
            int pw = paddedSide(data.width()) - data.width();
            return padded.narrow(2, ph / 2, data.height()).narrow(3, pw / 2, data.width());
        }
    }

    /**
     * A run ready to train: its directory, the trainer, the data, and where they came from.
     *
     * @param files   the output directory and its files
     * @param trainer the trainer, new or resumed
     * @param size    the size's name, {@code custom} if a resumed run does not say
     * @param dataDir the directory of IDX files
     * @param train   the training split, padded
     * @param test    the test split, padded
     */
    private record Run(TrainingRun files, AutoencoderKLTrainer trainer, String size, Path dataDir, PaddedImages train,
                       PaddedImages test) {
    }

    /**
     * Trains, starting or resuming a run, then measures and exports the autoencoder.
     *
     * @param s   the settings
     * @param out where progress goes
     * @return what was done
     * @throws IOException                  if a file cannot be read or written
     * @throws DemoException                if the data are missing or the output directory does not
     *                                      fit the request (a run exists, or none to resume)
     * @throws VaeTrainingDivergedException if the loss becomes NaN; the last checkpoint is intact
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        Run run = open(s, out);
        AutoencoderKLTrainer trainer = run.trainer();
        int total = trainer.config().steps();
        long first = trainer.completedSteps();
        double[][] curves = run.files().losses(total, first); // loss, mse, kl of each step
        try (PrintStream log = run.files().openLog()) {
            VaeTrainReport report = new VaeTrainReport(out, log, s.out(), trainer.config());
            report.plan(run.size(), trainer.model(), run.train().size(), run.test().size(),
                    Math.min(s.evalImages(), run.test().size()), run.dataDir(), s.checkpointEvery(), first);
            train(run.files(), trainer, s, curves, report);
            if (trainer.completedSteps() < total) {
                report.line(run.files().stopped("train-vae", trainer.completedSteps(), total));
                return new Result(trainer.completedSteps(), Arrays.copyOf(curves[0], (int) trainer.completedSteps()),
                        trainer.model().config(), null, s.out());
            }
            AutoencoderKL vae = trainer.model();
            LatentStatistics stats = latentStatistics(vae, run.train(), Math.min(s.statsImages(), run.train().size()),
                    trainer.config().seed(), report);
            AutoencoderKLConfig scaled = vae.config().withLatentScaling(stats.scalingFactor(), stats.shiftFactor());
            AutoencoderKL exported = new AutoencoderKL(scaled, new Rng(0));
            exported.loadStateDict(vae.stateDict());
            int evalImages = Math.min(s.evalImages(), run.test().size());
            Evaluation evaluation = evalImages == 0 ? null : evaluate(exported, run.test(), evalImages, report);
            writeReconstructions(exported, run.test(), s.out().resolve(RECONSTRUCTIONS));
            Path modelDir = s.out().resolve(MODEL_DIR);
            export(exported, trainer.completedSteps(), evaluation, modelDir);
            report.summary(trainer.completedSteps() - first, evaluation);
            return new Result(trainer.completedSteps(), Arrays.copyOf(curves[0], (int) trainer.completedSteps()), scaled,
                    evaluation, s.out());
        }
    }

    /** The training loop: steps until the planned total, saving every {@code --checkpoint-every} steps and at the end. */
    private static void train(TrainingRun files, AutoencoderKLTrainer trainer, Settings s, double[][] curves,
                              VaeTrainReport report) throws IOException {
        int total = trainer.config().steps();
        if (trainer.completedSteps() >= total) {
            report.line("the run has done all its " + total + " steps; measuring and exporting it again");
            return;
        }
        int end = TrainingRun.endStep(trainer.completedSteps(), total, s.stopAfter());
        report.start(total);
        while (trainer.completedSteps() < end) {
            long t0 = System.nanoTime();
            AutoencoderKLTrainer.StepResult r;
            try {
                r = trainer.step();
            } catch (VaeTrainingDivergedException e) {
                report.stop();
                throw e;
            }
            int step = (int) r.step();
            curves[0][step - 1] = r.loss();
            curves[1][step - 1] = r.reconstruction();
            curves[2][step - 1] = r.kl();
            report.step(r, System.nanoTime() - t0);
            if (step % s.checkpointEvery() == 0 || step == end) {
                save(files, trainer, curves);
                report.saved(step);
            }
        }
        report.stop();
    }

    /** Opens the run {@code s} asks for: checks the output directory, loads both splits, and resumes or starts. */
    private static Run open(Settings s, PrintStream out) throws IOException {
        Path dir = s.out();
        TrainingRun files = new TrainingRun(dir, s.resume(), "training run", LOSS_TITLE, LOSS_TABLE);
        Properties recorded = files.recordedRun("; delete it and resume with --data");
        Path dataDir = s.data() != null ? s.data()
                : recorded.getProperty("data") != null ? Path.of(recorded.getProperty("data")) : DEFAULT_DATA;
        PaddedImages train = new PaddedImages(loadSplit(dataDir, FashionMnist.TRAIN_SPLIT));
        PaddedImages test = new PaddedImages(loadSplit(dataDir, FashionMnist.TEST_SPLIT));
        if (train.data().height() != test.data().height() || train.data().width() != test.data().width()) {
            throw new DemoException(dataDir + ": the train images are " + train.data().height() + "x"
                    + train.data().width() + " but the test images " + test.data().height() + "x" + test.data().width());
        }
        if (!s.resume()) {
            return newRun(files, s, train, test, dataDir);
        }
        files.requireSame("train_images", Integer.toString(train.size()), (expected, actual) -> "the run in " + dir
                + " trains on " + expected + " images of " + recorded.getProperty("data") + " but " + dataDir + " has "
                + actual + "; resume with the same --data");
        AutoencoderKLTrainer trainer = resume(files, train, s.steps());
        out.println(files.resuming(trainer.completedSteps(), trainer.config().steps()));
        return new Run(files, trainer, recorded.getProperty("size", "custom"), dataDir, train, test);
    }

    /** Builds a new autoencoder for the data and records the data in {@link #RUN_INFO}, for {@code --resume}. */
    private static Run newRun(TrainingRun files, Settings s, PaddedImages train, PaddedImages test, Path dataDir)
            throws IOException {
        if (train.size() < s.batch()) {
            throw new DemoException("--batch " + s.batch() + " is larger than the training split (" + train.size()
                    + " images)");
        }
        int side = paddedSide(Math.max(train.data().height(), train.data().width()));
        AutoencoderKLConfig config = s.size().config(side);
        VaeTrainConfig trainConfig = VaeTrainConfig.of(s.steps(), s.batch(), s.lr(), s.beta(), s.seed());
        AutoencoderKLTrainer trainer = new AutoencoderKLTrainer(new AutoencoderKL(config, new Rng(s.seed())),
                trainConfig, train);
        files.record("mini-diffusion autoencoder training run", Map.of("data", dataDir.toString(),
                "train_images", Integer.toString(train.size()), "test_images", Integer.toString(test.size()),
                "size", s.size().id()));
        return new Run(files, trainer, s.size().id(), dataDir, train, test);
    }

    private static AutoencoderKLTrainer resume(TrainingRun files, PaddedImages data, int steps) throws IOException {
        Path checkpoint = files.checkpoint();
        AutoencoderKLTrainer trainer;
        try {
            SafetensorsFile f = Safetensors.read(checkpoint);
            trainer = AutoencoderKLTrainer.resume(new AutoencoderKLTrainer.State(checkpoint.toString(), f.tensors(),
                    f.metadata()), data, steps);
        } catch (InvalidTrainingStateException e) { // names the key or tensor, the value and the range
            throw new DemoException(e.source() + " is not a usable autoencoder training checkpoint: " + e.detail(), e);
        } catch (IllegalArgumentException e) {
            throw new DemoException(checkpoint + " is not a usable autoencoder training checkpoint: " + e.getMessage(), e);
        }
        files.checkSteps(trainer.completedSteps(), trainer.config().steps(), steps, "measure and export it again");
        return trainer;
    }

    /**
     * Loads a split, explaining a missing file.
     *
     * @param dir   the directory of IDX files
     * @param split the split
     * @return the images
     * @throws IOException   if a file is invalid
     * @throws DemoException if a file is missing
     */
    static FashionMnist loadSplit(Path dir, String split) throws IOException {
        try {
            return FashionMnist.load(dir, split);
        } catch (NoSuchFileException e) {
            throw new DemoException("cannot find the images: " + e.getFile() + " does not exist; train-vae trains on"
                    + " the train split and measures PSNR on t10k, so --data must name a directory with both (such as "
                    + FashionMnist.SYSTEM_DIR + ", from apt-get install dataset-fashion-mnist)", e);
        }
    }

    /**
     * Measures the mean and standard deviation of the latents of the first {@code n} training
     * images, sampled from the posterior as a diffusion model trained on them would see them.
     */
    static LatentStatistics latentStatistics(AutoencoderKL vae, PaddedImages train, int n, long seed,
                                             VaeTrainReport report) {
        LatentStatistics stats = new LatentStatistics();
        double posteriorVariance = 0;
        Rng rng = new Rng(seed ^ STATS_SEED_SALT);
        ProgressBar bar = report.measuring("latents", n);
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (int from = 0; from < n; from += EVAL_BATCH) {
                DiagonalGaussianDistribution q = vae.encode(train.batch(range(from, Math.min(n, from + EVAL_BATCH))));
                stats.add(q.sample(rng));                     // (B, latent, h, w)
                posteriorVariance += q.var().sum().item();
                bar.update(Math.min(n, from + EVAL_BATCH), Double.NaN, "");
            }
        }
        bar.finish();
        report.latents(n, stats, Math.sqrt(posteriorVariance / stats.count()));
        return stats;
    }

    /** Measures the reconstruction PSNR of the first {@code n} test images; see the class comment. */
    static Evaluation evaluate(AutoencoderKL vae, PaddedImages test, int n, VaeTrainReport report) {
        double psnrSum = 0;
        double mseSum = 0;
        ProgressBar bar = report.measuring("test images", n);
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (int from = 0; from < n; from += EVAL_BATCH) {
                int[] idx = range(from, Math.min(n, from + EVAL_BATCH));
                Tensor original = test.data().batch(idx).images();                   // (B, 1, 28, 28) in [-1, 1]
                Tensor reconstruction = test.crop(vae.forward(test.pad(original)));  // decode(mode(encode(x)))
                double[] mse = Psnr.meanSquaredErrors(unit(original), unit(reconstruction).clamp(0f, 1f));
                for (double m : mse) {
                    psnrSum += Psnr.fromMse(m);
                    mseSum += m;
                }
                bar.update(from + idx.length, Double.NaN, "");
            }
        }
        bar.finish();
        Evaluation e = new Evaluation(n, psnrSum / n, Psnr.fromMse(mseSum / n), mseSum / n);
        report.evaluated(e);
        return e;
    }

    /** Maps {@code [-1, 1]} to {@code [0, 1]}. */
    private static Tensor unit(Tensor x) {
        return x.add(1f).mul(0.5f);
    }

    private static int[] range(int from, int to) {
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return idx;
    }

    /** Writes the first test images (top row) above their reconstructions (bottom row). */
    private static void writeReconstructions(AutoencoderKL vae, PaddedImages test, Path png) throws IOException {
        int n = Math.min(GRID_COLUMNS, test.size());
        Tensor original = test.data().batch(range(0, n)).images();
        Tensor reconstruction;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            reconstruction = test.crop(vae.forward(test.pad(original))).clamp(-1f, 1f);
        }
        Images.writePng(png, Images.grid(Tensor.concat(0, original, reconstruction), n, 2, 1f));
    }

    /**
     * Writes the autoencoder as diffusers lays it out: the weights, then {@code config.json}, each atomically.
     *
     * @param vae        the autoencoder, with its measured latent scaling in its config
     * @param steps      the steps it was trained for
     * @param evaluation the test PSNR, or null
     * @param dir        the directory to write to
     * @throws IOException if writing fails
     */
    static void export(AutoencoderKL vae, long steps, Evaluation evaluation, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("training_steps", Long.toString(steps));
        if (evaluation != null) {
            meta.put("test_psnr_db", String.format(Locale.ROOT, "%.4f", evaluation.meanPsnr()));
            meta.put("test_images", Integer.toString(evaluation.images()));
        }
        Map<String, Tensor> weights;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            weights = vae.stateDict();
        }
        Safetensors.write(dir.resolve(WEIGHTS), weights, meta);
        AtomicFiles.write(dir.resolve(CONFIG_JSON), vae.config().toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** Saves the checkpoint, the loss table and the loss curve, in that order. */
    private static void save(TrainingRun files, AutoencoderKLTrainer trainer, double[][] curves) throws IOException {
        Path file = files.checkpoint();
        AutoencoderKLTrainer.State state = trainer.checkpoint(file.toString());
        Safetensors.write(file, state.tensors(), state.metadata());
        files.saveLosses(curves, trainer.completedSteps());
    }
}
