package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode each element is zeroed with
 * probability {@code p} and the rest scaled by {@code 1 / (1 - p)}; in evaluation mode it is the identity.
 */
public final class Dropout extends AbstractLayer {
    private final float p;
    private final Rng rng;

    /**
     * Creates the layer.
     *
     * @param p   the drop probability, in {@code [0, 1)}
     * @param rng the generator for the masks, so runs are reproducible
     */
    public Dropout(float p, Rng rng) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        float[] mask = new float[x.numel()];
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rng.nextFloat() < p ? 0f : keep;
        }
        return x.mul(x.backend().of(mask, x.shape().toArray()));
    }
}
