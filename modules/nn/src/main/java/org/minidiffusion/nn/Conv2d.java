package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** A 2-D convolution over {@code (N, C, H, W)} inputs, as PyTorch's {@code nn.Conv2d}. */
public final class Conv2d extends AbstractLayer {
    private final int stride;
    private final int padding;
    private final int groups;
    private final int outChannels;
    private final Parameter weight; // (O, C / groups, K, K)
    private final Parameter bias;   // (O)

    /**
     * Creates a convolution with PyTorch's default initialisation.
     *
     * @param inChannels  C
     * @param outChannels O
     * @param kernel      the square kernel size
     * @param stride      the step
     * @param padding     zero padding on every side
     * @param groups      channel groups
     * @param rng         the generator for the initial weights
     */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int groups, Rng rng) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || groups <= 0
                || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: invalid sizes in=" + inChannels + ", out=" + outChannels
                    + ", kernel=" + kernel + ", groups=" + groups);
        }
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        this.outChannels = outChannels;
        int fanIn = inChannels / groups * kernel * kernel;
        this.weight = parameter("weight", Init.kaimingUniform(rng, fanIn, outChannels, inChannels / groups, kernel, kernel));
        this.bias = parameter("bias", Init.kaimingUniform(rng, fanIn, outChannels));
    }

    /**
     * Creates an ungrouped convolution.
     *
     * @param inChannels  C
     * @param outChannels O
     * @param kernel      the square kernel size
     * @param stride      the step
     * @param padding     zero padding on every side
     * @param rng         the generator for the initial weights
     */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, Rng rng) {
        this(inChannels, outChannels, kernel, stride, padding, 1, rng);
    }

    /**
     * Sets the weight and bias to zero, as DDPM U-Nets do for the last conv of a residual branch.
     *
     * @return this layer
     */
    public Conv2d zeroInit() {
        weight.set(weight.value().mul(0f));
        bias.set(bias.value().mul(0f));
        return this;
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, H, W) -> (N, O, H', W')
        return x.conv2d(weight.value(), stride, padding, groups)
                .add(bias.value().reshape(1, outChannels, 1, 1));
    }
}
