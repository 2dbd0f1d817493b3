package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minidiffusion.diffusion.GoldenFileTests.assertClose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * DDPM and DDIM: whole sampling loops against PyTorch (float64) on every backend, and the
 * properties the samplers promise.
 */
class SamplerTests {
    /** Float32 loops against float64 ones: {@code |diff| <= 1e-5·|expected| + 1e-6}. */
    private static final double RELATIVE = 1e-5;
    private static final double ABSOLUTE = 1e-6;
    private static final GoldenFileTests.Golden GOLDEN = GoldenFileTests.load("sampling.txt");
    private static final int[] SHAPE = GOLDEN.ints("shape");           // (2, 1, 4, 4)
    private static final int NUMEL = Arrays.stream(SHAPE).reduce(1, (a, b) -> a * b);
    private static final int NULL_CLASS = GOLDEN.ints("null_class")[0];
    private static final int[] LABELS = GOLDEN.ints("labels");

    private Backends.Scope scalar;

    @BeforeEach
    void useScalarBackend() {
        scalar = Backends.use("scalar");
    }

    @AfterEach
    void restoreBackend() {
        scalar.close();
    }

    // ---------------------------------------------------------------- golden loops

    @TestFactory
    Stream<DynamicTest> everyGoldenLoopMatchesPyTorchOnEveryBackend() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : Backends.available()) {
            for (String name : GOLDEN.strings("cases")) {
                tests.add(DynamicTest.dynamicTest(name + " on " + backend.id(), () -> {
                    float[] x0 = backend.call(() -> runGoldenCase(name)).toArray();
                    assertClose(GOLDEN.doubles(name + ".final"), x0, RELATIVE, ABSOLUTE, name + " final sample");
                    double sum = 0;
                    for (float v : x0) {
                        sum += v;
                    }
                    assertClose(GOLDEN.doubles(name + ".sum"), new float[] {(float) sum}, RELATIVE, NUMEL * ABSOLUTE,
                            name + " sum");
                    assertClose(GOLDEN.doubles(name + ".mean"), new float[] {(float) (sum / NUMEL)}, RELATIVE, ABSOLUTE,
                            name + " mean");
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void theBackendsAgreeOnEveryGoldenLoop() {
        assertTrue(Backends.available().size() >= 2, "backend-parallel should be on the test class path");
        for (String name : GOLDEN.strings("cases")) {
            float[] reference = Backends.get("scalar").call(() -> runGoldenCase(name)).toArray();
            for (Backend backend : Backends.available()) {
                float[] other = backend.call(() -> runGoldenCase(name)).toArray();
                double[] expected = new double[reference.length];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = reference[i];
                }
                assertClose(expected, other, 1e-6, 1e-7, name + ": " + backend.id() + " vs scalar");
            }
        }
    }

    /** Runs one case of sampling.txt on the current backend, checking its timesteps and noise use. */
    private static Tensor runGoldenCase(String name) {
        Map<String, String> c = GOLDEN.config(name + ".config");
        boolean conditional = Boolean.parseBoolean(c.get("cond"));
        Tensor xT = Tensor.of(floats(GOLDEN.doubles("ramp")), SHAPE).mul(Float.parseFloat(c.get("x_scale")));
        List<Tensor> noise = new ArrayList<>();
        double[] flat = GOLDEN.doubles(name + ".noise");
        for (int k = 0; k < flat.length / NUMEL; k++) {
            noise.add(Tensor.of(floats(Arrays.copyOfRange(flat, k * NUMEL, (k + 1) * NUMEL)), SHAPE));
        }
        List<Integer> visited = new ArrayList<>();
        int[] drawn = {0};
        NoiseSource replay = NoiseSource.replay(noise);
        SampleRequest request = new SampleRequest(SHAPE, Integer.parseInt(c.get("steps")),
                TimestepSpacing.valueOf(c.get("spacing").toUpperCase(Locale.ROOT)), conditional ? LABELS : null,
                Float.parseFloat(c.get("guidance")), NULL_CLASS, (i, n, t, tPrev, x) -> visited.add(t));
        Tensor x0 = sampler(c).sample(toyModel(), request, xT, like -> {
            drawn[0]++;
            return replay.next(like);
        });
        assertArrayEquals(GOLDEN.ints(name + ".timesteps"), visited.stream().mapToInt(Integer::intValue).toArray(),
                name + " timesteps");
        assertEquals(noise.size(), drawn[0], name + ": noise tensors used");
        return x0;
    }

    private static Sampler sampler(Map<String, String> c) {
        BetaSchedule kind = switch (c.get("schedule")) {
            case "linear" -> BetaSchedule.LINEAR;
            case "scaled_linear" -> BetaSchedule.SCALED_LINEAR;
            case "squaredcos_cap_v2" -> BetaSchedule.COSINE;
            default -> throw new IllegalArgumentException(c.get("schedule"));
        };
        PredictionType type = switch (c.get("prediction")) {
            case "epsilon" -> PredictionType.EPSILON;
            case "v_prediction" -> PredictionType.V_PREDICTION;
            case "sample" -> PredictionType.SAMPLE;
            default -> throw new IllegalArgumentException(c.get("prediction"));
        };
        NoiseSchedule schedule = NoiseSchedule.of(kind, 1000);
        boolean clip = Boolean.parseBoolean(c.get("clip"));
        return c.get("sampler").equals("ddpm") ? new DdpmSampler(schedule, type, clip)
                : new DdimSampler(schedule, type, clip, Double.parseDouble(c.get("eta")),
                        Boolean.parseBoolean(c.get("use_clipped_model_output")));
    }

    /** The toy model of diffusers' scheduler tests, {@code x·t/(t+1)}, plus {@code 0.1·(class+1)} if labelled. */
    private static Denoiser toyModel() {
        return (x, t, labels) -> {
            float[] scale = new float[t.length];
            float[] shift = new float[t.length];
            for (int i = 0; i < t.length; i++) {
                scale[i] = (float) (t[i] / (t[i] + 1.0));
                shift[i] = labels == null ? 0f : (float) (0.1 * (labels[i] + 1));
            }
            int[] perSample = new int[x.rank()];                 // (B, 1, ..., 1)
            Arrays.fill(perSample, 1);
            perSample[0] = t.length;
            return x.mul(x.backend().of(scale, perSample)).add(x.backend().of(shift, perSample));
        };
    }

    private static float[] floats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    // ---------------------------------------------------------------- properties

    private final NoiseSchedule schedule = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);

    @Test
    void ddimWithEtaZeroNeverTouchesTheNoise() {
        Sampler ddim = new DdimSampler(schedule, PredictionType.EPSILON, true, 0.0);
        SampleRequest request = SampleRequest.of(10, 2, 1, 4, 4);
        Tensor xT = Tensor.randn(new Rng(1), 2, 1, 4, 4);
        float[] a = ddim.sample(toyModel(), request, xT, NoiseSource.of(new Rng(2))).toArray();
        float[] b = ddim.sample(toyModel(), request, xT, NoiseSource.of(new Rng(3))).toArray();
        float[] c = ddim.sample(toyModel(), request, xT, like -> {
            throw new AssertionError("DDIM with eta = 0 drew noise");
        }).toArray();
        assertArrayEquals(a, b);
        assertArrayEquals(a, c);
    }

    @Test
    void ddimWithEtaOneDependsOnTheNoise() {
        Sampler ddim = new DdimSampler(schedule, PredictionType.EPSILON, false, 1.0);
        SampleRequest request = SampleRequest.of(10, 2, 1, 4, 4);
        Tensor xT = Tensor.randn(new Rng(1), 2, 1, 4, 4);
        assertFalse(Arrays.equals(ddim.sample(toyModel(), request, xT, NoiseSource.of(new Rng(2))).toArray(),
                ddim.sample(toyModel(), request, xT, NoiseSource.of(new Rng(3))).toArray()));
    }

    @ParameterizedTest
    @EnumSource(PredictionType.class)
    void ddimWithEtaOneIsDdpmWhenNothingIsClipped(PredictionType type) {
        // eq. 12 with σ from eq. 16 at η = 1 is the DDPM posterior (eq. 7); with the same noise they agree
        for (TimestepSpacing spacing : TimestepSpacing.values()) {
            SampleRequest request = SampleRequest.of(10, 2, 1, 4, 4).withSpacing(spacing);
            Tensor xT = Tensor.randn(new Rng(4), 2, 1, 4, 4);
            float[] ddpm = new DdpmSampler(schedule, type, false)
                    .sample(toyModel(), request, xT, NoiseSource.of(new Rng(5))).toArray();
            float[] ddim = new DdimSampler(schedule, type, false, 1.0)
                    .sample(toyModel(), request, xT, NoiseSource.of(new Rng(5))).toArray();
            assertAgree(ddpm, ddim, type + " " + spacing);
        }
    }

    @ParameterizedTest
    @EnumSource(PredictionType.class)
    void ddimWithEtaOneIsDdpmWhenClippingToo(PredictionType type) {
        // With ε̂ derived from the clamped x̂_0, eq. 12 at η = 1 is still the posterior mean of eq. 7
        // evaluated at the clamped x̂_0, which is what DDPM uses. Keeping the model's ε̂ (diffusers'
        // default) breaks the identity, which shows that the clamp acts in this setting.
        NoiseSchedule cosine = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
        SampleRequest request = SampleRequest.of(10, 2, 1, 4, 4).withClassLabels(LABELS).withGuidance(3f, NULL_CLASS);
        Tensor xT = Tensor.randn(new Rng(4), 2, 1, 4, 4).mul(4f);
        float[] ddpm = new DdpmSampler(cosine, type, true)
                .sample(toyModel(), request, xT, NoiseSource.of(new Rng(5))).toArray();
        float[] ddim = new DdimSampler(cosine, type, true, 1.0)
                .sample(toyModel(), request, xT, NoiseSource.of(new Rng(5))).toArray();
        assertAgree(ddpm, ddim, type + " clipped");
        float[] modelEpsilon = new DdimSampler(cosine, type, true, 1.0, false)
                .sample(toyModel(), request, xT, NoiseSource.of(new Rng(5))).toArray();
        double worst = 0;
        for (int i = 0; i < ddpm.length; i++) {
            worst = Math.max(worst, Math.abs(ddpm[i] - modelEpsilon[i]));
        }
        if (type != PredictionType.SAMPLE) { // a sample model's ε̂ is derived from the unclamped x̂_0, x_t and the output
            assertTrue(worst > 1e-2, type + ": the model's ε̂ should differ from DDPM once x̂_0 is clamped; max diff " + worst);
        }
    }

    private static void assertAgree(float[] ddpm, float[] ddim, String what) {
        for (int i = 0; i < ddpm.length; i++) {
            assertEquals(ddpm[i], ddim[i], 1e-4 * (1 + Math.abs(ddpm[i])), what + " element " + i);
        }
    }

    @Test
    void thePreviousTimestepIsTheNextEntryOfTheArrayNotTMinusTOverN() {
        // trailing, T = 1000, n = 7: 999 856 713 570 428 285 142; t - T/n would give 999 -> 857
        List<int[]> steps = new ArrayList<>();
        SampleRequest request = SampleRequest.of(7, 1, 1, 2, 2).withSpacing(TimestepSpacing.TRAILING)
                .withListener((i, n, t, tPrev, x) -> steps.add(new int[] {i, n, t, tPrev}));
        new DdimSampler(schedule, PredictionType.EPSILON, false, 0.0).sample(toyModel(), request, new Rng(6));
        int[][] expected = {{0, 7, 999, 856}, {1, 7, 856, 713}, {2, 7, 713, 570}, {3, 7, 570, 428},
                            {4, 7, 428, 285}, {5, 7, 285, 142}, {6, 7, 142, -1}};
        assertArrayEquals(expected, steps.toArray(new int[0][]));
        assertNotEquals(999 - 1000 / 7, steps.get(0)[3]);
    }

    @Test
    void aSeedGivesTheSameSamplesAndDrawsXTFirst() {
        Sampler ddpm = new DdpmSampler(schedule, PredictionType.V_PREDICTION, true);
        SampleRequest request = SampleRequest.of(8, 2, 1, 4, 4);
        float[] a = ddpm.sample(toyModel(), request, new Rng(42)).toArray();
        assertArrayEquals(a, ddpm.sample(toyModel(), request, new Rng(42)).toArray());
        Rng rng = new Rng(42);
        Tensor xT = Tensor.randn(rng, 2, 1, 4, 4);            // x_T first, then each step's noise
        assertArrayEquals(a, ddpm.sample(toyModel(), request, xT, NoiseSource.of(rng)).toArray());
        assertFalse(Arrays.equals(a, ddpm.sample(toyModel(), request, new Rng(43)).toArray()));
        for (Backend backend : Backends.available()) {
            float[] b = backend.call(() -> ddpm.sample(toyModel(), request, new Rng(42))).toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-6 * (1 + Math.abs(a[i])), backend.id() + " element " + i);
            }
        }
    }

    @Test
    void noiseIsDrawnOncePerStepExceptTheLast() {
        assertEquals(9, draws(new DdpmSampler(schedule, PredictionType.EPSILON, false)));
        assertEquals(9, draws(new DdimSampler(schedule, PredictionType.EPSILON, false, 0.5)));
        assertEquals(0, draws(new DdimSampler(schedule, PredictionType.EPSILON, false, 0.0)));
    }

    private int draws(Sampler sampler) {
        int[] count = {0};
        NoiseSource rng = NoiseSource.of(new Rng(7));
        sampler.sample(toyModel(), SampleRequest.of(10, 2, 3), Tensor.zeros(2, 3), like -> {
            count[0]++;
            return rng.next(like);
        });
        return count[0];
    }

    @Test
    void guidanceMakesOneBatchedCallPerStepWithTheNullClassFirst() {
        List<String> calls = new ArrayList<>();
        Denoiser recording = (x, t, labels) -> {
            calls.add(x.size(0) + " " + Arrays.toString(t) + " " + Arrays.toString(labels));
            return x.mul(0.5f);
        };
        Sampler ddim = new DdimSampler(NoiseSchedule.of(BetaSchedule.LINEAR, 10), PredictionType.EPSILON, false, 0);
        SampleRequest request = SampleRequest.of(2, 2, 3).withSpacing(TimestepSpacing.LEADING).withClassLabels(0, 2);
        ddim.sample(recording, request.withGuidance(3f, 9), new Rng(8));
        assertEquals(List.of("4 [5, 5, 5, 5] [9, 9, 0, 2]", "4 [0, 0, 0, 0] [9, 9, 0, 2]"), calls);
        calls.clear();
        ddim.sample(recording, request, new Rng(8));               // scale 1: the conditional model alone
        assertEquals(List.of("2 [5, 5] [0, 2]", "2 [0, 0] [0, 2]"), calls);
    }

    @Test
    void guidanceScaleZeroIsTheUnconditionalModel() {
        Sampler ddim = new DdimSampler(schedule, PredictionType.EPSILON, false, 0);
        SampleRequest request = SampleRequest.of(10, 2, 1, 4, 4).withClassLabels(LABELS);
        Tensor xT = Tensor.randn(new Rng(9), SHAPE);
        float[] guided = ddim.sample(toyModel(), request.withGuidance(0f, NULL_CLASS), xT, NoiseSource.of(new Rng(1)))
                .toArray();
        float[] unconditional = ddim.sample(toyModel(), request.withClassLabels(NULL_CLASS, NULL_CLASS), xT,
                NoiseSource.of(new Rng(1))).toArray();
        assertArrayEquals(unconditional, guided, 1e-6f);
    }

    @Test
    void theLoopRecordsNoAutogradHistory() {
        Tensor weight = Tensor.ones(1).requireGrad();
        boolean[] recording = {false};
        Denoiser model = (x, t, labels) -> {
            recording[0] |= Autograd.isEnabled();
            return x.mul(weight);
        };
        Tensor x0 = new DdpmSampler(schedule, PredictionType.EPSILON, false)
                .sample(model, SampleRequest.of(3, 1, 2), new Rng(10));
        assertFalse(recording[0], "the model ran with autograd on");
        assertFalse(x0.requiresGrad());
        assertTrue(Autograd.isEnabled(), "the no-grad scope was not closed");
    }

    @Test
    void misuseIsReportedClearly() {
        Sampler ddpm = new DdpmSampler(schedule, PredictionType.EPSILON, false);
        IllegalStateException badModel = assertThrows(IllegalStateException.class,
                () -> ddpm.sample((x, t, l) -> x.sum(), SampleRequest.of(2, 2, 3), new Rng(1)));
        assertTrue(badModel.getMessage().contains("(2, 3)"), badModel.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(2, 2, 3).withGuidance(3f, 5));
        assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(2, 2, 3).withClassLabels(1, 2, 3));
        assertThrows(IllegalArgumentException.class,
                () -> ddpm.sample(toyModel(), SampleRequest.of(2, 2, 3), Tensor.zeros(2, 4), NoiseSource.of(new Rng(1))));
        assertThrows(IllegalArgumentException.class,
                () -> ddpm.sample(toyModel(), SampleRequest.of(1001, 2, 3), new Rng(1)));
        assertThrows(IllegalArgumentException.class,
                () -> ddpm.step(Tensor.zeros(1), 5, 5, Tensor.zeros(1), NoiseSource.of(new Rng(1))));
        assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, PredictionType.EPSILON, false, 1.5));
        assertThrows(IllegalStateException.class, () -> NoiseSource.replay(List.of()).next(Tensor.zeros(1)));
    }
}
