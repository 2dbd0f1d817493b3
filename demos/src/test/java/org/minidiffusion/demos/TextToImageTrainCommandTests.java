package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.vae.AutoencoderKL;

/**
 * The train-t2i command, run in-process with the micro model on twelve images for a few steps, with
 * a random micro autoencoder and a random tiny CLIP written as train-vae and train-clip lay them out.
 */
class TextToImageTrainCommandTests {
    @TempDir
    Path dir;
    private Path data;
    private Path vae;
    private Path clip;

    @BeforeEach
    void writeParts() throws IOException {
        data = dir.resolve("data");
        DemoRun.writeIdx(data, "train", 12, 0);
        vae = dir.resolve("vae-run");
        AutoencoderKL autoencoder = new AutoencoderKL(VaeSize.MICRO.config(32).withLatentScaling(1.5f, 0.1f), new Rng(1));
        VaeTrainCommand.export(autoencoder, 0, null, vae.resolve(VaeTrainCommand.MODEL_DIR));
        clip = dir.resolve("clip-run");
        Path tok = clip.resolve(ClipTrainCommand.TOKENIZER);
        ClipVocabularies.write(tok, TextToImageTrainCommand.trainingCaptions());
        ClipTokenizer tokenizer = ClipTrainCommand.loadTokenizer(tok);
        ClipTextConfig config = new ClipTextConfig(ClipTrainCommand.vocabSize(tokenizer), 16, 32, 1, 2, 16, "quick_gelu",
                1e-5f, 8, tokenizer.endId());
        Rng rng = new Rng(2);
        new ClipTextModel(config, true, rng).initialiseForTraining(rng).save(clip.resolve(ClipTrainCommand.TEXT_ENCODER),
                Map.of());
    }

    private DemoRun train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train-t2i", "--out", out.toString()));
        args.addAll(List.of(more));
        return DemoRun.of(args.toArray(String[]::new));
    }

    private DemoRun trainMicro(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("--vae", vae.toString(), "--clip", clip.toString(), "--data",
                data.toString(), "--size", "micro", "--batch", "4", "--seed", "3", "--checkpoint-every", "1"));
        args.addAll(List.of(more));
        return train(out, args.toArray(String[]::new));
    }

    @Test
    void aShortRunWritesALogALossCurveACheckpointAndALoadablePipeline() throws IOException {
        Path out = dir.resolve("run");
        DemoRun run = trainMicro(out, "--steps", "2");
        assertEquals(0, run.code(), run.toString());
        assertTrue(DemoRun.files(out).containsAll(List.of(TextToImageTrainCommand.CHECKPOINT,
                TextToImageTrainCommand.LOSS_PNG, TextToImageTrainCommand.LOSSES_CSV, TextToImageTrainCommand.LOG,
                TextToImageTrainCommand.RUN_INFO, TextToImageTrainCommand.T5_TOKENIZER, TextToImageTrainCommand.PIPELINE,
                TextToImageTrainCommand.SAMPLES_PNG)),
                run.toString());
        assertTrue(run.out().contains("encoding 12 training images of " + data), run.toString());
        assertTrue(run.out().contains("latents 4x8x8"), "28x28 padded to 32x32: a 4x8x8 latent\n" + run);
        assertTrue(run.out().contains("step 2/2  loss "), run.toString());
        assertTrue(run.out().contains("sample it with: txt2img --model " + out.resolve("pipeline")
                + " \"a pair of dark trousers\""), run.toString());
        String log = Files.readString(out.resolve(TextToImageTrainCommand.LOG));
        assertTrue(log.contains("step 2/2  loss ") && log.contains("training the MMDiT (1 blocks, width 32"), log);
        List<String> losses = Files.readAllLines(out.resolve(TextToImageTrainCommand.LOSSES_CSV));
        assertEquals(3, losses.size(), losses.toString());

        // The pipeline holds the EMA weights of the checkpoint, and the frozen autoencoder as it was.
        TextToImagePipeline pipeline = TextToImagePipeline.load(out.resolve(TextToImageTrainCommand.PIPELINE));
        Map<String, Tensor> checkpoint = Safetensors.read(out.resolve(TextToImageTrainCommand.CHECKPOINT)).tensors();
        try (Autograd.Scope s = Autograd.noGrad()) {
            pipeline.transformer().stateDict().forEach((k, v) -> assertArrayEquals(
                    checkpoint.get("ema.transformer." + k).toArray(), v.toArray(), 0f, k));
            pipeline.encoder().t5().stateDict().forEach((k, v) -> assertArrayEquals(
                    checkpoint.get("ema.text_encoder_3." + k).toArray(), v.toArray(), 0f, k));
            Map<String, Tensor> vaeWeights = Safetensors.read(vae.resolve("vae").resolve(VaeTrainCommand.WEIGHTS)).tensors();
            pipeline.vae().stateDict().forEach((k, v) -> assertArrayEquals(vaeWeights.get(k).toArray(), v.toArray(), 0f, k));
        }
        assertEquals(1.5f, pipeline.vae().config().scalingFactor());
        assertEquals(28, pipeline.imageSize());
        assertEquals(16, pipeline.encoder().clipLength());
    }

    @Test
    void aRunStoppedAndResumedEndsExactlyAsAnUninterruptedOne() throws IOException {
        Path straight = dir.resolve("straight");
        assertEquals(0, trainMicro(straight, "--steps", "4").code());
        Path sessions = dir.resolve("sessions");
        DemoRun first = trainMicro(sessions, "--steps", "4", "--stop-after", "2");
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("stopped after step 2 of 4 as --stop-after asked"), first.toString());
        assertTrue(!Files.exists(sessions.resolve(TextToImageTrainCommand.PIPELINE)), "no pipeline before the end");
        DemoRun resumed = train(sessions, "--resume");
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("resuming " + sessions.resolve(TextToImageTrainCommand.CHECKPOINT)
                + " at step 2 of 4"), resumed.toString());
        SafetensorsFile a = Safetensors.read(straight.resolve(TextToImageTrainCommand.CHECKPOINT));
        SafetensorsFile b = Safetensors.read(sessions.resolve(TextToImageTrainCommand.CHECKPOINT));
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        a.tensors().forEach((k, v) -> assertArrayEquals(v.toArray(), b.tensors().get(k).toArray(), 0f, k));
        assertEquals(a.metadata(), b.metadata());
        assertEquals(Files.readAllLines(straight.resolve(TextToImageTrainCommand.LOSSES_CSV)),
                Files.readAllLines(sessions.resolve(TextToImageTrainCommand.LOSSES_CSV)));

        DemoRun extended = train(sessions, "--resume", "--steps", "3");
        assertEquals(1, extended.code(), extended.toString());
        assertTrue(extended.err().startsWith("error: the run in " + sessions + " has already done 4 steps"),
                extended.toString());
    }

    @Test
    void badCommandLinesAndMissingPartsAreExplained() {
        Path out = dir.resolve("run");
        DemoRun noVae = train(out, "--clip", clip.toString());
        assertEquals(2, noVae.code(), noVae.toString());
        assertTrue(noVae.err().startsWith("error: train-t2i needs --vae DIR: the output directory of train-vae"),
                noVae.toString());
        DemoRun noClip = train(out, "--vae", vae.toString());
        assertEquals(2, noClip.code(), noClip.toString());
        assertTrue(noClip.err().startsWith("error: train-t2i needs --clip DIR"), noClip.toString());
        DemoRun fixed = train(out, "--resume", "--size", "small");
        assertEquals(2, fixed.code(), fixed.toString());
        assertTrue(fixed.err().startsWith("error: --size cannot be combined with --resume: the run fixes it"),
                fixed.toString());
        DemoRun size = train(out, "--vae", vae.toString(), "--clip", clip.toString(), "--size", "huge");
        assertEquals(2, size.code(), size.toString());
        DemoRun none = train(out, "--resume");
        assertEquals(1, none.code(), none.toString());
        assertTrue(none.err().startsWith("error: --resume: there is no checkpoint "), none.toString());
        DemoRun badVae = train(out, "--vae", dir.toString(), "--clip", clip.toString(), "--data", data.toString());
        assertEquals(1, badVae.code(), badVae.toString());
        assertTrue(badVae.err().startsWith("error: --vae: " + dir.resolve("vae").resolve("config.json")
                + " does not exist; give the output directory of train-vae"), badVae.toString());
        DemoRun badClip = train(out, "--vae", vae.toString(), "--clip", vae.toString(), "--data", data.toString());
        assertEquals(1, badClip.code(), badClip.toString());
        assertTrue(badClip.err().startsWith("error: --clip: " + vae.resolve("text_encoder").resolve("config.json")
                + " does not exist; give the output directory of train-clip"), badClip.toString());
        DemoRun badT5 = train(out, "--vae", vae.toString(), "--clip", clip.toString(), "--data", data.toString(),
                "--tokenizer-t5", dir.resolve("none.tsv").toString());
        assertEquals(1, badT5.code(), badT5.toString());
        assertTrue(badT5.err().startsWith("error: --tokenizer-t5: " + dir.resolve("none.tsv") + " does not exist"),
                badT5.toString());
        DemoRun noData = train(out, "--vae", vae.toString(), "--clip", clip.toString(), "--data", dir.toString());
        assertEquals(1, noData.code(), noData.toString());
        assertTrue(noData.err().startsWith("error: cannot find the images: "), noData.toString());
        DemoRun batch = train(out, "--vae", vae.toString(), "--clip", clip.toString(), "--data", data.toString(),
                "--size", "micro", "--batch", "13");
        assertEquals(1, batch.code(), batch.toString());
        assertTrue(batch.err().startsWith("error: --batch 13 is larger than the training split (12 images)"),
                batch.toString());
    }

    @Test
    void anExistingRunIsNotOverwritten() {
        Path out = dir.resolve("run");
        assertEquals(0, trainMicro(out, "--steps", "1").code());
        DemoRun again = trainMicro(out, "--steps", "1");
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("already holds a text-to-image training run") && again.err().contains("--resume"),
                again.toString());
    }
}
