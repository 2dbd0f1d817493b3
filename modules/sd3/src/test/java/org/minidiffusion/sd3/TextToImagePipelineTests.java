package org.minidiffusion.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.diffusion.flow.FlowSampler;
import org.minidiffusion.diffusion.flow.FlowSolver;
import org.minidiffusion.diffusion.flow.VelocityModel;

/**
 * {@link TextToImagePipeline} on a tiny random model: the images against a reference loop written
 * out by hand (prompts encoded directly, guidance combined in the velocity), save and load, and
 * errors for bad directories.
 */
class TextToImagePipelineTests {
    private static final String DARK_BAG = "a photo of a dark bag";
    private static final String LIGHT_DRESS = "a light dress";

    /**
     * The reference: sample with a velocity that encodes the given prompts itself and, if a
     * negative prompt is given, applies {@code v_n + g·(v_c − v_n)} itself; then decode as the
     * pipeline documents.
     */
    private static float[] byHand(TextToImagePipeline p, String prompt, String negative, double guidance, int steps,
                                  FlowSolver solver, long seed) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            PromptEmbeddings c = p.encoder().encode(List.of(prompt));
            PromptEmbeddings u = negative == null ? null : p.encoder().encode(List.of(negative));
            VelocityModel model = (x, t, labels) -> {
                Tensor time = Tensor.of(t, t.length);
                Tensor vc = p.transformer().forward(x, c.tokens(), c.pooled(), time);
                if (u == null) {
                    return vc;
                }
                Tensor vu = p.transformer().forward(x, u.tokens(), u.pooled(), time);
                return vu.add(vc.sub(vu).mul((float) guidance));
            };
            Tensor z = new FlowSampler(p.schedule(), solver).sample(model, SampleRequest.of(steps, 1, 4, 8, 8), new Rng(seed));
            Tensor x = p.vae().decode(z.div(p.vae().config().scalingFactor()).add(p.vae().config().shiftFactor()));
            return x.narrow(2, 2, 28).narrow(3, 2, 28).add(1f).mul(0.5f).clamp(0f, 1f).toArray();
        }
    }

    @Test
    void guidanceOneIsTheConditionalModelAlone() {
        TextToImagePipeline p = Tiny.pipeline(1);
        Tensor images = p.generate(GenerationRequest.of(DARK_BAG).withGuidance(1).withSteps(3).withSeed(5));
        assertArrayEquals(new int[] {1, 1, 28, 28}, images.shape().toArray());
        assertArrayEquals(byHand(p, DARK_BAG, null, 1, 3, FlowSolver.EULER, 5), images.toArray(), 1e-5f);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : images.toArray()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= 0 && max <= 1 && max > min, "pixels in [0, 1], not constant: " + min + " .. " + max);
    }

    @Test
    void guidanceCombinesTheEmptyPromptAndThePrompt() {
        TextToImagePipeline p = Tiny.pipeline(2);
        Tensor images = p.generate(GenerationRequest.of(DARK_BAG).withGuidance(3).withSteps(3).withSeed(6)
                .withSolver(FlowSolver.HEUN));
        assertArrayEquals(byHand(p, DARK_BAG, "", 3, 3, FlowSolver.HEUN, 6), images.toArray(), 1e-5f);
    }

    @Test
    void aNegativePromptChangesTheImageAndIsTheGuidanceAgainstIt() {
        TextToImagePipeline p = Tiny.pipeline(3);
        GenerationRequest request = GenerationRequest.of(DARK_BAG).withGuidance(4).withSteps(3).withSeed(7);
        float[] plain = p.generate(request).toArray();
        float[] negative = p.generate(request.withNegativePrompt(LIGHT_DRESS)).toArray();
        assertFalse(Arrays.equals(plain, negative), "the negative prompt changes the image");
        assertArrayEquals(byHand(p, DARK_BAG, LIGHT_DRESS, 4, 3, FlowSolver.EULER, 7), negative, 1e-5f);
    }

    @Test
    void imagesArePromptMajorAndTheSeedFixesTheNoise() {
        TextToImagePipeline p = Tiny.pipeline(4);
        GenerationRequest two = GenerationRequest.of(List.of(DARK_BAG, LIGHT_DRESS)).withCount(2).withSteps(2).withSeed(9);
        Tensor images = p.generate(two);
        assertArrayEquals(new int[] {4, 1, 28, 28}, images.shape().toArray());
        // the noise is drawn for the whole batch in order, so the first prompt's images start the same
        float[] first = images.narrow(0, 0, 2).toArray();
        float[] alone = p.generate(GenerationRequest.of(DARK_BAG).withCount(2).withSteps(2).withSeed(9)).toArray();
        assertArrayEquals(alone, first, 1e-5f);
        assertArrayEquals(images.toArray(), p.generate(two).toArray(), 0f, "the same seed, the same images");
        assertFalse(Arrays.equals(images.toArray(), p.generate(two.withSeed(10)).toArray()));
        int[] steps = {0};
        p.generate(two.withListener((i, n, t, tPrev, x) -> steps[0]++));
        assertEquals(2, steps[0], "the listener sees every step");
    }

    @Test
    void saveThenLoadDrawsTheSameImages(@TempDir Path dir) throws IOException {
        TextToImagePipeline p = Tiny.pipeline(5);
        p.save(dir);
        for (String file : new String[] {"model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json",
            "tokenizer/merges.txt", "text_encoder/config.json", "text_encoder/model.safetensors", "tokenizer_3/unigram.tsv",
            "text_encoder_3/config.json", "text_encoder_3/model.safetensors", "transformer/config.json",
            "transformer/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors"}) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), file);
        }
        String index = Files.readString(dir.resolve("model_index.json"));
        assertTrue(index.contains("\"StableDiffusion3Pipeline\"") && index.contains("\"clip_length\": 10")
                && index.contains("\"t5_length\": 8") && index.contains("\"image_size\": 28"), index);
        TextToImagePipeline loaded = TextToImagePipeline.load(dir);
        assertEquals(p.schedule(), loaded.schedule());
        assertEquals(28, loaded.imageSize());
        GenerationRequest request = GenerationRequest.of(List.of(DARK_BAG, "")).withSteps(2).withSeed(11)
                .withNegativePrompt(LIGHT_DRESS);
        assertArrayEquals(p.generate(request).toArray(), loaded.generate(request).toArray(), 0f);
        assertEquals(p.encoder().describeTokens(DARK_BAG), loaded.encoder().describeTokens(DARK_BAG));
    }

    @Test
    void aMissingOrBrokenFileIsNamed(@TempDir Path dir) throws IOException {
        NoSuchFileException none = assertThrows(NoSuchFileException.class, () -> TextToImagePipeline.load(dir.resolve("nope")));
        assertTrue(none.getMessage().contains("nope"), none.getMessage());
        Tiny.pipeline(6).save(dir);
        Path config = dir.resolve("transformer/config.json");
        Files.move(config, dir.resolve("moved.json"));
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> TextToImagePipeline.load(dir));
        assertTrue(missing.getMessage().contains(config.toString()), missing.getMessage());
        Files.move(dir.resolve("moved.json"), config);

        Path vae = dir.resolve("vae/diffusion_pytorch_model.safetensors");
        byte[] bytes = Files.readAllBytes(vae);
        Files.write(vae, Arrays.copyOf(bytes, bytes.length - 100));
        IOException truncated = assertThrows(IOException.class, () -> TextToImagePipeline.load(dir));
        assertTrue(truncated.getMessage().contains(vae.toString()), truncated.getMessage());
        Files.write(vae, bytes);

        Path index = dir.resolve("model_index.json");
        Files.writeString(index, Files.readString(index).replace("\"t5_length\": 8, ", ""));
        IOException key = assertThrows(IOException.class, () -> TextToImagePipeline.load(dir));
        assertTrue(key.getMessage().contains(index.toString()) && key.getMessage().contains("t5_length"), key.getMessage());
    }

    @Test
    void requestsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of(List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationRequest.of(DARK_BAG).withCount(0));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of(DARK_BAG).withShift(-1));
        assertTrue(e.getMessage().contains("shift"), e.getMessage());
        assertEquals(20, GenerationRequest.of(DARK_BAG).steps());
        assertEquals(4.0, GenerationRequest.of(DARK_BAG).guidance());
    }
}
