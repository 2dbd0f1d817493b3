package org.minidiffusion.nn.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.Tensor;

/**
 * An exponential moving average of a layer's weights, {@code ema = d ema + (1 - d) w}, which DDPM
 * samples from (Ho et al. 2020, appendix B).
 *
 * <p>The decay warms up as in diffusers' {@code EMAModel}: at update {@code t} it is
 * {@code d = min(decay, (1 + t) / (10 + t))}, so a short run is not dominated by the initial weights.
 */
public final class Ema {
    private final Parameterized layer;
    private final float decay;
    private final Map<String, Tensor> shadow = new LinkedHashMap<>();

    /**
     * Starts the average at the layer's current weights.
     *
     * @param layer the layer being trained
     * @param decay the decay, such as 0.999
     */
    public Ema(Parameterized layer, float decay) {
        if (!(decay >= 0f && decay < 1f)) {
            throw new IllegalArgumentException("Ema: decay must be in [0, 1), got " + decay);
        }
        this.layer = layer;
        this.decay = decay;
        shadow.putAll(layer.stateDict());
    }

    /**
     * Moves the average towards the layer's current weights.
     *
     * @param step the 1-based number of this update, which sets the warm-up decay
     */
    public void update(long step) {
        float d = decayAt(step);
        try (Autograd.Scope scope = Autograd.noGrad()) {
            layer.parameters().forEach((name, p) ->
                    shadow.put(name, shadow.get(name).mul(d).add(p.value().detach().mul(1f - d))));
        }
    }

    /**
     * Returns the decay used at an update: {@code min(decay, (1 + step) / (10 + step))}.
     *
     * @param step the 1-based update number
     * @return the decay
     */
    public float decayAt(long step) {
        return (float) Math.min(decay, (1.0 + step) / (10.0 + step));
    }

    /**
     * Returns the averaged weights by name, a state dict for {@link Layer#loadStateDict}.
     *
     * @return a copy of the map
     */
    public Map<String, Tensor> weights() {
        return new LinkedHashMap<>(shadow);
    }

    /**
     * Replaces the averaged weights, when resuming from a checkpoint.
     *
     * @param weights averaged weights by name; the keys must be the layer's parameter names
     */
    public void load(Map<String, Tensor> weights) {
        if (!weights.keySet().equals(shadow.keySet())) {
            throw new IllegalArgumentException("Ema.load: keys differ from the layer's parameters");
        }
        shadow.putAll(weights);
    }
}
