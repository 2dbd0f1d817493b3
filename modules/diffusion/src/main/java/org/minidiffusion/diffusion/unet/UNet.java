package org.minidiffusion.diffusion.unet;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.diffusion.Denoiser;
import org.minidiffusion.diffusion.TimestepEmbedding;
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
public final class UNet extends AbstractLayer implements Denoiser {
    private final UNetConfig config;
    private final Linear timeLinear1;
    private final Linear timeLinear2;
    private final Embedding classEmbed; // (numClasses + 1, T), the last row is the null class; or null
    private final Conv2d convIn;
    private final LayerList<Level> down = child("down", new LayerList<>());
    private final ResBlock midRes1;
    private final AttentionBlock midAttn;
    private final ResBlock midRes2;
    private final LayerList<Level> up = child("up", new LayerList<>());
    private final GroupNorm normOut;
    private final Conv2d convOut;

    /** One resolution level: residual blocks, each optionally followed by attention, then a resampler. */
    static final class Level extends AbstractLayer {
        final LayerList<ResBlock> res = child("res", new LayerList<>());
        final LayerList<AttentionBlock> attn = child("attn", new LayerList<>());
        Conv2d resample; // stride-2 conv going down, conv after 2x nearest upsampling going up; or null

        void setResample(Conv2d conv) {
            resample = child("resample", conv);
        }

        @Override
        public Tensor forward(Tensor input) {
            throw new UnsupportedOperationException("a U-Net level is driven by UNet.forward");
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
            Level level = new Level();
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
            Level level = new Level();
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
        if (!Workspace.isPooling()) {
            return forward(x, t, labels, keep -> { });
        }
        // in a sampling loop: after each block, only what later blocks read keeps its buffer
        try (Workspace blocks = Workspace.open()) {
            Tensor out = forward(x, t, labels, blocks::recycle);
            blocks.recycle(out);
            return out; // closing hands it to the enclosing workspace
        }
    }

    private Tensor forward(Tensor x, int[] t, int[] labels, Consumer<Tensor[]> release) {
        Tensor temb = timeEmbedding(t, labels);                       // (B, 4 base)
        Deque<Tensor> skips = new ArrayDeque<>();
        Tensor h = convIn.forward(x);                                  // (B, base, H, W)
        skips.push(h);
        for (Level level : down) {
            h = runBlocks(level, h, temb, skips, true, release);
            if (level.resample != null) {
                h = level.resample.forward(h);                         // halve H and W
                skips.push(h);
            }
        }
        h = keep(midRes1.forward(h, temb), temb, skips, release);
        h = keep(midAttn.forward(h), temb, skips, release);
        h = keep(midRes2.forward(h, temb), temb, skips, release);
        for (Level level : up) {
            h = runBlocks(level, h, temb, skips, false, release);
            if (level.resample != null) {
                h = keep(level.resample.forward(h.upsampleNearest(2)), temb, skips, release); // double H and W
            }
        }
        return convOut.forward(normOut.forward(h).silu());
    }

    private Tensor runBlocks(Level level, Tensor h, Tensor temb, Deque<Tensor> skips, boolean goingDown,
                             Consumer<Tensor[]> release) {
        for (int j = 0; j < level.res.size(); j++) {
            if (!goingDown) {
                h = Tensor.concat(1, h, skips.pop());                  // skip connection along channels
            }
            h = keep(level.res.get(j).forward(h, temb), temb, skips, release);
            if (level.attn.size() > 0) {
                h = keep(level.attn.get(j).forward(h), temb, skips, release);
            }
            if (goingDown) {
                skips.push(h);
            }
        }
        return h;
    }

    /** Releases every buffer of the forward pass except those of {@code h}, {@code temb} and the skips. */
    private static Tensor keep(Tensor h, Tensor temb, Deque<Tensor> skips, Consumer<Tensor[]> release) {
        Tensor[] live = new Tensor[skips.size() + 2];
        live[0] = h;
        live[1] = temb;
        int i = 2;
        for (Tensor s : skips) {
            live[i++] = s;
        }
        release.accept(live);
        return h;
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

    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("UNet needs timesteps: call forward(x, t, labels)");
    }
}
