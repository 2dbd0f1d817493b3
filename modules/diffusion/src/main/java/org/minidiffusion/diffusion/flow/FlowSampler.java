package org.minidiffusion.diffusion.flow;

import java.util.Arrays;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.diffusion.SampleRequest;

/**
 * Samples a flow-matching model: integrates {@code dx/dσ = v(x, σ)} from noise at {@code σ = 1}
 * to data at {@code σ = 0} over a {@link FlowSchedule}'s sigmas with a {@link FlowSolver}, with
 * optional classifier-free guidance, without autograd and in a {@link Workspace}.
 *
 * <p>The {@link SampleRequest} gives the shape, the number of steps, the class labels, the
 * guidance scale and the listener; its {@code spacing} is not used (the schedule places the
 * steps). The listener receives the timesteps {@code σ·T} rounded to integers, and −1 after the
 * last step.
 *
 * @param schedule the sigma schedule
 * @param solver   Euler or Heun
 */
public record FlowSampler(FlowSchedule schedule, FlowSolver solver) {

    /**
     * Checks the arguments.
     *
     * @param schedule the sigma schedule
     * @param solver   Euler or Heun
     */
    public FlowSampler {
        if (schedule == null || solver == null) {
            throw new IllegalArgumentException("FlowSampler: schedule and solver are required");
        }
    }

    /**
     * Generates samples from pure noise {@code x_1 ~ N(0, I)} drawn from {@code rng}.
     *
     * @param model   the velocity network
     * @param request the shape, steps and guidance
     * @param rng     the generator for {@code x_1}; the same seed gives the same samples on every backend
     * @return {@code x_0}, of the request's shape, on the current backend
     */
    public Tensor sample(VelocityModel model, SampleRequest request, Rng rng) {
        return sample(model, request, Tensor.randn(rng, request.shape()));
    }

    /**
     * Integrates from a given {@code x_1} down to {@code σ = 0}. The model must not keep a tensor
     * it computed in one call for the next: each step's buffers are reused by the next.
     *
     * @param model   the velocity network
     * @param request the steps and guidance; its shape must be that of {@code x1}
     * @param x1      the starting noise, at {@code σ = 1}
     * @return {@code x_0}
     */
    public Tensor sample(VelocityModel model, SampleRequest request, Tensor x1) {
        if (!x1.shape().equals(Shape.of(request.shape()))) {
            throw new IllegalArgumentException("FlowSampler: x_1 has shape " + x1.shape() + " but the request asks for "
                    + Shape.of(request.shape()));
        }
        double[] sigmas = schedule.sigmas(request.steps());   // σ_0 = 1 > ... > σ_n = 0
        int steps = request.steps();
        FlowSolver.Velocity v = (x, sigma) -> velocity(model, x, sigma, request);
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
            Tensor x = x1;
            for (int i = 0; i < steps; i++) {
                x = solver.step(v, sigmas[i], sigmas[i + 1], x);
                int tNext = i + 1 < steps ? timestep(sigmas[i + 1]) : -1;
                request.listener().onStep(i, steps, timestep(sigmas[i]), tNext, x);
                ws.recycle(x); // the model's activations and this step's temporaries are free for the next step
            }
            return x;
        }
    }

    /** The model's velocity at {@code (x, σ)}, guided if the request asks for it. */
    private Tensor velocity(VelocityModel model, Tensor x, double sigma, SampleRequest request) {
        int batch = x.size(0);
        float t = (float) (sigma * schedule.numTrainTimesteps()); // the timestep σ·T the model receives
        if (!request.guided()) {
            return checked(model.predict(x, filled(batch, t), request.classLabels()), x);
        }
        // Ho and Salimans 2022: one batched call on [x; x] with labels [null ...; labels ...]
        int[] labels = new int[2 * batch];
        Arrays.fill(labels, 0, batch, request.nullClass());
        System.arraycopy(request.classLabels(), 0, labels, batch, batch);
        Tensor doubled = Tensor.concat(0, x, x);
        Tensor both = checked(model.predict(doubled, filled(2 * batch, t), labels), doubled);
        Tensor uncond = both.narrow(0, 0, batch);
        Tensor cond = both.narrow(0, batch, batch);
        return uncond.add(cond.sub(uncond).mul(request.guidanceScale())); // v_u + g·(v_c − v_u)
    }

    private int timestep(double sigma) {
        return (int) Math.round(sigma * schedule.numTrainTimesteps());
    }

    private static Tensor checked(Tensor output, Tensor input) {
        if (!output.shape().equals(input.shape())) {
            throw new IllegalStateException("FlowSampler: the model returned shape " + output.shape() + " for input "
                    + input.shape() + "; it must return the input's shape");
        }
        return output;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }
}
