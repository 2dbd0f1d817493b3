package org.minidiffusion.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests against {@code tools/golden_flow.py}, a float64 PyTorch re-implementation of
 * diffusers' {@code FlowMatchEulerDiscreteScheduler} and {@code FlowMatchHeunDiscreteScheduler}
 * driven call by call as a pipeline drives them: the sigmas and timesteps of seven settings, and
 * four 10-step loops (Euler and Heun, shift 1 and 3, with and without guidance) with a dummy model,
 * on both backends.
 *
 * <p>Tolerances. Schedules: {@link Tolerance#KNOWN_VALUE}, double arithmetic against float64
 * values rounded once to float32. Loops: {@link #LOOP} ({@code R = 1e-5}, {@code A = 1e-6}), the
 * bound {@code SamplerTests} uses for DDPM and DDIM loops: ten or nineteen float32 steps of a few
 * ulps each against float64. A formula error (a missing shift, a sign, Heun's corrector at the wrong
 * sigma) moves values by 1e-3 or more.
 */
class FlowGoldenTests {
    static final Tolerance LOOP = new Tolerance("LOOP", 1e-5, 1e-6);
    private static final List<String> BACKENDS = List.of("scalar", "parallel");

    static SafetensorsFile load(String name, Backend backend) {
        String resource = "/golden/flow/" + name + ".safetensors";
        URL url = FlowGoldenTests.class.getResource(resource);
        assertNotNull(url, "missing test resource " + resource + "; run /usr/bin/python3 tools/golden_flow.py");
        try {
            return Safetensors.read(Path.of(url.toURI()), backend);
        } catch (IOException | URISyntaxException e) {
            throw new AssertionError("cannot read " + resource, e);
        }
    }

    static String meta(SafetensorsFile f, String key) {
        String v = f.metadata().get(key);
        assertNotNull(v, f.file().getFileName() + " has no metadata '" + key + "'");
        return v;
    }

    static double[] doubles(float[] values) {
        return TensorAssert.toDoubles(values);
    }

    static double worst(Tolerance tol, double[] expected, double[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, tol.violation(expected[i], actual[i]));
        }
        return worst;
    }

    @Test
    void schedulesMatchDiffusers() {
        SafetensorsFile f = load("schedules", Backends.get("scalar"));
        String[] settings = meta(f, "settings").split(";");
        assertEquals(7, settings.length, "schedule settings in the golden file");
        List<String> failures = new ArrayList<>();
        for (String setting : settings) {
            String[] p = setting.split(",");
            int trainSteps = Integer.parseInt(p[0]);
            double shift = Double.parseDouble(p[1]);
            int steps = Integer.parseInt(p[2]);
            String key = "T" + trainSteps + "_shift" + p[1] + "_n" + steps;
            FlowSchedule schedule = new FlowSchedule(trainSteps, shift);
            double[] sigmas = doubles(f.tensor("sigmas." + key).toArray());
            double[] timesteps = doubles(f.tensor("timesteps." + key).toArray());
            assertEquals(steps + 1, sigmas.length, key + " sigmas");
            double w = 0;
            for (var c : List.of(Map.entry("sigmas", new double[][] {sigmas, schedule.sigmas(steps)}),
                    Map.entry("timesteps", new double[][] {timesteps, schedule.timesteps(steps)}))) {
                double[] expected = c.getValue()[0];
                double[] actual = c.getValue()[1];
                assertEquals(expected.length, actual.length, key + " " + c.getKey() + " length");
                TensorAssert.compare(Tolerance.KNOWN_VALUE, "double", key + " " + c.getKey(),
                        Shape.of(expected.length), expected, actual).ifPresent(failures::add);
                w = Math.max(w, worst(Tolerance.KNOWN_VALUE, expected, actual));
            }
            System.out.printf("golden flow schedule %-22s worst %.4f x %s%n", key, w, Tolerance.KNOWN_VALUE);
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }

    static Stream<Arguments> loops() {
        String[] cases = meta(load("loops", Backends.get("scalar")), "cases").split(",");
        return BACKENDS.stream().flatMap(b -> Arrays.stream(cases).map(c -> Arguments.of(b, c)));
    }

    /** A loop's result on one backend: every model call's timestep, the sample after each step, x_0. */
    record Run(List<Float> calls, List<float[]> trajectory, List<int[]> reported, float[] x0) {
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("loops")
    void loopsMatchDiffusers(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = load("loops", backend);
            Run run = run(f, name);
            Map<String, String> config = config(meta(f, name));
            int steps = Integer.parseInt(config.get("steps"));
            FlowSolver solver = FlowSolver.valueOf(config.get("solver").toUpperCase());
            List<String> failures = new ArrayList<>();
            double w = 0;

            double[] calls = doubles(f.tensor(name + ".calls").toArray());
            assertEquals(solver.evaluations(steps), calls.length, "model calls of " + name + " in diffusers");
            double[] actualCalls = run.calls().stream().mapToDouble(Float::doubleValue).toArray();
            assertEquals(calls.length, actualCalls.length, name + ": model calls");
            TensorAssert.compare(Tolerance.KNOWN_VALUE, backendId, name + " timesteps of the model calls",
                    Shape.of(calls.length), calls, actualCalls).ifPresent(failures::add);

            Tensor trajectory = f.tensor(name + ".trajectory"); // (steps, B, C, H, W)
            assertEquals(steps, trajectory.size(0));
            assertEquals(steps, run.trajectory().size(), name + ": listener calls");
            for (int i = 0; i < steps; i++) {
                Tensor expected = trajectory.narrow(0, i, 1).squeeze(0);
                double[] e = doubles(expected.toArray());
                double[] a = doubles(run.trajectory().get(i));
                TensorAssert.compare(LOOP, backendId, name + " sample after step " + i, expected.shape(), e, a)
                        .ifPresent(failures::add);
                w = Math.max(w, worst(LOOP, e, a));
            }
            Tensor x0 = f.tensor(name + ".x0");
            double[] e = doubles(x0.toArray());
            double[] a = doubles(run.x0());
            assertTrue(Arrays.equals(run.trajectory().get(steps - 1), run.x0()), "the last step's sample is x_0");
            TensorAssert.compare(LOOP, backendId, name + " x0", x0.shape(), e, a).ifPresent(failures::add);
            w = Math.max(w, worst(LOOP, e, a));

            // the listener sees (σ_i·T rounded, σ_{i+1}·T rounded), −1 after the last step
            double[] t = new FlowSchedule(1000, Double.parseDouble(config.get("shift"))).timesteps(steps);
            for (int i = 0; i < steps; i++) {
                int[] r = run.reported().get(i);
                assertEquals(List.of(i, steps, (int) Math.round(t[i]), i + 1 < steps ? (int) Math.round(t[i + 1]) : -1),
                        Arrays.stream(r).boxed().collect(Collectors.toList()), name + " listener at step " + i);
            }
            System.out.printf("golden flow loop %-18s [%-8s] worst %.4f x %s%n", name, backendId, w, LOOP);
            if (!failures.isEmpty()) {
                fail(failures.size() + " comparisons differ from diffusers:\n" + String.join("\n", failures));
            }
        });
    }

    /** The backends agree on every loop to 1e-6 relative: the solvers are elementwise. */
    @Test
    void theBackendsAgreeOnEveryLoop() {
        assertTrue(Backends.available().size() >= 2, "backend-parallel should be on the test class path");
        for (String name : meta(load("loops", Backends.get("scalar")), "cases").split(",")) {
            float[] reference = Backends.get("scalar").call(() -> run(load("loops", Backends.current()), name).x0());
            for (Backend backend : Backends.available()) {
                float[] other = backend.call(() -> run(load("loops", backend), name).x0());
                TensorAssert.assertClose(Tolerance.KNOWN_VALUE, backend.id(), name + " vs scalar",
                        Shape.of(reference.length), doubles(reference), doubles(other));
            }
        }
    }

    static Map<String, String> config(String value) {
        return Arrays.stream(value.split(",")).map(kv -> kv.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
    }

    /** Runs one golden case on the current backend with the dummy model of {@code golden_flow.py}. */
    static Run run(SafetensorsFile f, String name) {
        Map<String, String> config = config(meta(f, name));
        int trainSteps = Integer.parseInt(meta(f, "num_train_timesteps"));
        float guidance = Float.parseFloat(config.get("guidance"));
        Tensor x1 = f.tensor("x1");
        List<Float> calls = new ArrayList<>();
        List<float[]> trajectory = new ArrayList<>();
        List<int[]> reported = new ArrayList<>();
        VelocityModel model = (x, timesteps, labels) -> {
            calls.add(timesteps[0]);
            return dummy(x, timesteps, labels, trainSteps);
        };
        SampleRequest request = SampleRequest.of(Integer.parseInt(config.get("steps")), x1.shape().toArray())
                .withListener((i, n, t, tPrev, sample) -> {
                    trajectory.add(sample.toArray());
                    reported.add(new int[] {i, n, t, tPrev});
                });
        if (guidance != 1f) {
            int[] labels = Arrays.stream(meta(f, "labels").split(",")).mapToInt(Integer::parseInt).toArray();
            request = request.withClassLabels(labels).withGuidance(guidance, Integer.parseInt(meta(f, "null_class")));
        }
        FlowSampler sampler = new FlowSampler(new FlowSchedule(trainSteps, Double.parseDouble(config.get("shift"))),
                FlowSolver.valueOf(config.get("solver").toUpperCase()));
        float[] x0 = sampler.sample(model, request, x1).toArray();
        return new Run(calls, trajectory, reported, x0);
    }

    /** {@code v = x·s/(s+1) + ramp + 0.25·label} with {@code s = t/T}, label 0 if unconditional. */
    static Tensor dummy(Tensor x, float[] timesteps, int[] labels, int trainSteps) {
        int batch = x.size(0);
        int perSample = x.numel() / batch;
        float[] scale = new float[batch];
        float[] offset = new float[batch];
        for (int b = 0; b < batch; b++) {
            double s = timesteps[b] / (double) trainSteps;
            scale[b] = (float) (s / (s + 1));
            offset[b] = labels == null ? 0f : 0.25f * labels[b];
        }
        float[] ramp = new float[perSample];
        for (int k = 0; k < perSample; k++) {
            ramp[k] = (float) (-1 + 2.0 * k / (perSample - 1));
        }
        int[] perSampleShape = new int[x.rank()];
        Arrays.fill(perSampleShape, 1);
        perSampleShape[0] = batch;
        int[] sampleShape = x.shape().toArray();
        sampleShape[0] = 1;
        return x.mul(x.backend().of(scale, perSampleShape)).add(x.backend().of(ramp, sampleShape))
                .add(x.backend().of(offset, perSampleShape));
    }
}
