package org.minidiffusion.diffusion;

import java.util.Arrays;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;

/**
 * The loop every {@link Sampler} shares: timesteps, classifier-free guidance, no-grad, progress,
 * and a {@link Workspace}, so that each step reuses the previous step's buffers.
 */
final class SamplingLoop {
    private SamplingLoop() {
    }

    static Tensor run(Sampler sampler, Denoiser model, SampleRequest request, Tensor xT, NoiseSource noise) {
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
            return loop(sampler, model, request, xT, noise, ws);
        }
    }

    /**
     * Runs the steps inside a no-grad scope the caller opened; after each step only the new sample
     * survives a recycle of {@code ws}, or nothing is recycled if {@code ws} is null.
     */
    static Tensor loop(Sampler sampler, Denoiser model, SampleRequest request, Tensor xT, NoiseSource noise,
                       Workspace ws) {
        if (!xT.shape().equals(Shape.of(request.shape()))) {
            throw new IllegalArgumentException("Sampler: x_T has shape " + xT.shape() + " but the request asks for "
                    + Shape.of(request.shape()));
        }
        int[] timesteps = request.spacing().timesteps(sampler.schedule().trainSteps(), request.steps());
        Tensor x = xT;
        for (int i = 0; i < timesteps.length; i++) {
            int t = timesteps[i];
            int tPrev = i + 1 < timesteps.length ? timesteps[i + 1] : -1; // from the array, never t − T/n
            x = sampler.step(modelOutput(model, x, t, request), t, tPrev, x, noise);
            request.listener().onStep(i, timesteps.length, t, tPrev, x);
            if (ws != null) {
                ws.recycle(x); // the model's activations and this step's temporaries are free for the next step
            }
        }
        return x;
    }

    /** The model output at {@code x_t}, with classifier-free guidance if the request asks for it. */
    private static Tensor modelOutput(Denoiser model, Tensor x, int t, SampleRequest request) {
        int batch = x.size(0);
        if (!request.guided()) {
            return checked(predict(model, x, filled(batch, t), request.classLabels()), x);
        }
        // Ho and Salimans 2022: one batched call on [x; x] with labels [null ...; labels ...]
        int[] labels = Arrays.copyOf(filled(batch, request.nullClass()), 2 * batch);
        System.arraycopy(request.classLabels(), 0, labels, batch, batch);
        Tensor doubled = Tensor.concat(0, x, x);
        Tensor both = checked(predict(model, doubled, filled(2 * batch, t), labels), doubled);
        Tensor uncond = both.narrow(0, 0, batch);
        Tensor cond = both.narrow(0, batch, batch);
        return uncond.add(cond.sub(uncond).mul(request.guidanceScale())); // ε_u + s·(ε_c − ε_u)
    }

    /**
     * Calls the model as one block of buffer reuse: in a workspace, every buffer the call allocates
     * except its output's is free when it returns, for the sampler's arithmetic and the next call.
     * Within the call, the model's own {@link org.minidiffusion.nn.Block}s reuse their temporaries.
     */
    private static Tensor predict(Denoiser model, Tensor xt, int[] t, int[] classLabels) {
        return Workspace.scoped(() -> model.predict(xt, t, classLabels));
    }

    private static Tensor checked(Tensor output, Tensor input) {
        if (!output.shape().equals(input.shape())) {
            throw new IllegalStateException("Sampler: the model returned shape " + output.shape() + " for input "
                    + input.shape() + "; it must return the input's shape");
        }
        return output;
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }
}
