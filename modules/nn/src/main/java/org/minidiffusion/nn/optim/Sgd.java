package org.minidiffusion.nn.optim;

import java.util.HashMap;
import java.util.Map;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Tensor;

/** Stochastic gradient descent with optional momentum, as {@code torch.optim.SGD}: {@code b = mu b + g; p -= lr b}. */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final Map<String, Tensor> velocity = new HashMap<>();

    /**
     * Creates the optimiser.
     *
     * @param params       the parameters
     * @param learningRate the step size
     * @param momentum     mu, 0 for plain SGD
     */
    public Sgd(Map<String, Parameter> params, float learningRate, float momentum) {
        super(params, learningRate);
        this.momentum = momentum;
    }

    @Override
    protected void update(String name, Parameter param, float gradScale) {
        Tensor grad = gradScale == 1f ? param.grad() : param.grad().mul(gradScale);
        Tensor step = grad;
        if (momentum != 0f) {
            Tensor b = velocity.get(name);
            step = b == null ? grad : b.mul(momentum).add(grad);
            velocity.put(name, step);
        }
        param.set(param.value().sub(step.mul(learningRate()))); // a new leaf, without a gradient
    }
}
