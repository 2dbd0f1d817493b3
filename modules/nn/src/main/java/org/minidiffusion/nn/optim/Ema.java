package org.minidiffusion.nn.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.StateBuffer;
import org.minidiffusion.core.api.Tensor;

/**
 * An exponential moving average of a layer's weights, {@code ema = d ema + (1 - d) w}, which DDPM
 * samples from (Ho et al. 2020, appendix B).
 *
 * <p>The decay warms up as in diffusers' {@code EMAModel}: at update {@code t} it is
 * {@code d = min(decay, (1 + t) / (10 + t))}, so a short run is not dominated by the initial weights.
 * The averages live in {@link StateBuffer}s that each update overwrites in place, so an update
 * allocates nothing; {@link #weights()} returns copies.
 */
public final class Ema {
    private final float decay;
    /** The layer's parameters and their averages, in the layer's order. */
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, StateBuffer> shadow = new LinkedHashMap<>();

    /**
     * Starts the average at the layer's current weights.
     *
     * @param layer the layer being trained; its parameters are taken now
     * @param decay the decay, such as 0.999
     */
    public Ema(Parameterized layer, float decay) {
        if (!(decay >= 0f && decay < 1f)) {
            throw new IllegalArgumentException("Ema: decay must be in [0, 1), got " + decay);
        }
        this.decay = decay;
        layer.parameters().forEach((name, p) -> {
            params.add(p);
            shadow.put(name, StateBuffer.copyOf(p.value()));
        });
    }

    /**
     * Moves the average towards the layer's current weights.
     *
     * @param step the 1-based number of this update, which sets the warm-up decay
     */
    public void update(long step) {
        float d = decayAt(step);
        int i = 0;
        for (StateBuffer average : shadow.values()) {
            average.moveTowards(params.get(i++).value(), d);       // ema = d ema + (1 - d) w
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
     * Returns copies of the averaged weights by name, a state dict for {@code Parameterized.loadStateDict}.
     *
     * @return a new map of new tensors, which later updates leave alone
     */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        shadow.forEach((name, average) -> out.put(name, average.snapshot()));
        return out;
    }

    /**
     * Replaces the averaged weights with copies of {@code weights}, when resuming from a checkpoint.
     *
     * @param weights averaged weights by name; the keys must be the layer's parameter names and the
     *                shapes their shapes
     */
    public void load(Map<String, Tensor> weights) {
        if (!weights.keySet().equals(shadow.keySet())) {
            throw new IllegalArgumentException("Ema.load: keys differ from the layer's parameters");
        }
        shadow.forEach((name, average) -> average.load(weights.get(name)));
    }
}
