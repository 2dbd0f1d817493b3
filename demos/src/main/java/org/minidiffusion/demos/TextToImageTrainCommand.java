package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.flow.FlowSchedule;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.FileFormatException;
import org.minidiffusion.io.Images;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.sd3.GenerationRequest;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.sd3.train.LatentDataset;
import org.minidiffusion.sd3.train.TextToImageTrainConfig;
import org.minidiffusion.sd3.train.TextToImageTrainer;
import org.minidiffusion.sd3.train.TextToImageTrainingException;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.FashionClass;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/**
 * The {@code train-t2i} command: trains the text-to-image MMDiT of Stable Diffusion 3 and its T5
 * encoder with flow matching on Fashion-MNIST latents of a trained autoencoder ({@code train-vae}),
 * conditioned by a trained CLIP text encoder ({@code train-clip}) and a T5 Unigram tokenizer
 * ({@code train-tokenizer --unigram}), with a progress bar, a log, a loss curve and checkpoints that
 * resume exactly; at the end it writes the whole pipeline (EMA weights) as diffusers lays out a
 * {@code StableDiffusion3Pipeline}.
 *
 * <p>The training split is encoded once by the frozen autoencoder (padded 28x28 to 32x32 with the
 * background, as {@code train-vae} trained it); each image drawn gets a fresh training caption of
 * its class and measured tone ({@link Captioner}), or the empty prompt with probability 0.1.
 *
 * <p>Everything goes to one output directory:
 * <ul>
 *   <li>{@code checkpoint.safetensors}: weights, EMA weights, AdamW state and settings, for {@code --resume};
 *   <li>{@code loss.png} and {@code losses.csv}: the loss of every step;
 *   <li>{@code train.log}: what the run printed, with a progress line every few steps;
 *   <li>{@code run.properties}: the data, autoencoder, CLIP and tokenizer of the run, for {@code --resume};
 *   <li>{@code tokenizer_3/unigram.tsv}: the T5 tokenizer of the run;
 *   <li>at the end, {@code pipeline/}: the pipeline directory {@code txt2img --model} reads, and
 *       {@code samples.png}: images it draws for a held-out prompt per class, one row per class.
 * </ul>
 */
final class TextToImageTrainCommand {
    /** The output directory by default. */
    static final Path DEFAULT_OUT = Path.of("runs", "fashion-sd3");
    /** The data by default: the system's copy, which has the 60,000-image train split. */
    static final Path DEFAULT_DATA = FashionMnist.SYSTEM_DIR;
    /**
     * The steps of a new run by default, those of the shipped model ({@code models/fashion-sd3}):
     * 3,000 steps of 64 images, about 0.5 s per step on two idle cores with the small model, plus
     * about 1.5 minutes to encode the 60,000 images. A trial of 600 steps already drew 99 of 100
     * held-out prompts' images as the class asked for and 70 of 70 in the tone asked for.
     */
    static final int DEFAULT_STEPS = 3000;
    /** The images per step by default. */
    static final int DEFAULT_BATCH = 64;
    /** The peak learning rate of AdamW by default. */
    static final float DEFAULT_LR = 1e-3f;
    /** The model size by default. */
    static final TextToImageSize DEFAULT_SIZE = TextToImageSize.SMALL;
    /** The seed by default. */
    static final long DEFAULT_SEED = 0;
    /** Steps between checkpoints by default. */
    static final int DEFAULT_CHECKPOINT_EVERY = 200;
    /** The pieces of the T5 tokenizer trained on the training captions when no {@code --tokenizer-t5} is given. */
    static final int DEFAULT_T5_VOCAB = 256;
    /** Images per forward pass of the autoencoder when encoding the data. */
    static final int ENCODE_BATCH = 200;
    /** The flow-matching shift of the saved scheduler: 1 (none), for latents of only 8x8. */
    static final double SCHEDULER_SHIFT = 1.0;
    /** The side of the images the pipeline returns: the 28x28 crop of the autoencoder's 32x32. */
    static final int IMAGE_SIZE = 28;

    static final String CHECKPOINT = TrainingRun.CHECKPOINT;
    static final String LOSSES_CSV = TrainingRun.LOSSES_CSV;
    static final String LOSS_PNG = TrainingRun.LOSS_PNG;
    static final String LOG = TrainingRun.LOG;
    static final String RUN_INFO = TrainingRun.RUN_INFO;
    static final String T5_TOKENIZER = "tokenizer_3";
    static final String UNIGRAM_FILE = "unigram.tsv";
    static final String PIPELINE = "pipeline";
    /** The sample grid written at the end: one row per class. */
    static final String SAMPLES_PNG = "samples.png";
    /** Images per row of {@link #SAMPLES_PNG}. */
    static final int SAMPLE_COLUMNS = 8;


    /** The options a checkpoint fixes. */
    private static final List<String> FIXED = List.of("size", "batch", "lr", "seed", "vae", "clip", "tokenizer-t5", "data");

    /** The command line of {@code train-t2i}. */
    static final CliCommand COMMAND = CliCommand.named("train-t2i",
                    "Train the text-to-image MMDiT (SD3) and its T5 encoder with flow matching on Fashion-MNIST latents.")
            .details("The latents come from the autoencoder of 'train-vae', the prompts are encoded by the CLIP"
                    + " text encoder of 'train-clip' (frozen) and by T5 (trained with the MMDiT). Writes"
                    + " checkpoint.safetensors, loss.png, losses.csv, train.log and, at the end, pipeline/ (for"
                    + " 'txt2img --model') to --out.")
            .option("vae", "DIR", "the run directory of 'train-vae' (required unless --resume)")
            .option("clip", "DIR", "the run directory of 'train-clip' (required unless --resume)")
            .option("tokenizer-t5", "FILE", "T5's Unigram tokenizer, the " + UNIGRAM_FILE + " of 'train-tokenizer"
                    + " --unigram' (default: one of " + DEFAULT_T5_VOCAB + " pieces trained on the training captions)")
            .option("data", "DIR", "the Fashion-MNIST files (default: " + DEFAULT_DATA + ")")
            .option("out", "DIR", "the run's directory (default: " + DEFAULT_OUT + ")")
            .flag("resume", "continue <out>/checkpoint.safetensors, up to --steps if given; the checkpoint fixes"
                    + " --size, --batch, --lr, --seed, --vae, --clip, --tokenizer-t5 and --data")
            .option("steps", "N", "training steps (default: " + DEFAULT_STEPS + ")")
            .option("batch", "N", "images per step (default: " + DEFAULT_BATCH + ")")
            .option("lr", "X", "AdamW's peak learning rate (default: " + DEFAULT_LR + ")")
            .option("size", String.join("|", TextToImageSize.ids()), "the MMDiT's size (default: "
                    + DEFAULT_SIZE.id() + ")")
            .option("seed", "N", "the seed of the weights, batches and noise (default: " + DEFAULT_SEED + ")")
            .option("checkpoint-every", "N", "steps between checkpoints (default: " + DEFAULT_CHECKPOINT_EVERY + ")")
            .option("stop-after", "N", "stop at step N with a checkpoint, to train in sessions (default: run to"
                    + " --steps)")
            .backend()
            .build();

    static final int LOSS_PLOT_WIDTH = TrainingRun.LOSS_PLOT_WIDTH;
    static final int LOSS_PLOT_HEIGHT = TrainingRun.LOSS_PLOT_HEIGHT;
    /** The title of {@code loss.png}. */
    static final String LOSS_TITLE = "train-t2i: loss per step";

    private TextToImageTrainCommand() {
    }

    /**
     * The command line of {@code train-t2i}.
     *
     * @param out             the output directory
     * @param resume          whether to continue the run in {@code out}
     * @param vae             the autoencoder's directory, or null for the resumed run's
     * @param clip            the CLIP run's directory, or null for the resumed run's
     * @param tokenizerT5     the T5 Unigram file, or null to train one (or the resumed run's)
     * @param data            the directory of IDX files, or null for the default (or the resumed run's)
     * @param steps           the total number of steps, or 0 for the default (or the resumed run's plan)
     * @param batch           images per step
     * @param lr              the peak learning rate
     * @param size            the model size
     * @param seed            the seed
     * @param checkpointEvery steps between checkpoints
     * @param stopAfter       the step to stop at, with a checkpoint; 0 to train the whole plan
     */
    record Settings(Path out, boolean resume, Path vae, Path clip, Path tokenizerT5, Path data, int steps, int batch,
                    float lr, TextToImageSize size, long seed, int checkpointEvery, int stopAfter) {
    }

    /**
     * What a run did.
     *
     * @param completedSteps the steps done in all, including those before a resume
     * @param losses         the loss of every step done, NaN where unknown
     * @param pipeline       the pipeline directory written, or null if the run stopped early
     */
    record Result(long completedSteps, double[] losses, Path pipeline) {
    }

    /**
     * Reads the options of {@code train-t2i}.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is missing, out of range or cannot be combined with {@code --resume}
     */
    static Settings parse(Options o) {
        boolean resume = o.flag("resume");
        TrainingRun.rejectFixed(o, FIXED, "run");
        if (!resume) {
            for (String required : List.of("vae", "clip")) {
                if (!o.has(required)) {
                    throw new UsageException("train-t2i needs --" + required + " DIR: " + (required.equals("vae")
                            ? "the output directory of train-vae (its vae/config.json and weights)"
                            : "the output directory of train-clip (its text_encoder/ and tokenizer/)"));
                }
            }
        }
        return new Settings(
                o.path("out", DEFAULT_OUT),
                resume,
                o.path("vae", null),
                o.path("clip", null),
                o.path("tokenizer-t5", null),
                o.path("data", null),
                o.intValue("steps", resume ? 0 : DEFAULT_STEPS, 1, 100_000_000),
                o.intValue("batch", DEFAULT_BATCH, 1, TextToImageTrainConfig.MAX_BATCH_SIZE),
                o.positiveFloat("lr", DEFAULT_LR, TextToImageTrainConfig.MAX_LEARNING_RATE),
                TextToImageSize.of(o.choice("size", DEFAULT_SIZE.id(), TextToImageSize.ids())),
                o.longValue("seed", DEFAULT_SEED),
                o.intValue("checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1, 100_000_000),
                o.intValue("stop-after", 0, 1, 100_000_000));
    }

    /**
     * The frozen parts a run trains with, and where they came from.
     *
     * @param vae           the autoencoder
     * @param vaeDir        its directory
     * @param clipTokenizer CLIP's tokenizer
     * @param clip          CLIP's text encoder
     * @param clipDir       the CLIP run's directory
     * @param t5Tokenizer   T5's tokenizer
     * @param t5Source      where it came from, for the plan
     */
    record Frozen(AutoencoderKL vae, Path vaeDir, ClipTokenizer clipTokenizer, ClipTextModel clip, Path clipDir,
                  Unigram t5Tokenizer, String t5Source) {
    }

    /**
     * Runs the command.
     *
     * @param s   the settings
     * @param out where the plan, the progress and the summary go
     * @return what the run did
     * @throws IOException if a file cannot be read or written
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        Path dir = s.out();
        TrainingRun files = new TrainingRun(dir, s.resume(), "text-to-image training run", LOSS_TITLE, LossTable.LOSS);
        Properties recorded = files.recordedRun("the data, autoencoder, CLIP and tokenizer",
                List.of("data", "vae", "clip", "train_images"));
        Path dataDir = s.data() != null ? s.data()
                : recorded.getProperty("data") != null ? Path.of(recorded.getProperty("data")) : DEFAULT_DATA;
        Path vaeDir = s.vae() != null ? s.vae() : Path.of(recorded.getProperty("vae"));
        Path clipDir = s.clip() != null ? s.clip() : Path.of(recorded.getProperty("clip"));
        AutoencoderKL vae = loadVae(vaeDir);
        ClipTextModel clip = loadClip(clipDir);
        ClipTokenizer clipTokenizer = ClipTrainCommand.loadTokenizer(clipDir.resolve(ClipTrainCommand.TOKENIZER));
        FashionMnist images = loadTrainSplit(dataDir);
        try (PrintStream log = files.openLog()) {
            StepProgress report = new StepProgress(out, log, 1);
            Unigram t5Tokenizer;
            String t5Source;
            Path t5File = dir.resolve(T5_TOKENIZER).resolve(UNIGRAM_FILE);
            if (s.resume()) {
                t5Tokenizer = loadUnigram(t5File);
                t5Source = recorded.getProperty("tokenizer_t5", t5File.toString());
            } else if (s.tokenizerT5() != null) {
                t5Tokenizer = loadUnigram(s.tokenizerT5());
                t5Source = s.tokenizerT5().toString();
            } else {
                t5Tokenizer = UnigramTrainer.train(trainingCaptions(), DEFAULT_T5_VOCAB);
                t5Source = "trained here on the " + trainingCaptions().size() + " training captions";
            }
            Frozen frozen = new Frozen(vae, vaeDir, clipTokenizer, clip, clipDir, t5Tokenizer, t5Source);
            report.line(String.format(Locale.ROOT, "encoding %,d training images of %s with the autoencoder of %s"
                    + " (once; padded to 32x32)", images.size(), dataDir, vaeDir));
            long t0 = System.nanoTime();
            LatentDataset data = encode(vae, images, out);
            int[] tones = data.toneCounts();
            report.line(String.format(Locale.ROOT, "  latents %dx%dx%d in %s; tones: %d dark, %d light, %d untoned;"
                            + " latent scaling (z - %s) * %s", data.channels(), data.side(), data.side(),
                    ProgressBar.duration((System.nanoTime() - t0) / 1e9), tones[Tone.DARK.ordinal()],
                    tones[Tone.LIGHT.ordinal()], tones[Tone.NONE.ordinal()], data.shiftFactor(), data.scalingFactor()));
            TextToImageTrainer trainer;
            if (s.resume()) {
                files.requireSame("train_images", Integer.toString(images.size()), (expected, actual) -> "the run in "
                        + dir + " trains on " + expected + " images but " + dataDir + " has " + actual
                        + "; resume with the same data");
                trainer = resume(files, frozen, data, s.steps());
                report.line(files.resuming(trainer.completedSteps(), trainer.config().steps()));
            } else {
                trainer = newRun(files, s, frozen, data, dataDir, t5File);
            }
            return train(files, trainer, frozen, s, report);
        }
    }

    /**
     * Returns the prompts of {@link #SAMPLES_PNG}: per class, a held-out wording (one no training
     * caption has) asking for a dark garment for even labels and a light one for odd labels.
     *
     * @return ten prompts, by label
     */
    static List<String> samplePrompts() {
        List<String> prompts = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            List<String> all = Captioner.evaluationPrompts(c.label(), c.label() % 2 == 0 ? Tone.DARK : Tone.LIGHT);
            prompts.add(all.get(all.size() / 2));
        }
        return prompts;
    }

    /** Every training caption of every class and tone, in a fixed order: the default T5 tokenizer's corpus. */
    static List<String> trainingCaptions() {
        List<String> corpus = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                corpus.addAll(Captioner.captions(c.label(), t, Split.TRAINING));
            }
        }
        return corpus;
    }

    /** Encodes the split with a progress bar. */
    private static LatentDataset encode(AutoencoderKL vae, FashionMnist images, PrintStream out) {
        ProgressBar bar = new ProgressBar(out, ProgressBar.isTerminal(out), "encoding", images.size(),
                ProgressBar.every(images.size(), 4));
        LatentDataset data = LatentDataset.encode(vae, new LatentDataset.Images() {
            @Override
            public int size() {
                return images.size();
            }

            @Override
            public int label(int index) {
                return images.label(index);
            }

            @Override
            public float[] unitPixels(int index) {
                return images.unitPixels(index);
            }

            @Override
            public Tensor images(int[] indices) {
                return images.batch(indices).images();
            }
        }, ENCODE_BATCH, done -> bar.update(done, Double.NaN, ""));
        bar.finish();
        return data;
    }

    /** Builds a new run and records it in {@link #RUN_INFO}, with a copy of the T5 tokenizer, for {@code --resume}. */
    private static TextToImageTrainer newRun(TrainingRun files, Settings s, Frozen f, LatentDataset data, Path dataDir,
                                             Path t5File) throws IOException {
        if (data.size() < s.batch()) {
            throw new DemoException("--batch " + s.batch() + " is larger than the training split (" + data.size()
                    + " images)");
        }
        TextToImageTrainConfig config = TextToImageTrainConfig.of(s.steps(), s.batch(), s.lr(), s.seed(),
                s.size().mmdit(), s.size().t5(f.t5Tokenizer().vocabSize()))
                .withLengths(f.clip().config().maxPositionEmbeddings(), 16);
        TextToImageTrainer trainer;
        try {
            trainer = new TextToImageTrainer(config, f.clipTokenizer(), f.clip(), f.t5Tokenizer(), data);
        } catch (IllegalArgumentException e) {
            throw new DemoException("cannot build the model: " + e.getMessage(), e);
        }
        Files.createDirectories(t5File.getParent());
        f.t5Tokenizer().saveTsv(t5File);
        files.record("mini-diffusion text-to-image training run", Map.of("data", dataDir.toString(),
                "train_images", Integer.toString(data.size()), "vae", f.vaeDir().toString(), "clip",
                f.clipDir().toString(), "tokenizer_t5", f.t5Source(), "size", s.size().id()));
        return trainer;
    }

    private static TextToImageTrainer resume(TrainingRun files, Frozen f, LatentDataset data, int steps)
            throws IOException {
        Path checkpoint = files.checkpoint();
        SafetensorsFile file = Safetensors.read(checkpoint);
        TextToImageTrainer trainer;
        try {
            trainer = TextToImageTrainer.resume(new TextToImageTrainer.State(checkpoint.toString(), file.tensors(),
                    file.metadata()), f.clipTokenizer(), f.clip(), f.t5Tokenizer(), data, steps);
        } catch (InvalidFieldException e) {
            throw new DemoException(e.source() + " is not a usable text-to-image training checkpoint: " + e.detail(), e);
        } catch (IllegalArgumentException e) {
            throw new DemoException(checkpoint + " is not a usable text-to-image training checkpoint: " + e.getMessage(), e);
        }
        files.checkSteps(trainer.completedSteps(), trainer.config().steps(), steps, "write the pipeline again");
        return trainer;
    }

    /** Trains to the plan (or {@code --stop-after}), then writes the pipeline. */
    private static Result train(TrainingRun files, TextToImageTrainer trainer, Frozen f, Settings s, StepProgress report)
            throws IOException {
        TextToImageTrainConfig c = trainer.config();
        Path dir = s.out();
        int total = c.steps();
        long first = trainer.completedSteps();
        TextToImageTrainConfig.Mmdit m = c.mmdit();
        TextToImageTrainConfig.T5 t = c.t5();
        report.line(String.format(Locale.ROOT, "training the MMDiT (%d blocks, width %d = %d heads x %d, patch %d: %d image"
                        + " tokens, qk_norm %s) and T5 (%d layers, d_model %d, %d heads, d_ff %d, %d pieces from %s):"
                        + " %,d parameters; CLIP (%s, frozen): %d + %d text tokens", m.layers(), m.width(), m.heads(),
                m.headDim(), m.patch(), (trainer.data().side() / m.patch()) * (trainer.data().side() / m.patch()),
                m.qkNorm() == null ? "none" : m.qkNorm(), t.layers(), t.dModel(), t.heads(), t.dFf(), t.vocabSize(),
                f.t5Source(), trainer.trainedParameters(), f.clipDir(), c.clipLength(), c.t5Length()));
        report.line(String.format(Locale.ROOT, "  %d steps of %d images: AdamW lr %s (weight decay %s), %d warm-up steps"
                        + " then cosine decay, clip %s, EMA %s, prompt dropout %s, logit-normal t (m %s, s %s), seed %d;"
                        + " writing to %s every %d steps", total, c.batchSize(), c.learningRate(), c.weightDecay(),
                c.warmupSteps(), c.gradClip(), c.emaDecay(), c.promptDropout(), c.logitMean(), c.logitStd(), c.seed(),
                dir, s.checkpointEvery()));
        double[][] losses = files.losses(total, first);
        int end = TrainingRun.endStep(first, total, s.stopAfter());
        if (first < end) {
            loop(files, trainer, s.checkpointEvery(), end, losses, report);
        } else {
            report.line("the run has done all its " + total + " steps; writing the pipeline again");
        }
        double[] done = Arrays.copyOf(losses[0], (int) trainer.completedSteps());
        if (trainer.completedSteps() < total) {
            report.line(files.stopped("train-t2i", trainer.completedSteps(), total));
            return new Result(trainer.completedSteps(), done, null);
        }
        Path pipelineDir = dir.resolve(PIPELINE);
        TextToImagePipeline pipeline = new TextToImagePipeline(trainer.emaEncoder(), trainer.emaTransformer(), f.vae(),
                new FlowSchedule(1000, SCHEDULER_SHIFT), IMAGE_SIZE);
        pipeline.save(pipelineDir);
        List<String> prompts = samplePrompts();
        Tensor samples = pipeline.generate(GenerationRequest.of(prompts).withCount(SAMPLE_COLUMNS).withSeed(c.seed()));
        Images.writePng(dir.resolve(SAMPLES_PNG), Images.grid(samples.mul(2f).sub(1f), SAMPLE_COLUMNS, 1, 1f));
        report.line("files in " + dir + ":");
        report.line(String.format(Locale.ROOT, "  %-24s the text-to-image pipeline (EMA weights), diffusers' layout",
                PIPELINE + "/"));
        report.line(String.format(Locale.ROOT, "  %-24s %d images per row for held-out prompts, one per class (\"%s\","
                + " ...)", SAMPLES_PNG, SAMPLE_COLUMNS, prompts.get(0)));
        report.line(String.format(Locale.ROOT, "  %-24s continue with: train-t2i --resume --out %s --steps %d",
                CHECKPOINT, dir, 2L * total));
        report.line(String.format(Locale.ROOT, "  %-24s the loss curve; %s holds the values", LOSS_PNG, LOSSES_CSV));
        report.line("sample it with: txt2img --model " + pipelineDir + " \"a pair of dark trousers\"");
        return new Result(trainer.completedSteps(), done, pipelineDir);
    }

    /** The steps, with a progress bar; saves every {@code checkpointEvery} steps and at the end. */
    private static void loop(TrainingRun files, TextToImageTrainer trainer, int checkpointEvery, int end,
                             double[][] losses, StepProgress report) throws IOException {
        int total = trainer.config().steps();
        long first = trainer.completedSteps();
        report.start(total);
        try {
            while (trainer.completedSteps() < end) {
                long t0 = System.nanoTime();
                TextToImageTrainer.StepResult r;
                try {
                    r = trainer.step();
                } catch (TextToImageTrainingException e) {
                    report.stop();
                    throw e;
                }
                int step = (int) r.step();
                losses[0][step - 1] = r.loss();
                report.record(System.nanoTime() - t0, r.loss());
                report.update(step, String.format(Locale.ROOT, "loss %.4f  grad %.3f  lr %.2e  %.0f ms/step",
                        report.mean(0), r.gradNorm(), r.lr(), report.secondsPerStep() * 1e3));
                if (step % checkpointEvery == 0 || step == end) {
                    save(files, trainer, losses);
                    report.line("step " + step + ": saved " + CHECKPOINT + ", " + LOSS_PNG + " and " + LOSSES_CSV);
                }
            }
        } finally {
            report.stop();
        }
        long done = trainer.completedSteps() - first;
        if (done > 0) {
            report.line(String.format(Locale.ROOT, "trained %d steps in %s (%.2f s per step, %.1f images/s)", done,
                    ProgressBar.duration(report.trainNanos() / 1e9), report.trainNanos() / 1e9 / done,
                    done * trainer.config().batchSize() / (report.trainNanos() / 1e9)));
        }
    }

    /** Saves the checkpoint, the loss table and the loss curve, in that order. */
    private static void save(TrainingRun files, TextToImageTrainer trainer, double[][] losses) throws IOException {
        Path checkpoint = files.checkpoint();
        TextToImageTrainer.State state = trainer.state(checkpoint.toString());
        Safetensors.write(checkpoint, state.tensors(), state.metadata());
        files.saveLosses(losses, trainer.completedSteps());
    }

    /**
     * Loads the autoencoder of a {@code train-vae} run: {@code DIR/vae/} or {@code DIR} itself, each
     * with {@code config.json} and {@code diffusion_pytorch_model.safetensors}.
     *
     * @param dir the directory
     * @return the autoencoder, in evaluation mode
     * @throws IOException if a file is invalid
     */
    static AutoencoderKL loadVae(Path dir) throws IOException {
        Path modelDir = Files.isRegularFile(dir.resolve(VaeTrainCommand.CONFIG_JSON)) ? dir
                : dir.resolve(VaeTrainCommand.MODEL_DIR);
        Path config = modelDir.resolve(VaeTrainCommand.CONFIG_JSON);
        Path weights = modelDir.resolve(VaeTrainCommand.WEIGHTS);
        for (Path p : List.of(config, weights)) {
            if (!Files.isRegularFile(p)) {
                throw new DemoException("--vae: " + p + " does not exist; give the output directory of train-vae"
                        + " (which holds vae/config.json and vae/" + VaeTrainCommand.WEIGHTS + ")");
            }
        }
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.fromJson(config), new Rng(0));
        try {
            vae.loadStateDict(AutoencoderKL.renameLegacyAttentionKeys(Safetensors.read(weights).tensors()));
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(weights, "does not fit " + config + ": " + e.getMessage(), e);
        }
        vae.train(false);
        return vae;
    }

    /**
     * Loads the CLIP text encoder of a {@code train-clip} run, {@code DIR/text_encoder/}, after checking
     * that its tokenizer {@code DIR/tokenizer/} is there too.
     *
     * @param dir the run's directory
     * @return the encoder, in evaluation mode
     * @throws IOException if a file is invalid
     */
    static ClipTextModel loadClip(Path dir) throws IOException {
        Path text = dir.resolve(ClipTrainCommand.TEXT_ENCODER);
        Path tokenizer = dir.resolve(ClipTrainCommand.TOKENIZER);
        for (Path p : List.of(text.resolve("config.json"), text.resolve("model.safetensors"),
                tokenizer.resolve("vocab.json"), tokenizer.resolve("merges.txt"))) {
            if (!Files.isRegularFile(p)) {
                throw new DemoException("--clip: " + p + " does not exist; give the output directory of train-clip"
                        + " (which holds text_encoder/ and tokenizer/)");
            }
        }
        ClipTextModel clip = ClipTextModel.load(text.resolve("config.json"), text.resolve("model.safetensors"));
        clip.train(false);
        return clip;
    }

    private static Unigram loadUnigram(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DemoException("--tokenizer-t5: " + file + " does not exist; give the " + UNIGRAM_FILE
                    + " of train-tokenizer --unigram");
        }
        return Unigram.loadTsv(file);
    }

    private static FashionMnist loadTrainSplit(Path dir) throws IOException {
        try {
            return FashionMnist.load(dir, FashionMnist.TRAIN_SPLIT);
        } catch (NoSuchFileException e) {
            throw new DemoException("cannot find the images: " + e.getFile() + " does not exist; train-t2i trains on"
                    + " the train split, so --data must name a directory with it (such as " + FashionMnist.SYSTEM_DIR
                    + ", from apt-get install dataset-fashion-mnist)", e);
        }
    }
}
