package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.AbstractParameterized;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode each element is zeroed with
 * probability {@code p} and the rest scaled by {@code 1 / (1 - p)}; in evaluation mode it is the identity.
 */
public final class Dropout extends AbstractLayer {
    private final float p;
    private Rng rng;

    /**
     * Creates the layer.
     *
     * @param p   the drop probability, in {@code [0, 1)}
     * @param rng the generator for the masks, so runs are reproducible; see {@link #drawMasksFrom}
     */
    public Dropout(float p, Rng rng) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    /**
     * Makes every dropout layer in a model draw its masks from one generator from now on.
     *
     * <p>A trainer calls this before each step with a generator seeded from the run's seed and the
     * step number. The layers then draw in the fixed order of the forward pass, so the masks of a
     * step depend on nothing else, and a run resumed from a checkpoint draws the same masks as one
     * that never stopped.
     *
     * @param model the model, searched through its {@link AbstractParameterized#children() children} at every depth
     * @param rng   the generator the layers share
     * @return how many dropout layers were found
     */
    public static int drawMasksFrom(Parameterized model, Rng rng) {
        if (rng == null) {
            throw new IllegalArgumentException("Dropout.drawMasksFrom: the generator is null");
        }
        int found = 0;
        if (model instanceof Dropout) {
            ((Dropout) model).rng = rng;
            found++;
        }
        if (model instanceof AbstractParameterized) {
            for (Parameterized child : ((AbstractParameterized) model).children().values()) {
                found += drawMasksFrom(child, rng);
            }
        }
        return found;
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
