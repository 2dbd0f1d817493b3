package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/** Root-mean-square normalisation over the last dim (Zhang and Sennrich 2019, eq. 4). */
public final class RMSNorm extends AbstractLayer {
    private final int features;
    private final float eps;
    private final Parameter weight; // (D)

    /**
     * Creates the layer with weight 1.
     *
     * @param features D
     * @param eps      added to the mean square, such as 1e-6
     */
    public RMSNorm(int features, float eps) {
        this.features = features;
        this.eps = eps;
        this.weight = parameter("weight", Tensor.ones(features));
    }

    @Override
    public Tensor forward(Tensor x) { // (..., D) -> same
        if (x.rank() == 0 || x.size(-1) != features) {
            throw new ShapeException("RMSNorm", "expects a last dim of " + features, x.shape());
        }
        return x.rmsNorm(weight.value(), eps); // x / sqrt(mean(x²) + eps) · weight
    }
}
