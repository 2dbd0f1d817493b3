package org.minidiffusion.sd3;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.ProgressListener;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.diffusion.flow.FlowSampler;
import org.minidiffusion.diffusion.flow.FlowSchedule;
import org.minidiffusion.diffusion.flow.VelocityModel;
import org.minidiffusion.dit.SD3Transformer2DModel;
import org.minidiffusion.dit.SD3Transformer2DModelConfig;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.Json;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.nn.config.ConfigJson;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5EncoderModel;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/**
 * Text to image as Stable Diffusion 3 (Esser et al. 2024; diffusers' {@code StableDiffusion3Pipeline}):
 * prompts are encoded once by the {@link PromptEncoder}, latents are integrated from noise by
 * flow matching ({@link FlowSampler}) with the MMDiT as the velocity and classifier-free guidance
 * against the negative (or empty) prompt (Ho and Salimans 2022), then unscaled
 * ({@code z / scaling_factor + shift_factor}), decoded by the KL autoencoder, cropped to the image
 * size and mapped from {@code [-1, 1]} to {@code [0, 1]}.
 *
 * <p>{@link #save} and {@link #load} use diffusers' directory layout of a
 * {@code StableDiffusion3Pipeline}, without SD3's second CLIP ({@code text_encoder_2},
 * {@code tokenizer_2}):
 * <pre>
 * model_index.json                          components, and this project's settings under "_minidiffusion"
 * scheduler/scheduler_config.json           FlowMatchEulerDiscreteScheduler: num_train_timesteps, shift
 * tokenizer/vocab.json, merges.txt          CLIP's BPE
 * text_encoder/config.json, model.safetensors        CLIPTextModelWithProjection
 * tokenizer_3/unigram.tsv                   T5's Unigram (piece TAB score per line)
 * text_encoder_3/config.json, model.safetensors      T5EncoderModel
 * transformer/config.json, diffusion_pytorch_model.safetensors   SD3Transformer2DModel
 * vae/config.json, diffusion_pytorch_model.safetensors           AutoencoderKL, with its latent scaling
 * </pre>
 * The settings diffusers has no key for are in {@code model_index.json} under {@code "_minidiffusion"}
 * (diffusers skips keys starting with {@code _}): {@code clip_length} and {@code t5_length}, the
 * context lengths of the two tokenizers, and {@code image_size}, the side of the centre crop of
 * the decoded image (28 for Fashion-MNIST drawn on the autoencoder's 32).
 */
public final class TextToImagePipeline {
    /** The file that names the components. */
    public static final String MODEL_INDEX = "model_index.json";
    /** The key of this project's settings in {@value #MODEL_INDEX}. */
    public static final String SETTINGS_KEY = "_minidiffusion";
    private static final String CONFIG = "config.json";
    private static final String DIFFUSERS_WEIGHTS = "diffusion_pytorch_model.safetensors";
    private static final String TRANSFORMERS_WEIGHTS = "model.safetensors";

    private final PromptEncoder encoder;
    private final SD3Transformer2DModel transformer;
    private final AutoencoderKL vae;
    private final FlowSchedule schedule;
    private final int imageSize;
    private final int latentSize;

    /**
     * Joins the parts.
     *
     * @param encoder     the prompt encoder
     * @param transformer the MMDiT; its {@code joint_attention_dim} and {@code pooled_projection_dim}
     *                    must be the encoder's, its channels the autoencoder's latent channels
     * @param vae         the autoencoder, with the latent scaling the transformer was trained on
     * @param schedule    the sigma schedule (its shift is the default of {@link GenerationRequest#shift})
     * @param imageSize   the side of the centre crop of the decoded image, at most the decoded side
     *                    ({@code sample_size ×} the autoencoder's downsampling factor): 28 of 32 here
     * @throws IllegalArgumentException naming the sizes that do not fit
     */
    public TextToImagePipeline(PromptEncoder encoder, SD3Transformer2DModel transformer, AutoencoderKL vae,
                               FlowSchedule schedule, int imageSize) {
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.transformer = Objects.requireNonNull(transformer, "transformer");
        this.vae = Objects.requireNonNull(vae, "vae");
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        SD3Transformer2DModelConfig t = transformer.config();
        AutoencoderKLConfig v = vae.config();
        if (t.jointAttentionDim() != encoder.jointAttentionDim() || t.pooledProjectionDim() != encoder.pooledDim()) {
            throw new IllegalArgumentException("TextToImagePipeline: the transformer takes joint_attention_dim "
                    + t.jointAttentionDim() + " and pooled_projection_dim " + t.pooledProjectionDim()
                    + " but the prompt encoder gives " + encoder.jointAttentionDim() + " and " + encoder.pooledDim());
        }
        if (t.inChannels() != v.latentChannels() || t.outChannels() != v.latentChannels()) {
            throw new IllegalArgumentException("TextToImagePipeline: the transformer has in_channels " + t.inChannels()
                    + " and out_channels " + t.outChannels() + " but the autoencoder's latent_channels is "
                    + v.latentChannels());
        }
        this.latentSize = t.sampleSize();
        int decoded = latentSize * v.downsamplingFactor();
        if (imageSize < 1 || imageSize > decoded) {
            throw new IllegalArgumentException("TextToImagePipeline: the image size " + imageSize + " is outside [1, "
                    + decoded + "], the side the autoencoder decodes latents of " + latentSize + " to");
        }
        this.imageSize = imageSize;
    }

    /**
     * Draws images for prompts: encodes {@code [negative or "", prompts...]} once, integrates the
     * latents {@code (N, C, h, w)} from the seed's noise with the request's solver, guided by
     * {@code v_u + g·(v_c − v_u)} with the negative prompt's velocity as {@code v_u}, and decodes
     * them. Runs without autograd.
     *
     * @param request the prompts, count, steps, guidance, shift, solver and seed
     * @return images {@code (N, 1, imageSize, imageSize)} in {@code [0, 1]}, {@code N = prompts × count},
     *         prompt-major: the {@code count} images of the first prompt, then those of the second, ...
     */
    public Tensor generate(GenerationRequest request) {
        List<String> prompts = new ArrayList<>(1 + request.prompts().size());
        prompts.add(request.negativePrompt());                           // row 0: the unconditional branch
        prompts.addAll(request.prompts());
        int n = request.images();
        int[] rows = new int[n];                                         // the "class label" of each image is its prompt's row
        for (int i = 0; i < n; i++) {
            rows[i] = 1 + i / request.count();
        }
        FlowSchedule sigmas = Double.isNaN(request.shift()) ? schedule
                : new FlowSchedule(schedule.numTrainTimesteps(), request.shift());
        int channels = transformer.config().inChannels();
        SampleRequest sampling = SampleRequest.of(request.steps(), n, channels, latentSize, latentSize)
                .withClassLabels(rows)
                .withGuidance((float) request.guidance(), 0)
                .withListener(request.listener() == null ? ProgressListener.NONE : request.listener());
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            PromptEmbeddings conditioning = encoder.encode(prompts);     // (1 + P, Lc + Lt, J), (1 + P, pooled)
            VelocityModel velocity = (x, timesteps, labels) -> {
                PromptEmbeddings c = conditioning.select(labels);        // each sample's prompt, or row 0
                return transformer.forward(x, c.tokens(), c.pooled(), Tensor.of(timesteps, timesteps.length));
            };
            Tensor latents = new FlowSampler(sigmas, request.solver()).sample(velocity, sampling, new Rng(request.seed()));
            Tensor decoded = vae.decode(vae.unscaleLatent(latents));     // (N, 1, 32, 32), z / scaling_factor + shift_factor
            int offset = (decoded.size(2) - imageSize) / 2;              // centre crop, as the data was padded
            Tensor cropped = decoded.narrow(2, offset, imageSize).narrow(3, (decoded.size(3) - imageSize) / 2, imageSize);
            return cropped.add(1f).mul(0.5f).clamp(0f, 1f);              // [-1, 1] -> [0, 1]
        }
    }

    /**
     * Writes the pipeline in diffusers' {@code StableDiffusion3Pipeline} layout (see the class
     * comment), every file atomically; {@value #MODEL_INDEX} last, so a directory whose writing was
     * interrupted has none and does not load.
     *
     * @param dir the directory, created if missing
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        writeJson(dir.resolve("scheduler/scheduler_config.json"), schedulerConfig());
        Path tokenizer = Files.createDirectories(dir.resolve("tokenizer"));
        ClipTokenizer clipTokenizer = encoder.clipTokenizer();
        clipTokenizer.save(tokenizer.resolve("vocab.json"), tokenizer.resolve("merges.txt"));
        encoder.clip().save(dir.resolve("text_encoder"),
                Map.of("bos_token_id", clipTokenizer.startId(), "pad_token_id", clipTokenizer.endId()));
        Unigram t5Tokenizer = encoder.t5Tokenizer();
        Files.createDirectories(dir.resolve("tokenizer_3"));
        t5Tokenizer.saveTsv(dir.resolve("tokenizer_3/unigram.tsv"));
        encoder.t5().save(dir.resolve("text_encoder_3"),
                Map.of("pad_token_id", t5Tokenizer.padId(), "eos_token_id", t5Tokenizer.eosId()));
        Path t = Files.createDirectories(dir.resolve("transformer"));
        Safetensors.write(t.resolve(DIFFUSERS_WEIGHTS), transformer.stateDict(), Map.of("format", "pt"));
        AtomicFiles.write(t.resolve(CONFIG), transformer.config().toJson().getBytes(StandardCharsets.UTF_8));
        Path v = Files.createDirectories(dir.resolve("vae"));
        Safetensors.write(v.resolve(DIFFUSERS_WEIGHTS), vae.stateDict(), Map.of("format", "pt"));
        AtomicFiles.write(v.resolve(CONFIG), vae.config().toJson().getBytes(StandardCharsets.UTF_8));
        writeJson(dir.resolve(MODEL_INDEX), modelIndex());
    }

    private Map<String, Object> schedulerConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "FlowMatchEulerDiscreteScheduler");
        m.put("num_train_timesteps", schedule.numTrainTimesteps());
        m.put("shift", schedule.shift());
        return m;
    }

    private Map<String, Object> modelIndex() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "StableDiffusion3Pipeline");
        m.put("scheduler", List.of("diffusers", "FlowMatchEulerDiscreteScheduler"));
        m.put("text_encoder", List.of("transformers", "CLIPTextModelWithProjection"));
        m.put("text_encoder_2", Arrays.asList(null, null));
        m.put("text_encoder_3", List.of("transformers", "T5EncoderModel"));
        m.put("tokenizer", List.of("transformers", "CLIPTokenizer"));
        m.put("tokenizer_2", Arrays.asList(null, null));
        m.put("tokenizer_3", List.of("minidiffusion", "Unigram"));
        m.put("transformer", List.of("diffusers", "SD3Transformer2DModel"));
        m.put("vae", List.of("diffusers", "AutoencoderKL"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("clip_length", encoder.clipLength());
        settings.put("t5_length", encoder.t5Length());
        settings.put("image_size", imageSize);
        m.put(SETTINGS_KEY, settings);
        return m;
    }

    private static void writeJson(Path file, Map<String, Object> json) throws IOException {
        Files.createDirectories(file.getParent());
        Json.writeFile(file, json);
    }

    /**
     * Reads a pipeline that {@link #save} wrote.
     *
     * @param dir the directory
     * @return the pipeline
     * @throws NoSuchFileException naming the directory or the missing file
     * @throws IOException         naming the file (and key) that cannot be read or does not fit
     */
    public static TextToImagePipeline load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such text-to-image model directory");
        }
        Path index = required(dir, MODEL_INDEX);
        ConfigJson indexJson = ConfigJson.read(index);
        ConfigJson settings = indexJson.object(SETTINGS_KEY);
        if (settings == null) {
            throw indexJson.error(SETTINGS_KEY, "is missing: it holds clip_length, t5_length and image_size");
        }
        int clipLength = requiredInt(settings, "clip_length");
        int t5Length = requiredInt(settings, "t5_length");
        int imageSize = requiredInt(settings, "image_size");

        Path schedulerFile = required(dir, "scheduler/scheduler_config.json");
        ConfigJson s = ConfigJson.read(schedulerFile);
        s.requireClassName("FlowMatchEulerDiscreteScheduler");
        FlowSchedule schedule;
        try {
            schedule = new FlowSchedule(s.integer("num_train_timesteps", 1000), s.number("shift", 1f));
        } catch (IllegalArgumentException e) {
            throw s.error(null, e.getMessage());
        }

        ClipTokenizer clipTokenizer = ClipTokenizer.load(required(dir, "tokenizer/vocab.json"),
                required(dir, "tokenizer/merges.txt"));
        ClipTextModel clip = ClipTextModel.load(required(dir, "text_encoder/" + CONFIG),
                required(dir, "text_encoder/" + TRANSFORMERS_WEIGHTS));
        Unigram t5Tokenizer = Unigram.loadTsv(required(dir, "tokenizer_3/unigram.tsv"));
        T5EncoderModel t5 = T5EncoderModel.load(required(dir, "text_encoder_3/" + CONFIG),
                required(dir, "text_encoder_3/" + TRANSFORMERS_WEIGHTS));

        SD3Transformer2DModel transformer = new SD3Transformer2DModel(
                SD3Transformer2DModelConfig.fromJson(required(dir, "transformer/" + CONFIG)), new Rng(0));
        loadWeights(transformer, required(dir, "transformer/" + DIFFUSERS_WEIGHTS));
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.fromJson(required(dir, "vae/" + CONFIG)), new Rng(0));
        loadWeights(vae, required(dir, "vae/" + DIFFUSERS_WEIGHTS));

        try {
            PromptEncoder encoder = new PromptEncoder(clipTokenizer, clip, clipLength, t5Tokenizer, t5, t5Length);
            return new TextToImagePipeline(encoder, transformer, vae, schedule, imageSize);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": the parts do not fit together: " + e.getMessage(), e);
        }
    }

    private static Path required(Path dir, String name) throws NoSuchFileException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing from the text-to-image model directory");
        }
        return file;
    }

    private static int requiredInt(ConfigJson settings, String key) throws IOException {
        int value = settings.integer(key, Integer.MIN_VALUE);
        if (value == Integer.MIN_VALUE) {
            throw settings.error(key, "is missing");
        }
        return value;
    }

    private static void loadWeights(Layer model, Path file) throws IOException {
        Map<String, Tensor> tensors = Safetensors.read(file).tensors();
        try {
            model.loadStateDict(tensors);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the prompt encoder.
     *
     * @return the encoder
     */
    public PromptEncoder encoder() {
        return encoder;
    }

    /**
     * Returns the MMDiT.
     *
     * @return the transformer
     */
    public SD3Transformer2DModel transformer() {
        return transformer;
    }

    /**
     * Returns the autoencoder.
     *
     * @return the VAE
     */
    public AutoencoderKL vae() {
        return vae;
    }

    /**
     * Returns the sigma schedule.
     *
     * @return the schedule, with the default shift
     */
    public FlowSchedule schedule() {
        return schedule;
    }

    /**
     * Returns the side of the generated images.
     *
     * @return the crop of the decoded side
     */
    public int imageSize() {
        return imageSize;
    }

    /**
     * Returns the side of the latents the transformer works on, its {@code sample_size}.
     *
     * @return the latent side
     */
    public int latentSize() {
        return latentSize;
    }
}
