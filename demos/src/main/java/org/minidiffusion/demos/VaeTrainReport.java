package org.minidiffusion.demos;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;
import org.minidiffusion.vae.AutoencoderKLTrainer;
import org.minidiffusion.vae.LatentStatistics;
import org.minidiffusion.vae.Psnr;
import org.minidiffusion.vae.VaeTrainConfig;

/**
 * What {@code train-vae} tells the user, on the console and in the run's log: the plan, a progress
 * bar with the mean loss, MSE, KL term and speed over the last {@value StepProgress#WINDOW} steps, a line per
 * checkpoint, the latent statistics, the test PSNR and the files written.
 *
 * <p>The log gets every line the console does, and the progress as a plain line every few steps.
 */
final class VaeTrainReport {
    private final PrintStream out;
    private final PrintStream log;
    private final Path dir;
    private final VaeTrainConfig config;
    private final StepProgress progress; // loss, mse, kl
    private final long started = System.nanoTime();

    /**
     * Creates the report of one run.
     *
     * @param out    the console
     * @param log    the run's log file
     * @param dir    the output directory
     * @param config the run's training settings
     */
    VaeTrainReport(PrintStream out, PrintStream log, Path dir, VaeTrainConfig config) {
        this.out = out;
        this.log = log;
        this.dir = dir;
        this.config = config;
        this.progress = new StepProgress(out, log, 3);
    }

    /**
     * Prints a line on the console (without garbling the bar) and in the log.
     *
     * @param text the line
     */
    void line(String text) {
        progress.line(text);
    }

    /**
     * Prints the plan: the model, the data, the settings and the files.
     *
     * @param size            the size's name
     * @param vae             the autoencoder trained
     * @param trainImages     the number of training images
     * @param testImages      the number of test images
     * @param evalImages      how many of them PSNR is measured on
     * @param dataDir         their directory
     * @param checkpointEvery steps between checkpoints
     * @param first           the steps done before this run (after a resume)
     */
    void plan(String size, AutoencoderKL vae, int trainImages, int testImages, int evalImages, Path dataDir,
              int checkpointEvery, long first) {
        AutoencoderKLConfig c = vae.config();
        long parameters = vae.parameters().values().stream().mapToLong(p -> p.shape().numel()).sum();
        int f = c.downsamplingFactor();
        log.printf(Locale.ROOT, "%n=== train-vae, %s%s ===%n", java.time.LocalDateTime.now().withNano(0),
                first > 0 ? ", resumed at step " + first : "");
        line(String.format(Locale.ROOT, "training a %s KL autoencoder (block_out_channels %s, %d resnet%s per level,"
                        + " %d groups; %,d parameters, %.2f MB of float32)", size, channels(c), c.layersPerBlock(),
                c.layersPerBlock() == 1 ? "" : "s", c.normNumGroups(), parameters, parameters * 4 / 1e6));
        line(String.format(Locale.ROOT, "  %dx%d images (padded with the background) -> latents %dx%dx%d", c.sampleSize(),
                c.sampleSize(), c.latentChannels(), c.sampleSize() / f, c.sampleSize() / f));
        line(String.format(Locale.ROOT, "  on the %,d train images of %s; PSNR on %s%,d test images", trainImages,
                dataDir, evalImages < testImages ? String.format(Locale.ROOT, "%,d of its ", evalImages) : "its ",
                testImages));
        line(String.format(Locale.ROOT, "  %d steps of %d images: AdamW lr %s, %d warm-up steps then cosine decay, loss"
                        + " = MSE + beta * KL / pixels with beta %s, seed %d", config.steps(), config.batchSize(),
                config.learningRate(), config.warmupSteps(), config.beta(), config.seed()));
        line(String.format(Locale.ROOT, "  writing to %s: %s every %d steps, %s, %s and %s; %s/ at the end", dir,
                VaeTrainCommand.CHECKPOINT, checkpointEvery, VaeTrainCommand.LOSS_PNG, VaeTrainCommand.LOSSES_CSV,
                VaeTrainCommand.LOG, VaeTrainCommand.MODEL_DIR));
    }

    /**
     * Starts the progress bars.
     *
     * @param total the step the run ends at
     */
    void start(int total) {
        progress.start(total);
    }

    /**
     * Records a step and updates the bars.
     *
     * @param r     the step's result
     * @param nanos the time it took
     */
    void step(AutoencoderKLTrainer.StepResult r, long nanos) {
        progress.record(nanos, r.loss(), r.reconstruction(), r.kl());
        double loss = progress.mean(0);
        double mse = progress.mean(1);
        double kl = progress.mean(2);
        double secondsPerStep = progress.secondsPerStep();
        // the MSE is on [-1, 1] pixels, four times that on [0, 1]; padded and with sampled latents
        String fields = String.format(Locale.ROOT, "loss %.5f  mse %.5f (%.1f dB)  kl %.1f  %.1f img/s", loss, mse,
                Psnr.fromMse(mse / 4), kl, config.batchSize() / secondsPerStep);
        progress.update(r.step(), fields);
    }

    /**
     * Reports a checkpoint.
     *
     * @param step the step saved
     */
    void saved(int step) {
        String text = "step " + step + ": saved " + VaeTrainCommand.CHECKPOINT + ", " + VaeTrainCommand.LOSS_PNG
                + " and " + VaeTrainCommand.LOSSES_CSV;
        progress.line(text);
    }

    /** Ends the progress bar, after the last step or a failure. */
    void stop() {
        progress.stop();
    }

    /**
     * Starts a progress bar over images being measured (console only).
     *
     * @param what   what is measured, such as {@code "test images"}
     * @param images how many
     * @return the bar
     */
    ProgressBar measuring(String what, int images) {
        line("measuring " + what + " (" + images + ") ...");
        return new ProgressBar(out, ProgressBar.isTerminal(out), "images", images,
                ProgressBar.every(images, 4));
    }

    /**
     * Reports the latent statistics and the scaling they give.
     *
     * @param images        the training images encoded
     * @param stats         the statistics of their sampled latents
     * @param posteriorStd  the root mean posterior variance
     */
    void latents(int images, LatentStatistics stats, double posteriorStd) {
        line(String.format(Locale.ROOT, "latents of %,d train images: mean %.4f, std %.4f (posterior std %.4f) ->"
                        + " shift_factor %s, scaling_factor %s", images, stats.mean(), stats.std(), posteriorStd,
                stats.shiftFactor(), stats.scalingFactor()));
    }

    /**
     * Reports the test PSNR.
     *
     * @param e the evaluation
     */
    void evaluated(VaeTrainCommand.Evaluation e) {
        line(String.format(Locale.ROOT, "test reconstruction PSNR over %,d images: %.2f dB (mean of per-image PSNR);"
                + " %.2f dB from the mean MSE %.6f (28x28 pixels in [0, 1])", e.images(), e.meanPsnr(),
                e.psnrOfMeanMse(), e.mse()));
    }

    /**
     * Prints the speed of the steps done and the files to use next.
     *
     * @param done       the steps done in this run (after a resume, only the new ones)
     * @param evaluation the test PSNR, or null
     */
    void summary(long done, VaeTrainCommand.Evaluation evaluation) {
        double seconds = progress.trainNanos() / 1e9;
        if (done > 0) {
            line(String.format(Locale.ROOT, "trained %d steps in %s (%.1f img/s, %.2f s per step; %s in all with"
                            + " checkpoints and measuring)", done, ProgressBar.duration(seconds),
                    done * config.batchSize() / seconds, seconds / done,
                    ProgressBar.duration((System.nanoTime() - started) / 1e9)));
        }
        line("files in " + dir + ":");
        line(String.format(Locale.ROOT, "  %-24s the autoencoder as diffusers lays it out (%s, %s)%s",
                VaeTrainCommand.MODEL_DIR + "/", VaeTrainCommand.CONFIG_JSON, VaeTrainCommand.WEIGHTS,
                evaluation == null ? "" : String.format(Locale.ROOT, "; test PSNR %.2f dB", evaluation.meanPsnr())));
        line(String.format(Locale.ROOT, "  %-24s test images (top) and their reconstructions (bottom)",
                VaeTrainCommand.RECONSTRUCTIONS));
        line(String.format(Locale.ROOT, "  %-24s continue with: train-vae --resume --out %s --steps %d",
                VaeTrainCommand.CHECKPOINT, dir, 2L * config.steps()));
        line(String.format(Locale.ROOT, "  %-24s the loss curve; %s holds loss, mse and kl of every step; %s the log",
                VaeTrainCommand.LOSS_PNG, VaeTrainCommand.LOSSES_CSV, VaeTrainCommand.LOG));
    }

    private static String channels(AutoencoderKLConfig c) {
        return Arrays.stream(c.blockOutChannels()).mapToObj(Integer::toString).collect(Collectors.joining(", ", "(", ")"));
    }
}
