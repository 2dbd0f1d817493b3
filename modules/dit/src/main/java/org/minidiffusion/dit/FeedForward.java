package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Dropout;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * diffusers' {@code FeedForward(activation_fn="gelu-approximate")}: {@code net.0.proj} (Linear
 * {@code D → 4D}, then GELU with the tanh approximation), {@code net.1} (dropout, 0 in SD3, no
 * parameters), {@code net.2} (Linear {@code 4D → D}).
 */
public final class FeedForward extends AbstractLayer {
    private final LayerList<Layer> net;

    /**
     * Creates the feed-forward layer.
     *
     * @param dim D
     * @param rng the generator for the initial weights
     */
    public FeedForward(int dim, Rng rng) {
        this.net = child("net", new LayerList<>());
        net.add(new GeluProjection(dim, 4 * dim, rng)).add(new Dropout(0f, rng)).add(new Linear(4 * dim, dim, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (..., D) -> same
        return net.forward(x);
    }

    /** diffusers' {@code GELU(approximate="tanh")}: {@code gelu_tanh(proj(x))}. */
    private static final class GeluProjection extends AbstractLayer {
        private final Linear proj;

        GeluProjection(int in, int out, Rng rng) {
            this.proj = child("proj", new Linear(in, out, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return proj.forward(x).geluTanh();
        }
    }
}
