package org.minidiffusion.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.SampleRequest;

/**
 * The solvers on fields whose solutions are known: the exact velocity of a single data point, and
 * a linear field for the order of convergence; on both backends.
 */
class FlowSolverTests {
    private static final List<String> BACKENDS = List.of("scalar", "parallel");
    private static final int T = 1000;

    /**
     * With one data point {@code x_0}, every path {@code x_t = (1 − t)·x_0 + t·ε} has the velocity
     * {@code ε − x_0 = (x_t − x_0)/t}: that field is the exact flow, its trajectories are straight,
     * and both solvers must land on {@code x_0} from any noise, up to float32 rounding.
     */
    @Test
    void theExactVelocityCarriesNoiseToTheDataPoint() {
        for (String id : BACKENDS) {
            Backend backend = Backends.get(id);
            backend.run(() -> {
                Rng rng = new Rng(21);
                Tensor x0 = Tensor.randn(rng, 1, 3, 4, 4);
                VelocityModel exact = (x, timesteps, labels) -> x.sub(x0).div(timesteps[0] / T); // (x_t − x_0)/t
                for (FlowSolver solver : FlowSolver.values()) {
                    for (double shift : new double[] {1.0, 3.0}) {
                        FlowSampler sampler = new FlowSampler(new FlowSchedule(T, shift), solver);
                        Tensor x1 = Tensor.randn(rng, 1, 3, 4, 4);
                        float[] landed = sampler.sample(exact, SampleRequest.of(10, 1, 3, 4, 4), x1).toArray();
                        float[] target = x0.toArray();
                        float[] start = x1.toArray();
                        for (int i = 0; i < target.length; i++) {
                            assertEquals(target[i], landed[i], 1e-5 * (1 + Math.abs(start[i] - target[i])),
                                    id + " " + solver + " shift " + shift + " element " + i);
                        }
                    }
                }
            });
        }
    }

    /**
     * On {@code dx/dσ = a·σ·x}, whose solution from {@code x(1)} is {@code x(0) = x(1)·exp(−a/2)},
     * the error at {@code σ = 0} halves (Euler, first order) or quarters (Heun, second order) as the
     * step size halves. The field depends on {@code σ}, so a corrector evaluated at the wrong sigma
     * drops Heun to first order. {@code n} steps are {@code n − 1} equal intervals from 1 to
     * {@code σ_min = 1/T}, then one from {@code σ_min} to 0, so 9, 17, 33, 65 steps halve the step
     * size. Heun's last step, to 0, is Euler alone, over an interval where the field is
     * {@code O(σ_min)}. In double the ratios are 3.86, 3.96, 4.02 (Heun) and 2.03, 2.01, 2.01
     * (Euler); float32 rounding moves the last ones by about 2%.
     */
    @Test
    void heunConvergesAtSecondOrderAndEulerAtFirst() {
        double a = 2.0;
        VelocityModel linear = (x, timesteps, labels) -> x.mul((float) (a * timesteps[0] / T)); // a·σ·x
        for (String id : BACKENDS) {
            Backends.get(id).run(() -> {
                Tensor x1 = Tensor.randn(new Rng(8), 1, 16);
                float[] start = x1.toArray();
                for (FlowSolver solver : FlowSolver.values()) {
                    int[] steps = {9, 17, 33, 65}; // 8, 16, 32, 64 equal intervals, then σ_min → 0
                    double[] errors = new double[steps.length];
                    for (int k = 0; k < steps.length; k++) {
                        FlowSampler sampler = new FlowSampler(new FlowSchedule(T, 1.0), solver);
                        float[] end = sampler.sample(linear, SampleRequest.of(steps[k], 1, 16), x1).toArray();
                        for (int i = 0; i < end.length; i++) {
                            errors[k] = Math.max(errors[k], Math.abs(end[i] - start[i] * Math.exp(-a / 2)));
                        }
                    }
                    double expected = solver == FlowSolver.HEUN ? 4 : 2;
                    StringBuilder ratios = new StringBuilder();
                    for (int k = 1; k < steps.length; k++) {
                        double ratio = errors[k - 1] / errors[k];
                        ratios.append(String.format(" %.3f", ratio));
                        assertTrue(Math.abs(ratio - expected) < 0.15 * expected, id + " " + solver + ": error ratio "
                                + ratio + " from " + steps[k - 1] + " to " + steps[k] + " steps, expected about "
                                + expected + "; errors " + java.util.Arrays.toString(errors));
                    }
                    System.out.printf("flow %s [%s] max error at 9..65 steps %s, ratios%s%n", solver, id,
                            java.util.Arrays.toString(errors), ratios);
                }
            });
        }
    }

    /** One guided Euler step by hand: {@code x + (σ_1 − σ_0)·(v_u + g·(v_c − v_u))}. */
    @Test
    void guidanceMixesTheTwoVelocities() {
        VelocityModel model = (x, timesteps, labels) -> {
            float[] v = new float[x.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = labels[i / 2] == 9 ? 1f : 3f; // unconditional 1, conditional 3
            }
            return x.backend().of(v, x.shape().toArray());
        };
        FlowSampler sampler = new FlowSampler(new FlowSchedule(T, 1.0), FlowSolver.EULER);
        SampleRequest request = SampleRequest.of(1, 2, 2).withClassLabels(0, 1).withGuidance(2.5f, 9);
        float[] x = sampler.sample(model, request, Tensor.zeros(2, 2)).toArray();
        for (float v : x) {
            assertEquals(-(1 + 2.5 * (3 - 1)), v, 1e-6, "0 + (0 − 1)·(1 + 2.5·(3 − 1))");
        }
    }
}
