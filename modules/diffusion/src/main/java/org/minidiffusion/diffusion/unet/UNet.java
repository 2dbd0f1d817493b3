package org.minidiffusion.diffusion.unet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.minidiffusion.core.api.AbstractParameterized;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.Denoiser;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.TensorChecks;
import org.minidiffusion.diffusion.TimestepEmbedding;
import org.minidiffusion.nn.Block;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.Embedding;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * The DDPM U-Net (Ho et al. 2020, appendix B): a down path of residual blocks that halves the
 * resolution at each level, a middle block with attention, and an up path that concatenates the
 * matching down-path activations (the skip connections) before each block.
 *
 * <p>It predicts from {@code (x_t, t, class)}; the meaning of the output (noise, velocity or the
 * clean image) is set by how it is trained.
 */
public final class UNet extends AbstractParameterized implements Denoiser {
    private final UNetConfig config;
    private final Linear timeLinear1;
    private final Linear timeLinear2;
    private final Embedding classEmbed; // (numClasses + 1, T), the last row is the null class; or null
    private final Conv2d convIn;
    private final DownPath down = child("down", new DownPath());
    private final ResBlock midRes1;
    private final AttentionBlock midAttn;
    private final ResBlock midRes2;
    private final LayerList<UpLevel> up = child("up", new LayerList<>());
    private final GroupNorm normOut;
    private final Conv2d convOut;

    /** One resolution level on the way down: residual blocks, each optionally followed by attention, then a resampler. */
    static final class DownLevel extends AbstractParameterized {
        final LayerList<ResBlock> res = child("res", new LayerList<>());
        final LayerList<AttentionBlock> attn = child("attn", new LayerList<>());
        Conv2d resample; // stride-2 conv, or null at the lowest resolution

        void setResample(Conv2d conv) {
            resample = child("resample", conv);
        }
    }

    /**
     * The levels of the down path, named {@code 0, 1, ...} like a {@link LayerList}; a level has no
     * one-tensor forward (it also hands out its skip connections), so it cannot be in one.
     */
    static final class DownPath extends AbstractParameterized implements Iterable<DownLevel> {
        private final List<DownLevel> levels = new ArrayList<>();

        void add(DownLevel level) {
            levels.add(child(Integer.toString(levels.size()), level));
        }

        @Override
        public Iterator<DownLevel> iterator() {
            return levels.iterator();
        }
    }

    /**
     * One resolution level on the way up: residual blocks, each taking the next skip connection and
     * optionally followed by attention, then 2x nearest upsampling and a conv.
     */
    static final class UpLevel extends Block {
        final LayerList<ResBlock> res = child("res", new LayerList<>());
        final LayerList<AttentionBlock> attn = child("attn", new LayerList<>());
        Conv2d resample; // the conv after upsampling, or null at the highest resolution

        void setResample(Conv2d conv) {
            resample = child("resample", conv);
        }

        @Override
        protected Tensor compute(Tensor h, Tensor temb, Tensor... skips) { // skips: one per residual block
            if (skips.length != res.size()) {
                throw new IllegalArgumentException("a U-Net level on the way up takes " + res.size()
                        + " skip connections, got " + skips.length);
            }
            for (int j = 0; j < res.size(); j++) {
                h = res.get(j).forward(h, temb, skips[j]);
                if (attn.size() > 0) {
                    h = attn.get(j).forward(h);
                }
            }
            return resample == null ? h : resample.forward(h.upsampleNearest(2)); // double H and W
        }
    }

    /**
     * Creates a U-Net with freshly initialised weights.
     *
     * @param config the architecture
     * @param rng    the generator for the initial weights
     */
    public UNet(UNetConfig config, Rng rng) {
        this.config = config;
        int base = config.baseChannels();
        int timeDim = config.timeEmbedDim();
        int[] mults = config.channelMults();
        int groups = config.groups();
        timeLinear1 = child("time_linear1", new Linear(base, timeDim, rng));
        timeLinear2 = child("time_linear2", new Linear(timeDim, timeDim, rng));
        classEmbed = config.numClasses() > 0
                ? child("class_embed", new Embedding(config.numClasses() + 1, timeDim, rng)) : null;
        convIn = child("conv_in", new Conv2d(config.inChannels(), base, 3, 1, 1, rng));

        Deque<Integer> skipChannels = new ArrayDeque<>();
        skipChannels.push(base);
        int ch = base;
        int res = config.imageSize();
        for (int i = 0; i < mults.length; i++) {
            DownLevel level = new DownLevel();
            int out = base * mults[i];
            for (int j = 0; j < config.blocksPerLevel(); j++) {
                level.res.add(new ResBlock(ch, out, timeDim, groups, config.dropout(), rng));
                ch = out;
                if (config.attentionRes().contains(res)) {
                    level.attn.add(new AttentionBlock(ch, config.heads(), groups, rng));
                }
                skipChannels.push(ch);
            }
            if (i < mults.length - 1) {
                level.setResample(new Conv2d(ch, ch, 3, 2, 1, rng));
                skipChannels.push(ch);
                res /= 2;
            }
            down.add(level);
        }
        midRes1 = child("mid_res1", new ResBlock(ch, ch, timeDim, groups, config.dropout(), rng));
        midAttn = child("mid_attn", new AttentionBlock(ch, config.heads(), groups, rng));
        midRes2 = child("mid_res2", new ResBlock(ch, ch, timeDim, groups, config.dropout(), rng));
        for (int i = mults.length - 1; i >= 0; i--) {
            UpLevel level = new UpLevel();
            int out = base * mults[i];
            for (int j = 0; j <= config.blocksPerLevel(); j++) {
                level.res.add(new ResBlock(ch + skipChannels.pop(), out, timeDim, groups, config.dropout(), rng));
                ch = out;
                if (config.attentionRes().contains(res)) {
                    level.attn.add(new AttentionBlock(ch, config.heads(), groups, rng));
                }
            }
            if (i > 0) {
                level.setResample(new Conv2d(ch, ch, 3, 1, 1, rng));
                res *= 2;
            }
            up.add(level);
        }
        normOut = child("norm_out", new GroupNorm(groups, ch, 1e-5f));
        convOut = child("conv_out", new Conv2d(ch, config.outChannels(), 3, 1, 1, rng).zeroInit());
    }

    /**
     * Builds a U-Net holding stored weights, such as those of a model file, after checking them:
     * their count against the architecture before anything is allocated, then every name, shape
     * and value.
     *
     * @param config  the architecture, usually read with {@link UNetConfig#fromMetadata(Map, String)}
     * @param weights the weights by state-dict name
     * @param source  where they were read, for messages (usually the file)
     * @return the network, in evaluation mode
     * @throws InvalidFieldException if the weights do not fit the architecture or a value is NaN
     *                               or infinite
     */
    public static UNet fromWeights(UNetConfig config, Map<String, Tensor> weights, String source) {
        config.checkStoredWeights(TensorChecks.numel(weights), source, "weights");
        UNet unet = new UNet(config, new Rng(0));
        TensorChecks.requireShapes(weights, TensorChecks.shapes(unet), source, "");
        TensorChecks.requireFinite(weights, source, "");
        unet.loadStateDict(weights);
        unet.train(false);
        return unet;
    }

    /**
     * Returns the architecture.
     *
     * @return the config
     */
    public UNetConfig config() {
        return config;
    }

    @Override
    public Tensor predict(Tensor xt, int[] t, int[] classLabels) {
        return forward(xt, t, classLabels);
    }

    /**
     * Runs the network.
     *
     * @param x      noisy images {@code (B, C, H, W)}
     * @param t      one timestep per image
     * @param labels one class per image, {@code numClasses} for "no class"; or null for all-null
     *               (ignored by an unconditional model)
     * @return the prediction {@code (B, outChannels, H, W)}
     */
    public Tensor forward(Tensor x, int[] t, int[] labels) {
        checkInputs(x, t, labels);
        Tensor temb = timeEmbedding(t, labels);                        // (B, 4 base)
        Deque<Tensor> skips = new ArrayDeque<>();
        Tensor h = convIn.forward(x);                                  // (B, base, H, W)
        skips.push(h);
        for (DownLevel level : down) {
            for (int j = 0; j < level.res.size(); j++) {
                h = level.res.get(j).forward(h, temb);
                if (level.attn.size() > 0) {
                    h = level.attn.get(j).forward(h);
                }
                skips.push(h);
            }
            if (level.resample != null) {
                h = level.resample.forward(h);                         // halve H and W
                skips.push(h);
            }
        }
        h = midRes1.forward(h, temb);
        h = midAttn.forward(h);
        h = midRes2.forward(h, temb);
        for (UpLevel level : up) {
            Tensor[] levelSkips = new Tensor[level.res.size()];
            for (int j = 0; j < levelSkips.length; j++) {
                levelSkips[j] = skips.pop();
            }
            h = level.forward(h, temb, levelSkips);
        }
        return convOut.forward(normOut.forward(h).silu());
    }

    private Tensor timeEmbedding(int[] t, int[] labels) {
        Tensor temb = TimestepEmbedding.sinusoidal(t, config.baseChannels());
        temb = timeLinear2.forward(timeLinear1.forward(temb).silu());
        if (classEmbed == null) {
            return temb;
        }
        int[] classes = labels;
        if (classes == null) {
            classes = new int[t.length];
            java.util.Arrays.fill(classes, config.nullClass());
        }
        return temb.add(classEmbed.lookup(classes));
    }

    private void checkInputs(Tensor x, int[] t, int[] labels) {
        if (x.rank() != 4 || x.size(1) != config.inChannels()
                || x.size(2) != config.imageSize() || x.size(3) != config.imageSize()) {
            throw new ShapeException("UNet", "expects (B, " + config.inChannels() + ", " + config.imageSize()
                    + ", " + config.imageSize() + ")", x.shape());
        }
        if (t == null || t.length != x.size(0)) {
            throw new IllegalArgumentException("UNet: expects one timestep per image (" + x.size(0) + "), got "
                    + (t == null ? "null" : t.length));
        }
        if (labels != null) {
            if (labels.length != x.size(0)) {
                throw new IllegalArgumentException("UNet: expects one class label per image (" + x.size(0)
                        + "), got " + labels.length);
            }
            for (int label : labels) {
                if (label < 0 || label > config.numClasses()) {
                    throw new IllegalArgumentException("UNet: class label " + label + " is outside [0, "
                            + config.numClasses() + "] (" + config.numClasses() + " is the null class)");
                }
            }
        }
    }
}
