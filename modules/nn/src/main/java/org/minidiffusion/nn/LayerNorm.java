package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/** Layer normalisation over the last dim (Ba, Kiros and Hinton 2016, eq. 4), with a learned affine map. */
public final class LayerNorm extends AbstractLayer {
    private final int features;
    private final float eps;
    private final Parameter weight; // (D)
    private final Parameter bias;   // (D)

    /**
     * Creates the layer with weight 1 and bias 0.
     *
     * @param features D, the size of the last dim
     * @param eps      added to the variance, 1e-5 in PyTorch
     */
    public LayerNorm(int features, float eps) {
        this.features = features;
        this.eps = eps;
        this.weight = parameter("weight", Tensor.ones(features));
        this.bias = parameter("bias", Tensor.zeros(features));
    }

    @Override
    public Tensor forward(Tensor x) { // (..., D) -> same
        if (x.rank() == 0 || x.size(-1) != features) {
            throw new ShapeException("LayerNorm", "expects a last dim of " + features, x.shape());
        }
        return x.layerNorm(weight.value(), bias.value(), eps); // (x − μ) / sqrt(σ² + eps) · weight + bias
    }
}
