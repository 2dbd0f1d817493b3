package org.minidiffusion.nn.optim;

import java.util.HashMap;
import java.util.Map;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.StateBuffer;
import org.minidiffusion.core.api.Tensor;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1), with optional decoupled weight decay, which makes it
 * AdamW (Loshchilov and Hutter 2019, Algorithm 2).
 *
 * <p>At step {@code t}, for each parameter {@code p} with gradient {@code g}:
 * <pre>
 * m = beta1 m + (1 - beta1) g                 biased first moment
 * v = beta2 v + (1 - beta2) g^2               biased second raw moment
 * p = p (1 - lr lambda) - lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - beta1^t, c2 = 1 - beta2^t
 * </pre>
 * as {@code torch.optim.Adam} (lambda = 0) and {@code torch.optim.AdamW}. Each parameter is updated
 * in place by one fused kernel ({@link Parameter#adamStep}), and its two moments live in
 * {@link StateBuffer}s allocated at its first step, so a step allocates nothing after the first.
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, Moments> moments = new HashMap<>();

    /** The first and second moment estimates of one parameter. */
    private static final class Moments {
        final StateBuffer m;
        final StateBuffer v;

        Moments(StateBuffer m, StateBuffer v) {
            this.m = m;
            this.v = v;
        }
    }

    /**
     * Creates Adam, or AdamW when {@code weightDecay > 0}.
     *
     * @param params       the parameters
     * @param learningRate alpha
     * @param beta1        decay of the first moment, 0.9
     * @param beta2        decay of the second moment, 0.999
     * @param eps          added to the root of the second moment, 1e-8
     * @param weightDecay  decoupled weight decay lambda; 0 for plain Adam
     * @throws IllegalArgumentException if a beta is outside [0, 1), or eps or the weight decay is
     *                                  negative or not finite
     */
    public Adam(Map<String, Parameter> params, float learningRate, float beta1, float beta2, float eps, float weightDecay) {
        super(params, learningRate);
        for (float beta : new float[] {beta1, beta2}) {
            if (!(beta >= 0f && beta < 1f)) {
                throw new IllegalArgumentException("Adam: betas must be in [0, 1), got " + beta1 + " and " + beta2);
            }
        }
        if (!(eps >= 0f && eps <= Float.MAX_VALUE) || !(weightDecay >= 0f && weightDecay <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException("Adam: eps and the weight decay must be finite and at least 0, got "
                    + eps + " and " + weightDecay);
        }
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
    protected void update(String name, Parameter param, float gradScale) {
        long t = steps();
        float c1 = (float) (1.0 - Math.pow(beta1, t));         // bias corrections
        float c2 = (float) (1.0 - Math.pow(beta2, t));
        Moments s = moments.get(name);
        if (s == null) {                                        // m_0 = v_0 = 0
            s = new Moments(StateBuffer.zeros(param.value().backend(), param.shape()),
                    StateBuffer.zeros(param.value().backend(), param.shape()));
            moments.put(name, s);
        }
        param.adamStep(s.m, s.v, learningRate(), beta1, beta2, c1, c2, eps, weightDecay, gradScale);
    }

    /**
     * Returns the step count and, for each parameter stepped so far, its moments as {@code m.<name>}
     * and {@code v.<name>}: copies, which later steps leave alone.
     *
     * @return a new map
     */
    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = super.state();
        for (String name : params.keySet()) {
            Moments mv = moments.get(name);
            if (mv != null) {
                s.put("m." + name, mv.m.snapshot());
            }
        }
        for (String name : params.keySet()) {
            Moments mv = moments.get(name);
            if (mv != null) {
                s.put("v." + name, mv.v.snapshot());
            }
        }
        return s;
    }

    /**
     * Restores state written by {@link #state()}, copying the moments into buffers of their own.
     *
     * @param state the named tensors
     * @throws IllegalArgumentException if a parameter has one moment without the other
     * @throws ShapeException           if a moment's shape differs from its parameter's
     */
    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Moments> loaded = new HashMap<>();
        params.forEach((name, p) -> {
            Tensor mt = state.get("m." + name);
            Tensor vt = state.get("v." + name);
            if ((mt == null) != (vt == null)) {
                throw new IllegalArgumentException("Adam.loadState: key 'm." + name + "' and 'v." + name + "' must come together");
            }
            if (mt != null) {
                for (Tensor moment : new Tensor[] {mt, vt}) {
                    if (!moment.shape().equals(p.shape())) {
                        throw new ShapeException("Adam.loadState", "the moments of '" + name
                                + "' must have its shape (parameter, first moment, second moment)",
                                p.shape(), mt.shape(), vt.shape());
                    }
                }
                loaded.put(name, new Moments(StateBuffer.copyOf(mt.to(p.value().backend())),
                        StateBuffer.copyOf(vt.to(p.value().backend()))));
            }
        });
        super.loadState(state);
        moments.clear();
        moments.putAll(loaded);
    }
}
