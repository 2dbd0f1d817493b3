package org.minidiffusion.nn.optim;

import java.util.HashMap;
import java.util.Map;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Tensor;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1), with optional decoupled weight decay, which makes it
 * AdamW (Loshchilov and Hutter 2019, Algorithm 2).
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, Tensor> m = new HashMap<>(); // first moments
    private final Map<String, Tensor> v = new HashMap<>(); // second moments

    /**
     * Creates Adam, or AdamW when {@code weightDecay > 0}.
     *
     * @param params       the parameters
     * @param learningRate alpha
     * @param beta1        decay of the first moment, 0.9
     * @param beta2        decay of the second moment, 0.999
     * @param eps          added to the root of the second moment, 1e-8
     * @param weightDecay  decoupled weight decay lambda; 0 for plain Adam
     */
    public Adam(Map<String, Parameter> params, float learningRate, float beta1, float beta2, float eps, float weightDecay) {
        super(params, learningRate);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /**
     * Creates Adam with the usual defaults (0.9, 0.999, 1e-8) and no weight decay.
     *
     * @param params       the parameters
     * @param learningRate alpha
     * @return the optimiser
     */
    public static Adam adam(Map<String, Parameter> params, float learningRate) {
        return new Adam(params, learningRate, 0.9f, 0.999f, 1e-8f, 0f);
    }

    /**
     * Creates AdamW with the usual defaults (0.9, 0.999, 1e-8).
     *
     * @param params       the parameters
     * @param learningRate alpha
     * @param weightDecay  lambda, such as 0.01
     * @return the optimiser
     */
    public static Adam adamW(Map<String, Parameter> params, float learningRate, float weightDecay) {
        return new Adam(params, learningRate, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    @Override
    protected Tensor update(String name, Tensor value, Tensor grad) {
        long t = steps();
        Tensor mt = m.containsKey(name) ? m.get(name).mul(beta1).add(grad.mul(1f - beta1)) : grad.mul(1f - beta1);
        Tensor vt = v.containsKey(name) ? v.get(name).mul(beta2).add(grad.mul(grad).mul(1f - beta2))
                : grad.mul(grad).mul(1f - beta2);
        m.put(name, mt);
        v.put(name, vt);
        float c1 = (float) (1.0 - Math.pow(beta1, t));         // bias corrections
        float c2 = (float) (1.0 - Math.pow(beta2, t));
        Tensor mHat = mt.div(c1);
        Tensor vHat = vt.div(c2);
        Tensor decayed = weightDecay == 0f ? value : value.mul(1f - learningRate() * weightDecay);
        return decayed.sub(mHat.div(vHat.sqrt().add(eps)).mul(learningRate()));
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = super.state();
        m.forEach((k, t) -> s.put("m." + k, t));
        v.forEach((k, t) -> s.put("v." + k, t));
        return s;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        super.loadState(state);
        m.clear();
        v.clear();
        for (String name : params.keySet()) {
            Tensor mt = state.get("m." + name);
            Tensor vt = state.get("v." + name);
            if ((mt == null) != (vt == null)) {
                throw new IllegalArgumentException("Adam.loadState: key 'm." + name + "' and 'v." + name + "' must come together");
            }
            if (mt != null) {
                m.put(name, mt);
                v.put(name, vt);
            }
        }
    }
}
