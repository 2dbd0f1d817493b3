package org.minidiffusion.nn.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Tensor;

/** A rule that updates named parameters from their gradients. */
public abstract class Optimizer {
    /** The parameters by name, in a fixed order. */
    protected final Map<String, Parameter> params;
    private float learningRate;
    private long steps;
    private float gradScale = 1f;

    /**
     * Creates the optimiser.
     *
     * @param params       the parameters, such as {@code layer.parameters()}
     * @param learningRate the initial step size
     */
    protected Optimizer(Map<String, Parameter> params, float learningRate) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameters to optimise");
        }
        this.params = new LinkedHashMap<>(params);
        this.learningRate = learningRate;
    }

    /**
     * Returns the current step size.
     *
     * @return the learning rate
     */
    public float learningRate() {
        return learningRate;
    }

    /**
     * Sets the step size, for example from a schedule.
     *
     * @param lr the new learning rate
     */
    public void setLearningRate(float lr) {
        this.learningRate = lr;
    }

    /**
     * Returns how many steps have been taken.
     *
     * @return the step count
     */
    public long steps() {
        return steps;
    }

    /**
     * Returns the L2 norm of all gradients together; parameters without a gradient count as zero.
     *
     * @return the global gradient norm
     */
    public double gradNorm() {
        double sq = 0;
        for (Parameter p : params.values()) {
            if (p.value().hasGrad()) {
                sq += p.gradSquaredNorm();
            }
        }
        return Math.sqrt(sq);
    }

    /**
     * Clips by global norm, as {@code torch.nn.utils.clip_grad_norm_}: if the gradients' global
     * norm exceeds {@code maxNorm}, the next {@link #step()} scales them by {@code maxNorm / norm}.
     *
     * @param maxNorm the largest norm allowed
     * @return the norm before clipping
     */
    public double clipGradNorm(double maxNorm) {
        double norm = gradNorm();
        gradScale = norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
        return norm;
    }

    /**
     * Updates every parameter that has a gradient; afterwards no parameter has a gradient.
     */
    public void step() {
        steps++;
        float scale = gradScale;
        gradScale = 1f;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                Parameter p = e.getValue();
                if (p.value().hasGrad()) {
                    update(e.getKey(), p, scale);
                }
            }
        }
    }

    /** Clears every parameter's gradient without updating. */
    public void zeroGrad() {
        for (Parameter p : params.values()) {
            p.value().zeroGrad();
        }
    }

    /**
     * Updates one parameter from its gradient, in place or with {@link Parameter#set}, and leaves
     * it without a gradient. Runs with autograd off.
     *
     * @param name      the parameter's name, the key of its state
     * @param param     the parameter; it has a gradient
     * @param gradScale the factor {@link #clipGradNorm} chose for the gradients, 1 for none
     */
    protected abstract void update(String name, Parameter param, float gradScale);

    /**
     * Returns the optimiser's state (moments and step count) as named tensors, for checkpoints.
     *
     * @return a new map
     */
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        s.put("steps", Tensor.scalar(steps));
        return s;
    }

    /**
     * Restores state written by {@link #state()}.
     *
     * @param state the named tensors
     */
    public void loadState(Map<String, Tensor> state) {
        Tensor s = state.get("steps");
        if (s == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadState: missing key 'steps'");
        }
        steps = (long) s.item();
    }
}
