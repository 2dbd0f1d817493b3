package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.transformer.clip.ClipImageEncoder;
import org.minidiffusion.transformer.clip.ClipTextModel;

/** The train-clip command, run in-process with tiny encoders for a few steps on 64 images. */
class ClipTrainCommandTests {
    @TempDir
    Path dir;

    /** 64 images of the built-in split as split 'train', a tokenizer for their captions, and a captions file. */
    private Path setUp() throws IOException {
        Path data = dir.resolve("data");
        DemoRun.writeIdx(data, "train", 64, 0);
        FashionMnist images = FashionMnist.load(data, "train");
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            String tone = i % 3 == 0 ? "a dark " : i % 3 == 1 ? "a light " : "a ";
            captions.add(tone + FashionMnist.className(images.label(i)).toLowerCase(Locale.ROOT));
        }
        Files.write(dir.resolve("captions.txt"), captions);
        List<String> corpus = new ArrayList<>(captions);
        corpus.add("a photo of");
        ClipVocabularies.write(dir.resolve("tok"), corpus);
        return data;
    }

    private DemoRun train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train-clip", "--out", out.toString(), "--data",
                dir.resolve("data").toString()));
        args.addAll(List.of(more));
        return DemoRun.of(args.toArray(String[]::new));
    }

    private static final String[] TINY = {"--batch", "8", "--layers", "1", "--width", "16", "--heads", "2",
        "--context", "8", "--embed-dim", "8", "--holdout", "16", "--checkpoint-every", "2", "--seed", "3"};

    private DemoRun trainTiny(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("--tokenizer", dir.resolve("tok").toString(), "--captions",
                dir.resolve("captions.txt").toString()));
        args.addAll(List.of(TINY));
        args.addAll(List.of(more));
        return train(out, args.toArray(String[]::new));
    }

    /** Exact resume is ClipTrainerTests' (a resumed plan of 5 steps has another cosine schedule than one of 3). */
    @Test
    void aShortRunWritesLoadableEncodersAndResumes() throws IOException {
        setUp();
        Path out = dir.resolve("run");
        DemoRun first = trainTiny(out, "--steps", "3");
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("on 48 pairs of") && first.out().contains("16 held out"), first.toString());
        assertTrue(first.out().contains("step 3/3  loss "), first.toString());
        assertTrue(first.out().contains("held-out retrieval over 16 pairs in groups of 8: image->text top-1 "), first.toString());
        for (String f : List.of(ClipTrainCommand.CHECKPOINT, ClipTrainCommand.LOSS_PNG, ClipTrainCommand.LOSSES_CSV,
                ClipTrainCommand.RUN_INFO, ClipTrainCommand.TEXT_ENCODER, ClipTrainCommand.IMAGE_ENCODER,
                ClipTrainCommand.TOKENIZER)) {
            assertTrue(Files.exists(out.resolve(f)), f + "\n" + first);
        }
        List<String> firstLosses = Files.readAllLines(out.resolve(ClipTrainCommand.LOSSES_CSV));
        DemoRun resumed = DemoRun.of("train-clip", "--out", out.toString(), "--resume", "--steps", "5");
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("resuming " + out.resolve(ClipTrainCommand.CHECKPOINT) + " at step 3 of 5"),
                resumed.toString());
        List<String> losses = Files.readAllLines(out.resolve(ClipTrainCommand.LOSSES_CSV));
        assertEquals(6, losses.size(), losses.toString());
        assertEquals(firstLosses, losses.subList(0, 4), "the losses before the resume are kept");
        DemoRun.assertLossChart(out.resolve(ClipTrainCommand.LOSS_PNG), out.resolve(ClipTrainCommand.LOSSES_CSV),
                "train-clip: loss per step", ClipTrainCommand.LOSS_PLOT_WIDTH, ClipTrainCommand.LOSS_PLOT_HEIGHT);

        // The text encoder loads with ClipTextModel's loader, with the tokenizer written beside it.
        Path text = out.resolve(ClipTrainCommand.TEXT_ENCODER);
        ClipTextModel model = ClipTextModel.load(text.resolve("config.json"), text.resolve("model.safetensors"));
        Path tok = out.resolve(ClipTrainCommand.TOKENIZER);
        ClipTokenizer tokenizer = ClipTokenizer.load(tok.resolve("vocab.json"), tok.resolve("merges.txt"));
        assertEquals(tokenizer.endId(), model.config().eosTokenId());
        assertEquals(8, model.config().maxPositionEmbeddings());
        assertTrue(Files.readString(text.resolve("config.json")).contains("\"bos_token_id\": " + tokenizer.startId()));
        int[][] ids = {tokenizer.encode("a dark sneaker", 8, tokenizer.endId()).ids()};
        ClipTextModel.Output o = model.encode(ids, null);
        assertArrayEquals(new int[] {1, 8}, o.textEmbeds().shape().toArray());
        Map<String, Tensor> checkpoint = Safetensors.read(out.resolve(ClipTrainCommand.CHECKPOINT)).tensors();
        model.stateDict().forEach((k, v) -> assertArrayEquals(checkpoint.get("model.text_encoder." + k).toArray(),
                v.toArray(), "the text encoder file holds the checkpoint's weights: " + k));
        Path image = out.resolve(ClipTrainCommand.IMAGE_ENCODER);
        ClipImageEncoder encoder = ClipImageEncoder.load(image.resolve("config.json"), image.resolve("model.safetensors"));
        Tensor embeds = encoder.forward(FashionMnist.load(dir.resolve("data"), "train").batch(0, 1).images());
        assertArrayEquals(new int[] {2, 8}, embeds.shape().toArray());
        encoder.stateDict().forEach((k, v) -> assertArrayEquals(checkpoint.get("model.image_encoder." + k).toArray(),
                v.toArray(), k));
        assertEquals("5", Safetensors.read(out.resolve(ClipTrainCommand.CHECKPOINT)).metadata().get("completed_steps"));

        DemoRun done = DemoRun.of("train-clip", "--out", out.toString(), "--resume");
        assertEquals(1, done.code(), done.toString());
        assertTrue(done.err().startsWith("error: the run in " + out + " has finished its 5 steps"), done.toString());
    }

    @Test
    void classCaptionsNeedNoFile() throws IOException {
        setUp();
        DemoRun run = train(dir.resolve("run"), "--tokenizer", dir.resolve("tok").toString(), "--steps", "1",
                "--batch", "8", "--layers", "1", "--width", "16", "--heads", "2", "--context", "8", "--embed-dim", "8",
                "--holdout", "0");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("with captions classes"), run.toString());
        assertFalse(run.out().contains("held-out retrieval"), run.toString());
    }

    @Test
    void badCommandLinesAndFilesAreExplained() throws IOException {
        setUp();
        DemoRun noTokenizer = train(dir.resolve("a"), "--steps", "1");
        assertEquals(2, noTokenizer.code(), noTokenizer.toString());
        assertTrue(noTokenizer.err().startsWith("error: train-clip needs --tokenizer DIR"), noTokenizer.toString());

        DemoRun fixed = DemoRun.of("train-clip", "--out", dir.resolve("a").toString(), "--resume", "--lr", "0.1");
        assertEquals(2, fixed.code(), fixed.toString());
        assertTrue(fixed.err().startsWith("error: --lr cannot be combined with --resume"), fixed.toString());

        Files.write(dir.resolve("short.txt"), List.of("a bag", "a coat"));
        DemoRun shortFile = train(dir.resolve("b"), "--steps", "1", "--tokenizer", dir.resolve("tok").toString(),
                "--captions", dir.resolve("short.txt").toString());
        assertEquals(1, shortFile.code(), shortFile.toString());
        assertTrue(shortFile.err().contains("short.txt") && shortFile.err().contains("has 2 lines, but the images are 64"),
                shortFile.toString());

        DemoRun noVocab = train(dir.resolve("c"), "--tokenizer", dir.toString(), "--steps", "1");
        assertEquals(1, noVocab.code(), noVocab.toString());
        assertTrue(noVocab.err().contains("vocab.json does not exist"), noVocab.toString());

        DemoRun resumeNothing = DemoRun.of("train-clip", "--out", dir.resolve("d").toString(), "--resume");
        assertEquals(1, resumeNothing.code(), resumeNothing.toString());
        assertTrue(resumeNothing.err().contains("there is no checkpoint"), resumeNothing.toString());
        for (DemoRun r : List.of(noTokenizer, fixed, shortFile, noVocab, resumeNothing)) {
            assertFalse(r.hasStackTrace(), r.toString());
        }
    }

    @Test
    void resumingWithOtherCaptionsIsRefused() throws IOException {
        setUp();
        Path out = dir.resolve("run");
        assertEquals(0, trainTiny(out, "--steps", "2").code());
        DemoRun other = DemoRun.of("train-clip", "--out", out.toString(), "--resume", "--steps", "4", "--captions",
                ClipTrainCommand.CLASS_CAPTIONS);
        assertEquals(1, other.code(), other.toString());
        assertTrue(other.err().contains("give other token ids"), other.toString());
    }
}
