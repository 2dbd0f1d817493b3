package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minidiffusion.testkit.GoldenCheck.floatMeta;
import static org.minidiffusion.testkit.GoldenCheck.meta;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.Optimizer;
import org.minidiffusion.nn.optim.Sgd;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of the optimisers against {@code torch.optim} ({@code tools/golden_layers.py}), on
 * both backends: two consecutive steps from stored gradients (so Adam's bias correction is checked
 * at t = 1 and t = 2), and {@code torch.nn.utils.clip_grad_norm_}.
 *
 * <p>Tolerance: {@link Tolerance#DEFAULT}. Each update is a few float32 operations per element. The
 * parameters are compared, and so are the updates {@code p_t - p_(t-1)}: with lr 1e-3 an update is
 * about 1e-3, so comparing it checks the step itself to 1% (the floor {@code A = 1e-5}), where the
 * parameter comparison alone would only see it to about 20%. The float32 rounding of a parameter
 * of order 1 (6e-8) stays far below that floor.
 */
class OptimizerGoldenTests {
    static final String[] CASES = {"optim_adam", "optim_adamw", "optim_adamw_large", "optim_sgd_momentum",
        "optim_clip", "optim_clip_noop"};

    static Stream<Arguments> stepCases() {
        return GoldenCheck.cases("optim_adam", "optim_adamw", "optim_adamw_large", "optim_sgd_momentum");
    }

    static Stream<Arguments> clipCases() {
        return GoldenCheck.cases("optim_clip", "optim_clip_noop");
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("stepCases")
    void twoSteps(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(OptimizerGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            Map<String, String> m = f.metadata();
            Parameter p = new Parameter(f.tensor("param"));
            Map<String, Parameter> params = Map.of("param", p);
            Optimizer opt = switch (meta(m, "optimizer")) {
                case "Adam" -> {
                    // torch's Adam(weight_decay > 0) is coupled L2, which ours does not offer.
                    assertEquals(0f, floatMeta(m, "weight_decay"), name + ": torch Adam with L2 decay has no equivalent");
                    yield new Adam(params, floatMeta(m, "lr"), floatMeta(m, "beta1"), floatMeta(m, "beta2"),
                            floatMeta(m, "eps"), 0f);
                }
                case "AdamW" -> new Adam(params, floatMeta(m, "lr"), floatMeta(m, "beta1"), floatMeta(m, "beta2"),
                        floatMeta(m, "eps"), floatMeta(m, "weight_decay"));
                case "SGD" -> new Sgd(params, floatMeta(m, "lr"), floatMeta(m, "momentum"));
                default -> throw new AssertionError(name + ": unknown optimizer " + meta(m, "optimizer"));
            };
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            Tensor expectedBefore = f.tensor("param");
            for (int step = 1; step <= 2; step++) {
                float[] before = p.value().toArray(); // a copy: Adam updates the value in place
                setGrad(p, f.tensor("grad.step" + step));
                opt.step();
                Tensor expected = f.tensor("param.step" + step);
                check.close("param.step" + step, expected, p.value());
                check.close("update.step" + step, expected.shape(), difference(expected, expectedBefore),
                        difference(p.value().toArray(), before));
                expectedBefore = expected;
            }
            assertEquals(2, opt.steps());
            check.finish();
        });
    }

    /**
     * Clipping by global norm over two parameters, then one SGD step with lr 1: with max_norm 1 the
     * step uses the scaled gradients, with max_norm 100 the unchanged ones.
     */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("clipCases")
    void clipGradNorm(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(OptimizerGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            Map<String, String> m = f.metadata();
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("a", new Parameter(f.tensor("a")));
            params.put("b", new Parameter(f.tensor("b")));
            params.forEach((k, p) -> setGrad(p, f.tensor("grad." + k)));
            Sgd opt = new Sgd(params, floatMeta(m, "lr"), 0f);
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);

            double norm = opt.clipGradNorm(Double.parseDouble(meta(m, "max_norm")));
            check.close("total_norm", Shape.of(1), TensorAssert.toDoubles(f.tensor("total_norm").toArray()),
                    new double[] {norm});
            opt.step();
            params.forEach((k, p) -> {
                check.close(k + ".step1", f.tensor(k + ".step1"), p.value());
                // With lr 1 the step is the clipped gradient itself.
                check.close("clipped." + k, f.tensor("clipped." + k).shape(),
                        TensorAssert.toDoubles(f.tensor("clipped." + k).toArray()), difference(f.tensor(k), p.value()));
            });
            check.finish();
        });
    }

    /** Gives {@code p} the gradient {@code g} exactly: {@code d/dp sum(p * g) = g}. */
    private static void setGrad(Parameter p, Tensor g) {
        p.value().mul(g).sum().backward();
        Assertions.assertArrayEquals(g.toArray(), p.grad().toArray(), "setGrad");
    }

    /** {@code a - b} element-wise in double, exact for float32 inputs of similar size. */
    private static double[] difference(Tensor a, Tensor b) {
        return difference(a.toArray(), b.toArray());
    }

    /** {@code x - y} element-wise in double. */
    private static double[] difference(float[] x, float[] y) {
        double[] d = new double[x.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (double) x[i] - y[i];
        }
        return d;
    }
}
