package org.minidiffusion.nn;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** Weight initialisations, drawn from an explicit seeded generator on the current backend. */
public final class Init {
    private Init() {
    }

    /**
     * Returns samples from {@code U(-bound, bound)}.
     *
     * @param rng   the generator
     * @param bound the half-width
     * @param shape the dims
     * @return the tensor
     */
    public static Tensor uniform(Rng rng, float bound, int... shape) {
        return Tensor.rand(rng, shape).mul(2f * bound).sub(bound);
    }

    /**
     * Returns samples from {@code N(0, std^2)}.
     *
     * @param rng   the generator
     * @param std   the standard deviation
     * @param shape the dims
     * @return the tensor
     */
    public static Tensor normal(Rng rng, float std, int... shape) {
        return Tensor.randn(rng, shape).mul(std);
    }

    /**
     * Returns PyTorch's default weight init for {@code Linear} and {@code Conv2d}:
     * {@code kaiming_uniform_(a = sqrt(5))}, which is {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}
     * (He et al. 2015, with the gain {@code sqrt(2 / (1 + a^2))}).
     *
     * @param rng   the generator
     * @param fanIn inputs per output unit
     * @param shape the dims
     * @return the tensor
     */
    public static Tensor kaimingUniform(Rng rng, int fanIn, int... shape) {
        return uniform(rng, (float) (1.0 / Math.sqrt(fanIn)), shape);
    }

    /**
     * Returns Xavier/Glorot uniform samples, {@code U(-a, a)} with {@code a = gain sqrt(6 / (fanIn + fanOut))}
     * (Glorot and Bengio 2010, eq. 16).
     *
     * @param rng    the generator
     * @param fanIn  inputs per unit
     * @param fanOut outputs per unit
     * @param gain   the scale
     * @param shape  the dims
     * @return the tensor
     */
    public static Tensor xavierUniform(Rng rng, int fanIn, int fanOut, float gain, int... shape) {
        return uniform(rng, (float) (gain * Math.sqrt(6.0 / (fanIn + fanOut))), shape);
    }
}
