package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Group normalisation (Wu and He 2018, eq. 1 and 3): each group of channels of each sample is
 * normalised to zero mean and unit variance, then scaled and shifted per channel.
 */
public final class GroupNorm extends AbstractLayer {
    private final int groups;
    private final int channels;
    private final float eps;
    private final Parameter weight; // (C), gamma
    private final Parameter bias;   // (C), beta

    /**
     * Creates the layer with {@code gamma = 1} and {@code beta = 0}.
     *
     * @param groups   G, dividing C
     * @param channels C
     * @param eps      added to the variance, 1e-5 in PyTorch
     */
    public GroupNorm(int groups, int channels, float eps) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels cannot form " + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        this.weight = parameter("weight", Tensor.ones(channels));
        this.bias = parameter("bias", Tensor.zeros(channels));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, ...) -> same
        if (x.rank() < 2 || x.size(1) != channels) {
            throw new ShapeException("GroupNorm", "expects (N, " + channels + ", ...)", x.shape());
        }
        return x.groupNorm(groups, weight.value(), bias.value(), eps);
    }
}
