package org.minidiffusion.demos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.flow.FlowSchedule;
import org.minidiffusion.dit.SD3Transformer2DModel;
import org.minidiffusion.dit.SD3Transformer2DModelConfig;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.sd3.PromptEncoder;
import org.minidiffusion.sd3.TextToImagePipeline;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5Config;
import org.minidiffusion.transformer.t5.T5EncoderModel;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/** Runs the launcher in-process and builds small files for the tests. */
record DemoRun(int code, String out, String err) {
    /** The repository's copy of the Fashion-MNIST test split, from the demos directory. */
    static final Path DATA = Path.of("..").resolve(FashionMnist.DEFAULT_DIR).toAbsolutePath().normalize();

    static DemoRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Demos.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new DemoRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "exit code " + code + "\n--- out ---\n" + out + "--- err ---\n" + err;
    }

    boolean hasStackTrace() {
        return err.contains("\tat ") || err.contains("Exception");
    }

    /** Writes a micro U-Net with random weights as a model file. */
    static UNet writeMicroModel(Path file, long seed) throws IOException {
        UNet unet = new UNet(ModelSize.MICRO.config(28, 1, 10), new Rng(seed));
        ModelFile.write(file, unet, TrainConfig.defaults(10, seed), 10,
                Map.of(ModelFile.CLASS_NAMES, String.join(",", FashionMnist.CLASS_NAMES)));
        return unet;
    }

    /**
     * Writes a tiny random text-to-image model directory: tokenizers trained on a few captions,
     * a one-block CLIP (width 8) and T5 (width 8), a one-block MMDiT on 4x8x8 latents and a
     * three-level VAE decoding them to 32x32, cropped to 28x28.
     */
    static Path writeTinyTextToImageModel(Path dir, long seed) throws IOException {
        List<String> corpus = new ArrayList<>();
        for (int label = 0; label < 10; label++) {
            for (Tone tone : Tone.values()) {
                corpus.addAll(Captioner.captions(label, tone, Split.TRAINING).subList(0, 2));
            }
        }
        ClipTokenizer clipTokenizer = BpeTrainer.trainClip(corpus, 560, 2);
        Unigram unigram = UnigramTrainer.train(corpus, 80);
        ClipTextModel clip = new ClipTextModel(new ClipTextConfig(clipTokenizer.vocabSize(), 8, 16, 1, 2, 16, "quick_gelu",
                1e-5f, 8, clipTokenizer.endId()), true, new Rng(seed)).initialiseForTraining(new Rng(seed + 1));
        T5EncoderModel t5 = new T5EncoderModel(new T5Config(unigram.vocabSize(), 8, 4, 16, 1, 2, 8, 16, 1e-6f,
                T5Config.GATED_GELU), new Rng(seed + 2)).initialiseForTraining(new Rng(seed + 3));
        PromptEncoder encoder = new PromptEncoder(clipTokenizer, clip, 8, unigram, t5, 8);
        SD3Transformer2DModel mmdit = new SD3Transformer2DModel(
                new SD3Transformer2DModelConfig(8, 2, 4, 1, 8, 2, 8, 16, 8, 4, 0, null), new Rng(seed + 4));
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.of(1, new int[] {8, 8, 8}, 1, 4, 4, 32)
                .withLatentScaling(1.5f, 0f), new Rng(seed + 5));
        new TextToImagePipeline(encoder, mmdit, vae, new FlowSchedule(1000, 3.0), 28).save(dir);
        return dir;
    }

    /** Writes the first {@code n} images of the built-in split, uncompressed, as split {@code split} in {@code dir}. */
    static void writeIdx(Path dir, String split, int n, int offset) throws IOException {
        FashionMnist source = FashionMnist.load(DATA, FashionMnist.TEST_SPLIT);
        Files.createDirectories(dir);
        try (OutputStream images = Files.newOutputStream(dir.resolve(split + "-images-idx3-ubyte"));
             OutputStream labels = Files.newOutputStream(dir.resolve(split + "-labels-idx1-ubyte"))) {
            images.write(ByteBuffer.allocate(16).putInt(0x803).putInt(n).putInt(28).putInt(28).array());
            labels.write(ByteBuffer.allocate(8).putInt(0x801).putInt(n).array());
            for (int i = 0; i < n; i++) {
                float[] pixels = source.image(offset + i).toArray();
                byte[] bytes = new byte[pixels.length];
                for (int p = 0; p < pixels.length; p++) {
                    bytes[p] = (byte) Math.round((pixels[p] + 1f) * 127.5f);
                }
                images.write(bytes);
                labels.write(source.label(offset + i));
            }
        }
    }

    static Set<String> files(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }
}
