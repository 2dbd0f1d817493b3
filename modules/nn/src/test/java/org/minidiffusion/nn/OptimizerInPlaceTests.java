package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.AbstractParameterized;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.Ema;
import org.minidiffusion.testkit.GoldenCheck;

/**
 * The in-place optimiser on both backends: the fused Adam step gives, bit for bit, what Adam
 * composed of tensor ops gave before (the formula the PyTorch golden tests check), with AdamW's
 * decay and a clipped step among them; its state resumes exactly; EMA updates likewise; and after
 * the first step neither allocates a buffer the size of a parameter.
 */
class OptimizerInPlaceTests {
    static java.util.List<String> backends() {
        return GoldenCheck.BACKENDS;
    }

    private static final float LR = 0.01f;
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;
    private static final float DECAY = 0.1f;

    /**
     * Three AdamW steps of two parameters, the second step clipped by global norm, against Adam as
     * this library composed it from tensor ops before the fused kernel; the parameters and both
     * moments must be equal bit for bit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theFusedStepEqualsTheComposedOneBitForBit(String backendId) {
        Backend b = Backends.get(backendId);
        b.run(() -> {
            Rng rng = new Rng(31);
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("w", new Parameter(Tensor.randn(rng, 3, 4)));
            params.put("b", new Parameter(Tensor.randn(rng, 5)));
            Map<String, Tensor> value = new LinkedHashMap<>();
            params.forEach((k, p) -> value.put(k, p.value().detach()));  // not yet updated in place
            Map<String, Tensor> m = new LinkedHashMap<>();
            Map<String, Tensor> v = new LinkedHashMap<>();
            Adam adam = new Adam(params, LR, BETA1, BETA2, EPS, DECAY);
            for (int step = 1; step <= 3; step++) {
                Map<String, Tensor> grads = new LinkedHashMap<>();
                float spread = step == 2 ? 3f : 1f;
                params.forEach((k, p) -> grads.put(k, Tensor.randn(rng, p.shape().toArray()).mul(spread)));
                params.forEach((k, p) -> setGrad(p, grads.get(k)));
                float scale = 1f;
                if (step == 2) {
                    double norm = adam.clipGradNorm(1.0);
                    assertTrue(norm > 1.0, "the second step must be clipped, norm " + norm);
                    scale = (float) (1.0 / (norm + 1e-6));              // as Optimizer.clipGradNorm
                }
                adam.step();
                try (Autograd.Scope noGrad = Autograd.noGrad()) {
                    for (String k : params.keySet()) {
                        Tensor g = scale == 1f ? grads.get(k) : grads.get(k).mul(scale);
                        composedStep(k, value, m, v, g, step);
                    }
                }
                Map<String, Tensor> state = adam.state();
                for (String k : params.keySet()) {
                    String at = backendId + " step " + step + " " + k;
                    assertBits(value.get(k), params.get(k).value(), at + ": parameter");
                    assertBits(m.get(k), state.get("m." + k), at + ": first moment");
                    assertBits(v.get(k), state.get("v." + k), at + ": second moment");
                    assertFalse(params.get(k).value().hasGrad(), at + ": the gradient must be cleared");
                }
            }
        });
    }

    /** Adam as it was composed of tensor ops, each allocating its result (the reference here). */
    private static void composedStep(String k, Map<String, Tensor> value, Map<String, Tensor> m,
                                     Map<String, Tensor> v, Tensor grad, long t) {
        Tensor mt = m.containsKey(k) ? m.get(k).mul(BETA1).add(grad.mul(1f - BETA1)) : grad.mul(1f - BETA1);
        Tensor vt = v.containsKey(k) ? v.get(k).mul(BETA2).add(grad.mul(grad).mul(1f - BETA2))
                : grad.mul(grad).mul(1f - BETA2);
        m.put(k, mt);
        v.put(k, vt);
        float c1 = (float) (1.0 - Math.pow(BETA1, t));
        float c2 = (float) (1.0 - Math.pow(BETA2, t));
        Tensor mHat = mt.div(c1);
        Tensor vHat = vt.div(c2);
        Tensor decayed = value.get(k).mul(1f - LR * DECAY);
        value.put(k, decayed.sub(mHat.div(vHat.sqrt().add(EPS)).mul(LR)));
    }

    /**
     * Two steps, {@code state()}, two more; a fresh parameter and optimiser loaded from the saved
     * values and state take the same two steps to the same bits. The saved state is a copy that
     * later steps leave alone.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void stateResumesExactly(String backendId) {
        Backend b = Backends.get(backendId);
        b.run(() -> {
            Rng rng = new Rng(41);
            Parameter p = new Parameter(Tensor.randn(rng, 4, 6));
            Adam adam = Adam.adamW(Map.of("p", p), 0.05f, 0.01f);
            Tensor[] grads = new Tensor[4];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = Tensor.randn(rng, 4, 6);
            }
            for (int i = 0; i < 2; i++) {
                setGrad(p, grads[i]);
                adam.step();
            }
            Map<String, Tensor> saved = adam.state();
            float[] savedM = saved.get("m.p").toArray();
            Tensor savedValue = Tensor.of(p.value().toArray(), 4, 6);
            for (int i = 2; i < 4; i++) {
                setGrad(p, grads[i]);
                adam.step();
            }
            assertArrayEquals(savedM, saved.get("m.p").toArray(), 0f, "state() must return copies");

            Parameter q = new Parameter(savedValue);
            Adam resumed = Adam.adamW(Map.of("p", q), 0.05f, 0.01f);
            resumed.loadState(saved);
            assertEquals(2, resumed.steps());
            for (int i = 2; i < 4; i++) {
                setGrad(q, grads[i]);
                resumed.step();
            }
            assertBits(p.value(), q.value(), backendId + ": resumed parameter");
            assertBits(adam.state().get("v.p"), resumed.state().get("v.p"), backendId + ": resumed second moment");

            Map<String, Tensor> wrong = new LinkedHashMap<>(saved);
            wrong.put("m.p", Tensor.zeros(6, 4));
            ShapeException e = assertThrows(ShapeException.class, () -> resumed.loadState(wrong));
            assertTrue(e.getMessage().contains("Adam.loadState") && e.getMessage().contains("(6, 4)"), e.getMessage());
        });
    }

    /**
     * Three EMA updates against {@code ema = d ema + (1 - d) w} composed of tensor ops, bit for bit;
     * {@code weights()} are copies that later updates leave alone, and a training step of the layer
     * does not move the average it started from.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void emaUpdatesInPlaceAsComposed(String backendId) {
        Backend b = Backends.get(backendId);
        b.run(() -> {
            Linear layer = new Linear(6, 3, new Rng(51));
            Ema ema = new Ema(layer, 0.99f);
            Map<String, Tensor> expected = new LinkedHashMap<>();
            layer.parameters().forEach((k, p) -> expected.put(k, Tensor.of(p.value().toArray(), p.shape().toArray())));
            Adam adam = Adam.adam(layer.parameters(), 0.1f);
            Map<String, Tensor> first = null;
            for (long step = 1; step <= 3; step++) {
                layer.forward(Tensor.randn(new Rng(60 + step), 2, 6)).sum().backward();
                adam.step();
                ema.update(step);
                float d = ema.decayAt(step);
                try (Autograd.Scope noGrad = Autograd.noGrad()) {
                    layer.parameters().forEach((k, p) -> expected.put(k, expected.get(k).mul(d).add(p.value().mul(1f - d))));
                }
                Map<String, Tensor> weights = ema.weights();
                if (first == null) {
                    first = weights;
                    first.forEach((k, t) -> expected.put("first." + k, Tensor.of(t.toArray(), t.shape().toArray())));
                }
                for (String k : layer.parameters().keySet()) {
                    assertBits(expected.get(k), weights.get(k), backendId + " update " + step + " " + k);
                }
            }
            for (String k : layer.parameters().keySet()) {
                assertBits(expected.get("first." + k), first.get(k), backendId + ": weights() must return copies");
            }
        });
    }

    /**
     * After the first step (which allocates the moments and moves each value into a buffer of its
     * own) an Adam step, an EMA update and {@code zeroGrad} allocate, over all threads, less than a
     * quarter of one parameter: no parameter-sized temporary. Adam composed of tensor ops allocated
     * fourteen parameter-sized results per parameter and step.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void stepsAfterTheFirstAllocateNoParameterSizedBuffer(String backendId) {
        Backend b = Backends.get(backendId);
        b.run(() -> {
            int floats = 1 << 18; // 1 MiB per parameter
            FourParameters model = new FourParameters(floats);
            Map<String, Parameter> params = model.parameters();
            Tensor g = Tensor.randn(new Rng(80), floats);
            Adam adam = Adam.adamW(params, 1e-3f, 0.01f);
            Ema ema = new Ema(model, 0.999f);
            long limit = floats * 4L / 4;
            for (int step = 1; step <= 4; step++) {
                params.values().forEach(p -> setGrad(p, g));
                long before = allocatedBytes();
                adam.step();
                long afterStep = allocatedBytes();
                ema.update(step);
                long afterEma = allocatedBytes();
                adam.zeroGrad();
                long afterZero = allocatedBytes();
                if (step > 1) {
                    String at = backendId + " step " + step + ": ";
                    assertTrue(afterStep - before < limit, at + "Adam.step allocated " + (afterStep - before) + " bytes");
                    assertTrue(afterEma - afterStep < limit, at + "Ema.update allocated " + (afterEma - afterStep) + " bytes");
                    assertTrue(afterZero - afterEma < limit, at + "zeroGrad allocated " + (afterZero - afterEma) + " bytes");
                }
            }
        });
    }

    /** Four parameters of {@code floats} elements each. */
    private static final class FourParameters extends AbstractParameterized {
        FourParameters(int floats) {
            for (int i = 0; i < 4; i++) {
                parameter("p" + i, Tensor.randn(new Rng(70 + i), floats));
            }
        }
    }

    /**
     * Returns the bytes allocated so far by all live threads, fork-join workers among them, from
     * {@code com.sun.management.ThreadMXBean}; through reflection, since the test is compiled into
     * the module {@code org.minidiffusion.nn}, which does not read {@code jdk.management}.
     */
    private static long allocatedBytes() {
        try {
            long[] ids = (long[]) ALL_THREAD_IDS.invoke(THREADS);
            long sum = 0;
            for (long bytes : (long[]) ALLOCATED_BYTES.invoke(THREADS, (Object) ids)) {
                sum += Math.max(0, bytes);
            }
            return sum;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("ThreadMXBean.getThreadAllocatedBytes is not available: " + e, e);
        }
    }

    private static final Object THREADS;
    private static final Method ALL_THREAD_IDS;
    private static final Method ALLOCATED_BYTES;

    static {
        try {
            THREADS = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            ALL_THREAD_IDS = type.getMethod("getAllThreadIds");
            ALLOCATED_BYTES = type.getMethod("getThreadAllocatedBytes", long[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Gives {@code p} the gradient {@code g} exactly: {@code d/dp sum(p * g) = g}. */
    private static void setGrad(Parameter p, Tensor g) {
        p.value().zeroGrad();
        p.value().mul(g).sum().backward();
    }

    private static void assertBits(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i])) {
                throw new AssertionError(what + ": element " + i + " of " + e.length + " is " + a[i]
                        + ", expected exactly " + e[i]);
            }
        }
    }
}
