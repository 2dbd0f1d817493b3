package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.FileFormatException;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.transformer.clip.ClipImageEncoder;
import org.minidiffusion.transformer.clip.ClipImageEncoderConfig;
import org.minidiffusion.transformer.clip.ClipModel;
import org.minidiffusion.transformer.clip.ClipRetrieval;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.clip.ClipTrainConfig;
import org.minidiffusion.transformer.clip.ClipTrainer;

/**
 * The {@code train-clip} command: trains CLIP's text encoder contrastively against a small image
 * encoder on Fashion-MNIST images and their captions (Radford et al. 2021), with a progress bar,
 * checkpoints that resume exactly, a loss curve, and the retrieval accuracy on held-out pairs.
 *
 * <p>Captions come one per image, in image order: from a UTF-8 file of one caption per line, or
 * built in from the class names ({@code --captions classes}); {@link #train} takes any
 * {@code IntFunction<String>}. The tokenizer is a CLIP BPE ({@code vocab.json} and
 * {@code merges.txt}).
 *
 * <p>Everything goes to one output directory:
 * <ul>
 *   <li>{@code text_encoder/config.json} and {@code model.safetensors}: the text encoder with its
 *       projection, under Hugging Face's {@code CLIPTextModelWithProjection} names ({@link ClipTextModel#load});
 *   <li>{@code image_encoder/config.json} and {@code model.safetensors}: the image encoder ({@link ClipImageEncoder#load});
 *   <li>{@code tokenizer/vocab.json} and {@code merges.txt}: a copy of the tokenizer;
 *   <li>{@code checkpoint.safetensors}: weights and optimiser state, to continue with {@code --resume};
 *   <li>{@code loss.png} and {@code losses.csv}: the loss of every step;
 *   <li>{@code run.properties}: the data, captions and tokenizer of the run, for {@code --resume}.
 * </ul>
 */
final class ClipTrainCommand {
    /** The output directory by default. */
    static final Path DEFAULT_OUT = Path.of("runs", "clip");
    /** The steps of a new run by default. */
    static final int DEFAULT_STEPS = 1500;
    /** Pairs per step by default. */
    static final int DEFAULT_BATCH = 64;
    /** The peak learning rate by default. */
    static final float DEFAULT_LR = 1e-3f;
    /** AdamW's weight decay of the matrices. */
    static final float WEIGHT_DECAY = 0.1f;
    /** Text encoder layers by default. */
    static final int DEFAULT_LAYERS = 4;
    /** The text encoder's width by default. */
    static final int DEFAULT_WIDTH = 128;
    /** Attention heads by default. */
    static final int DEFAULT_HEADS = 4;
    /** The context length in tokens by default, start and end tokens included. */
    static final int DEFAULT_CONTEXT = 16;
    /** The size of the joint embedding by default. */
    static final int DEFAULT_EMBED_DIM = 128;
    /** The image encoder's widths: after {@code conv_in} (28x28), then at 14x14, 7x7 and 4x4. */
    static final int[] IMAGE_CHANNELS = {16, 32, 64, 128};
    /** The image encoder's GroupNorm groups. */
    static final int IMAGE_GROUPS = 8;
    /** Pairs held out of training by default, at the end of the split. */
    static final int DEFAULT_HOLDOUT = 1000;
    /** Steps between checkpoints by default. */
    static final int DEFAULT_CHECKPOINT_EVERY = 200;
    /** The value of {@code --captions} that builds captions from the class names. */
    static final String CLASS_CAPTIONS = "classes";

    static final String CHECKPOINT = TrainingRun.CHECKPOINT;
    static final String TEXT_ENCODER = "text_encoder";
    static final String IMAGE_ENCODER = "image_encoder";
    static final String TOKENIZER = "tokenizer";
    static final String LOSS_PNG = TrainingRun.LOSS_PNG;
    static final String LOSSES_CSV = TrainingRun.LOSSES_CSV;
    static final String RUN_INFO = TrainingRun.RUN_INFO;

    /** The command line of {@code train-clip}. */
    static final CliCommand COMMAND = CliCommand.named("train-clip",
                    "Train CLIP's text encoder contrastively against a small image encoder on captioned Fashion-MNIST.")
            .details("The last --holdout pairs are held out to measure retrieval. Writes text_encoder/ (Hugging Face"
                    + " CLIPTextModelWithProjection), image_encoder/, tokenizer/, checkpoint.safetensors, loss.png and"
                    + " losses.csv to --out.")
            .option("tokenizer", "DIR", "the CLIP BPE to use, vocab.json and merges.txt (from 'train-tokenizer --bpe';"
                    + " required unless --resume)")
            .option("captions", "FILE|" + CLASS_CAPTIONS, "one caption per image, in image order, one per line (from"
                    + " 'captions'); '" + CLASS_CAPTIONS + "' for \"a photo of a <class>\" (default: " + CLASS_CAPTIONS
                    + ")")
            .option("out", "DIR", "the run's directory (default: " + DEFAULT_OUT + ")")
            .flag("resume", "continue <out>/checkpoint.safetensors, up to --steps if given; the checkpoint fixes"
                    + " the model's shape, --batch, --lr, --seed and --holdout")
            .option("steps", "N", "training steps (default: " + DEFAULT_STEPS + ")")
            .option("batch", "N", "caption-image pairs per step (default: " + DEFAULT_BATCH + ")")
            .option("lr", "X", "the peak learning rate (default: " + DEFAULT_LR + ")")
            .option("seed", "N", "the seed of the weights and batches (default: 0)")
            .option("layers", "N", "text encoder layers (default: " + DEFAULT_LAYERS + ")")
            .option("width", "N", "text encoder width (default: " + DEFAULT_WIDTH + ")")
            .option("heads", "N", "attention heads (default: " + DEFAULT_HEADS + ")")
            .option("context", "N", "tokens per caption, with the start and end tokens (default: " + DEFAULT_CONTEXT
                    + ")")
            .option("embed-dim", "N", "the width of the shared embedding (default: " + DEFAULT_EMBED_DIM + ")")
            .option("data", "DIR", "the Fashion-MNIST files (default: as for 'train')")
            .option("split", "t10k|train", "the split to train on (default: as for 'train')")
            .option("holdout", "N", "pairs held out at the end of the split (default: " + DEFAULT_HOLDOUT + ")")
            .option("checkpoint-every", "N", "steps between checkpoints (default: " + DEFAULT_CHECKPOINT_EVERY + ")")
            .backend()
            .build();
    /** The options a checkpoint fixes. */
    private static final List<String> FIXED = List.of("batch", "lr", "seed", "layers", "width", "heads", "context",
            "embed-dim", "holdout");

    static final int LOSS_PLOT_WIDTH = TrainingRun.LOSS_PLOT_WIDTH;
    static final int LOSS_PLOT_HEIGHT = TrainingRun.LOSS_PLOT_HEIGHT;
    /** The title of {@link #LOSS_PNG}; its axes are "step" and "loss (log scale)". */
    static final String LOSS_TITLE = "train-clip: loss per step";

    private ClipTrainCommand() {
    }

    /**
     * The command line of {@code train-clip}.
     *
     * @param out             the output directory
     * @param resume          whether to continue the run in {@code out}
     * @param tokenizer       the directory of {@code vocab.json} and {@code merges.txt}, or null for the resumed run's
     * @param captions        a captions file, {@value #CLASS_CAPTIONS}, or null for the default (or the resumed run's)
     * @param data            the directory of IDX files, or null for the default (or the resumed run's)
     * @param split           {@code t10k} or {@code train}, or null to choose from the directory
     * @param steps           the total number of steps, or 0 for the default (or the resumed run's plan)
     * @param batch           pairs per step
     * @param lr              the peak learning rate
     * @param seed            the seed of the weights and the data order
     * @param layers          text encoder layers
     * @param width           the text encoder's width
     * @param heads           its attention heads
     * @param context         its context length in tokens
     * @param embedDim        the size of the joint embedding
     * @param holdout         pairs held out at the end of the split
     * @param checkpointEvery steps between checkpoints
     */
    record Settings(Path out, boolean resume, Path tokenizer, String captions, Path data, String split, int steps,
                    int batch, float lr, long seed, int layers, int width, int heads, int context, int embedDim,
                    int holdout, int checkpointEvery) {
    }

    /**
     * What a run did.
     *
     * @param completedSteps the steps done in all
     * @param losses         the loss of every step, NaN where unknown
     * @param retrieval      the retrieval scores on the held-out pairs, or null with none held out
     */
    record Result(long completedSteps, double[] losses, ClipRetrieval.Result retrieval) {
    }

    /**
     * Reads the options of {@code train-clip}.
     *
     * @param o the parsed options
     * @return the settings
     * @throws UsageException if an option is out of range or cannot be combined with {@code --resume}
     */
    static Settings parse(Options o) {
        boolean resume = o.flag("resume");
        TrainingRun.rejectFixed(o, FIXED, "run");
        if (!resume && !o.has("tokenizer")) {
            throw new UsageException("train-clip needs --tokenizer DIR, a CLIP BPE's vocab.json and merges.txt");
        }
        Settings s = new Settings(
                o.path("out", DEFAULT_OUT),
                resume,
                o.path("tokenizer", null),
                o.string("captions", null),
                o.path("data", null),
                o.choice("split", null, Set.of(FashionMnist.TEST_SPLIT, FashionMnist.TRAIN_SPLIT)),
                o.intValue("steps", resume ? 0 : DEFAULT_STEPS, 1, 100_000_000),
                o.intValue("batch", DEFAULT_BATCH, 2, 4096),
                o.positiveFloat("lr", DEFAULT_LR, 1f),
                o.longValue("seed", 0),
                o.intValue("layers", DEFAULT_LAYERS, 1, 48),
                o.intValue("width", DEFAULT_WIDTH, 8, 4096),
                o.intValue("heads", DEFAULT_HEADS, 1, 64),
                o.intValue("context", DEFAULT_CONTEXT, 3, 77),
                o.intValue("embed-dim", DEFAULT_EMBED_DIM, 2, 4096),
                o.intValue("holdout", DEFAULT_HOLDOUT, 0, 100_000_000),
                o.intValue("checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1, 100_000_000));
        if (s.width() % s.heads() != 0) {
            throw new UsageException("--width " + s.width() + " must be divisible by --heads " + s.heads());
        }
        return s;
    }

    /**
     * Runs the command: resolves the data, the captions and the tokenizer (from the options or the
     * resumed run), then {@linkplain #train trains}.
     *
     * @param s   the settings
     * @param out where the plan, the progress and the summary go
     * @return what the run did
     * @throws IOException if a file cannot be read or written
     */
    static Result run(Settings s, PrintStream out) throws IOException {
        TrainingRun files = new TrainingRun(s.out(), s.resume(), "CLIP training run", LOSS_TITLE, LossTable.LOSS);
        Properties recorded = files.recordedRun("the data, captions and tokenizer",
                List.of("images", "captions", "tokenizer", "context", "holdout", "token_hash"));
        boolean sameData = s.data() == null && recorded.getProperty("data") != null;
        Path dataDir = s.data() != null ? s.data() : sameData ? Path.of(recorded.getProperty("data")) : FashionMnist.DEFAULT_DIR;
        String split = s.split() != null ? s.split()
                : sameData && recorded.getProperty("split") != null ? recorded.getProperty("split")
                : TrainCommand.defaultSplit(dataDir, s.data() != null);
        FashionMnist images = TrainCommand.loadData(dataDir, split, s.data() != null || sameData);
        String captions = s.captions() != null ? s.captions() : recorded.getProperty("captions", CLASS_CAPTIONS);
        Path tokenizerDir = s.tokenizer() != null ? s.tokenizer() : Path.of(recorded.getProperty("tokenizer"));
        IntFunction<String> captionOf = captions.equals(CLASS_CAPTIONS) ? classCaptions(images)
                : captionFile(Path.of(captions), images.size());
        return train(files, s, new Data(images, dataDir, split, captionOf, captions, tokenizerDir), out);
    }

    /**
     * What a run trains on.
     *
     * @param images       the split
     * @param dataDir      its directory
     * @param split        its name
     * @param captions     the caption of each image, by index
     * @param captionsName where the captions come from, recorded for {@code --resume}
     * @param tokenizerDir the CLIP BPE's directory
     */
    record Data(FashionMnist images, Path dataDir, String split, IntFunction<String> captions, String captionsName,
                Path tokenizerDir) {
    }

    /**
     * Returns the built-in captions: {@code "a photo of a <class>"}, with the class name in lower case.
     *
     * @param images the split
     * @return the caption of each image
     */
    static IntFunction<String> classCaptions(FashionMnist images) {
        return i -> "a photo of a " + FashionMnist.className(images.label(i)).toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a captions file: UTF-8, one non-blank caption per line, one line per image in image order.
     *
     * @param file   the file
     * @param images the number of images
     * @return the caption of each image
     * @throws IOException naming the file and line if it is not such a file
     */
    static IntFunction<String> captionFile(Path file, int images) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new FileFormatException(file, "is not UTF-8 text; a captions file holds one caption per line", e);
        } catch (NoSuchFileException e) {
            throw new DemoException("--captions: " + file + " does not exist; give a file of one caption per image,"
                    + " or '" + CLASS_CAPTIONS + "'", e);
        }
        if (lines.size() != images) {
            throw new FileFormatException(file, "has " + lines.size() + " lines, but the images are " + images
                    + "; a captions file holds one caption per image, in image order");
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                throw new FileFormatException(file, "line " + (i + 1) + " is blank; every image needs a caption");
            }
        }
        String[] list = lines.toArray(new String[0]);
        return i -> list[i];
    }

    /**
     * Trains on images and captions.
     *
     * @param files the output directory, with what {@value #RUN_INFO} says about the run to resume
     * @param s     the settings
     * @param d     the images, captions and tokenizer
     * @param out   where the plan, progress and summary go
     * @return what the run did
     * @throws IOException if a file cannot be read or written
     */
    static Result train(TrainingRun files, Settings s, Data d, PrintStream out) throws IOException {
        Path dir = s.out();
        Properties recorded = files.recorded();
        ClipTokenizer tokenizer = loadTokenizer(d.tokenizerDir());
        int context = s.resume() ? files.recordedInt("context") : s.context();
        int holdout = s.resume() ? files.recordedInt("holdout") : s.holdout();
        int total = d.images().size();
        int[][] ids = new int[total][];
        int truncated = 0;
        for (int i = 0; i < total; i++) {
            String caption = d.captions().apply(i);
            ClipTokenizer.Encoding e = tokenizer.encode(caption, context, tokenizer.endId());
            truncated += tokenizer.encodeIds(caption).length > context - 2 ? 1 : 0;
            ids[i] = e.ids();
        }
        if (holdout > total - 2) {
            throw new DemoException("--holdout " + holdout + " leaves fewer than 2 of the " + total + " images to train on");
        }
        CaptionedImages train = new CaptionedImages(d.images(), ids, total - holdout);
        CaptionedImages all = new CaptionedImages(d.images(), ids, total);
        String tokens = Long.toHexString(tokenHash(ids));
        ClipTrainer trainer;
        if (s.resume()) {
            if (!tokens.equals(recorded.getProperty("token_hash")) || total != files.recordedInt("images")) {
                throw new DemoException("the run in " + dir + " was started on " + recorded.getProperty("images")
                        + " images whose captions (" + recorded.getProperty("captions") + ", tokenizer "
                        + recorded.getProperty("tokenizer") + ") give other token ids than " + total + " images of "
                        + d.dataDir() + " (split " + d.split() + ") with " + d.captionsName() + " and "
                        + d.tokenizerDir() + "; resume with the same --data, --split, --captions and --tokenizer");
            }
            trainer = resume(files, train, s.steps());
            out.println(files.resuming(trainer.completedSteps(), trainer.config().steps()));
        } else {
            if (train.size() < s.batch()) {
                throw new DemoException("--batch " + s.batch() + " is larger than the " + train.size()
                        + " pairs to train on (" + total + " images, " + holdout + " held out)");
            }
            trainer = newRun(files, s, d, tokenizer, context, holdout, total, tokens, train);
        }
        if (truncated > 0) {
            out.printf(Locale.ROOT, "warning: %d caption%s longer than the context of %d tokens were cut%n", truncated,
                    truncated == 1 ? "" : "s", context);
        }
        ClipTrainConfig config = trainer.config();
        ClipModel model = trainer.model();
        ClipTextConfig tc = model.textEncoder().config();
        out.printf(Locale.ROOT, "training CLIP: a text encoder (%d layers, width %d, %d heads, %d tokens, vocabulary %d;"
                        + " %,d parameters) against an image encoder (widths %s; %,d parameters), joint embedding %d%n",
                tc.numHiddenLayers(), tc.hiddenSize(), tc.numAttentionHeads(), tc.maxPositionEmbeddings(), tc.vocabSize(),
                count(model.textEncoder().parameters()), Arrays.toString(model.imageEncoder().config().channels()),
                count(model.imageEncoder().parameters()), tc.projectionDim());
        out.printf(Locale.ROOT, "  on %d pairs of %s (split %s) with captions %s and the tokenizer %s; %d held out%n",
                train.size(), d.dataDir(), d.split(), d.captionsName(), d.tokenizerDir(), holdout);
        out.printf(Locale.ROOT, "  %d steps of %d pairs: AdamW lr %s (weight decay %s), %d warm-up steps then cosine"
                        + " decay, seed %d; writing to %s every %d steps%n", config.steps(), config.batchSize(),
                config.learningRate(), config.weightDecay(), config.warmupSteps(), config.seed(), dir, s.checkpointEvery());
        int first = (int) trainer.completedSteps();
        double[][] losses = files.losses(config.steps(), first);
        long trainNanos = loop(files, trainer, s.checkpointEvery(), losses, tokenizer, out);
        long done = trainer.completedSteps() - first;
        if (done > 0) {
            out.printf(Locale.ROOT, "trained %d steps in %s (%.1f pairs/s, %.2f s per step)%n", done,
                    ProgressBar.duration(trainNanos / 1e9), done * config.batchSize() / (trainNanos / 1e9),
                    trainNanos / 1e9 / done);
        }
        ClipRetrieval.Result retrieval = null;
        if (holdout >= 2) {
            int[] heldOut = IntStream.range(total - holdout, total).toArray();
            int chunk = Math.min(config.batchSize(), holdout);
            retrieval = ClipRetrieval.measure(model, all, heldOut, config.batchSize());
            ClipRetrieval.Result byClass = ClipRetrieval.measure(model, all, heldOut, config.batchSize(),
                    d.images()::label);
            out.printf(Locale.ROOT, "held-out retrieval over %d pairs in groups of %d: image->text top-1 %.3f,"
                            + " text->image top-1 %.3f (chance %.3f); of the same class: %.3f and %.3f (chance %.3f)%n",
                    retrieval.pairs(), chunk, retrieval.imageToText(), retrieval.textToImage(), retrieval.chance(),
                    byClass.imageToText(), byClass.textToImage(), byClass.chance());
        }
        out.println("files in " + dir + ":");
        out.printf(Locale.ROOT, "  %-24s the text encoder (CLIPTextModelWithProjection: config.json, model.safetensors)%n",
                TEXT_ENCODER + "/");
        out.printf(Locale.ROOT, "  %-24s the image encoder (config.json, model.safetensors)%n", IMAGE_ENCODER + "/");
        out.printf(Locale.ROOT, "  %-24s the tokenizer (vocab.json, merges.txt)%n", TOKENIZER + "/");
        out.printf(Locale.ROOT, "  %-24s continue with: train-clip --resume --out %s --steps %d%n", CHECKPOINT, dir,
                2L * config.steps());
        out.printf(Locale.ROOT, "  %-24s the loss curve; %s holds the values%n", LOSS_PNG, LOSSES_CSV);
        return new Result(trainer.completedSteps(), Arrays.copyOf(losses[0], (int) trainer.completedSteps()), retrieval);
    }

    /** The steps, with a progress bar; saves every {@code checkpointEvery} steps and at the end. */
    private static long loop(TrainingRun files, ClipTrainer trainer, int checkpointEvery, double[][] losses,
                             ClipTokenizer tokenizer, PrintStream out) throws IOException {
        int total = trainer.config().steps();
        StepProgress progress = new StepProgress(out, null, 2); // loss, accuracy
        progress.start(total);
        try {
            while (trainer.completedSteps() < total) {
                long t0 = System.nanoTime();
                ClipTrainer.StepResult r = trainer.step();
                progress.record(System.nanoTime() - t0, r.loss(), r.accuracy());
                int step = (int) r.step();
                losses[0][step - 1] = r.loss();
                progress.update(step, String.format(Locale.ROOT, "loss %.4f  batch top-1 %.2f  scale %.1f  %.1f pairs/s",
                        progress.mean(0), progress.mean(1), r.logitScale(),
                        trainer.config().batchSize() / progress.secondsPerStep()));
                if (step % checkpointEvery == 0 || step == total) {
                    save(files, trainer, tokenizer, losses);
                    progress.line("step " + step + ": saved " + CHECKPOINT + ", " + TEXT_ENCODER + "/, " + IMAGE_ENCODER
                            + "/, " + LOSS_PNG + " and " + LOSSES_CSV);
                }
            }
        } finally {
            progress.stop();
        }
        return progress.trainNanos();
    }

    /** Saves the checkpoint, both towers, the loss table and the loss curve. */
    private static void save(TrainingRun files, ClipTrainer trainer, ClipTokenizer tokenizer, double[][] losses)
            throws IOException {
        Path dir = files.dir();
        Path checkpoint = files.checkpoint();
        ClipTrainer.State state = trainer.state(checkpoint.toString());
        Safetensors.write(checkpoint, state.tensors(), state.metadata());
        trainer.model().textEncoder().save(dir.resolve(TEXT_ENCODER),
                Map.of("bos_token_id", tokenizer.startId(), "pad_token_id", tokenizer.endId()));
        trainer.model().imageEncoder().save(dir.resolve(IMAGE_ENCODER));
        files.saveLosses(losses, trainer.completedSteps());
    }

    /** Builds the towers, records the run in {@value #RUN_INFO} and copies the tokenizer. */
    private static ClipTrainer newRun(TrainingRun files, Settings s, Data d, ClipTokenizer tokenizer, int context,
                                      int holdout, int total, String tokens, CaptionedImages train) throws IOException {
        ClipTextConfig text;
        ClipImageEncoderConfig image;
        try {
            int vocab = vocabSize(tokenizer);
            for (int[] row : train.allIds()) {
                for (int id : row) {
                    vocab = Math.max(vocab, id + 1);
                }
            }
            text = new ClipTextConfig(vocab, s.width(), 4 * s.width(), s.layers(), s.heads(), context,
                    "quick_gelu", 1e-5f, s.embedDim(), tokenizer.endId());
            image = new ClipImageEncoderConfig(1, d.images().height(), IMAGE_CHANNELS, IMAGE_GROUPS, 1e-5f, s.embedDim());
        } catch (IllegalArgumentException e) {
            throw new DemoException("cannot build the encoders: " + e.getMessage(), e);
        }
        if (d.images().height() != d.images().width()) {
            throw new DemoException(d.dataDir() + ": the images are " + d.images().height() + "x" + d.images().width()
                    + "; the image encoder needs square images");
        }
        Rng rng = new Rng(s.seed());
        ClipModel model = new ClipModel(new ClipTextModel(text, true, rng).initialiseForTraining(rng),
                new ClipImageEncoder(image, rng));
        ClipTrainConfig config = new ClipTrainConfig(s.steps(), s.batch(), s.lr(), Math.min(100, s.steps() / 10),
                WEIGHT_DECAY, s.seed());
        ClipTrainer trainer = new ClipTrainer(model, config, train);
        Path dir = s.out();
        Files.createDirectories(dir.resolve(TOKENIZER));
        for (String f : List.of("vocab.json", "merges.txt")) {
            AtomicFiles.write(dir.resolve(TOKENIZER).resolve(f), Files.readAllBytes(d.tokenizerDir().resolve(f)));
        }
        files.record("mini-diffusion CLIP training run", Map.of("data", d.dataDir().toString(), "split", d.split(),
                "images", Integer.toString(total), "captions", d.captionsName(), "tokenizer",
                d.tokenizerDir().toString(), "context", Integer.toString(context), "holdout", Integer.toString(holdout),
                "token_hash", tokens));
        return trainer;
    }

    private static ClipTrainer resume(TrainingRun files, CaptionedImages train, int steps) throws IOException {
        Path checkpoint = files.checkpoint();
        SafetensorsFile f = Safetensors.read(checkpoint);
        ClipTrainer trainer;
        try {
            trainer = ClipTrainer.resume(checkpoint.toString(), new ClipTrainer.State(f.tensors(), f.metadata()), train, steps);
        } catch (IllegalArgumentException e) {
            throw new DemoException(checkpoint + " is not a usable CLIP training checkpoint: " + e.getMessage(), e);
        }
        files.checkSteps(trainer.completedSteps(), trainer.config().steps(), steps, null);
        return trainer;
    }

    /** Loads the CLIP BPE of a directory, explaining what is missing. */
    static ClipTokenizer loadTokenizer(Path dir) throws IOException {
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        for (Path p : List.of(vocab, merges)) {
            if (!Files.isRegularFile(p)) {
                throw new DemoException("--tokenizer: " + p + " does not exist; the directory must hold a CLIP BPE's"
                        + " vocab.json and merges.txt");
            }
        }
        return ClipTokenizer.load(vocab, merges);
    }

    /**
     * Returns the vocabulary size for the text encoder: one more than the largest id among the
     * special tokens and the ids that follow them without a gap (the special tokens usually end
     * the vocabulary).
     */
    static int vocabSize(ClipTokenizer tokenizer) {
        int v = Math.max(tokenizer.startId(), tokenizer.endId()) + 1;
        while (tokenizer.token(v) != null) {
            v++;
        }
        return v;
    }

    /** FNV-1a over every id, to notice other captions or another tokenizer on resume. */
    static long tokenHash(int[][] ids) {
        long h = 0xcbf29ce484222325L;
        for (int[] row : ids) {
            for (int id : row) {
                h = (h ^ id) * 0x100000001b3L;
            }
            h = (h ^ -1) * 0x100000001b3L;
        }
        return h;
    }

    private static long count(Map<String, org.minidiffusion.core.api.Parameter> params) {
        return params.values().stream().mapToLong(p -> p.shape().numel()).sum();
    }
}
