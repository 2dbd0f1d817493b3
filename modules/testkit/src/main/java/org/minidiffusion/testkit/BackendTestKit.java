package org.minidiffusion.testkit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.StateBuffer;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Kernels;

/**
 * The shared backend suite: a backend's tests subclass it and name the backend, in one line.
 *
 * <pre>{@code
 * class ParallelBackendTests extends BackendTestKit {
 *     @Override protected String backendId() { return "parallel"; }
 * }
 * }</pre>
 *
 * <p>It checks, on the backend under test:
 * <ul>
 *   <li>{@link #opsMatchReference()}: every op of {@link Tensor}, on random inputs with
 *   broadcasting, size-1 dims and non-contiguous views, forward and backward, against the scalar
 *   reference backend under {@link Tolerance#DEFAULT};</li>
 *   <li>{@link #opsMatchOnRecycledBuffers()}: every case's forward pass again on buffers a
 *   {@link Workspace} recycled and filled with NaN, against the same case computed normally;</li>
 *   <li>{@link #gradientsMatchOnReusedBuffers()}: every differentiable case's gradients again on
 *   buffers that backward passes gave back filled with NaN, bit for bit against new buffers;</li>
 *   <li>{@link #gradientsMatchFiniteDifferences()}: every differentiable op's autograd gradient
 *   against central differences, under {@link Tolerance#GRADCHECK};</li>
 *   <li>{@link #knownValues()}: hand-computed results and well-known constants, which check the
 *   reference itself;</li>
 *   <li>{@link #optimizerKernelsMatchReference()} and {@link #adamKnownValues()}: the in-place
 *   optimiser kernels (Adam, moving averages) against the reference and against Algorithm 1 of
 *   Kingma and Ba in double, and {@link #inPlaceUpdatesAreSafe()};</li>
 *   <li>autograd semantics and {@link #shapeErrors()}: error types and messages.</li>
 * </ul>
 * Inputs come from seeded {@link Rng}s, so every run is the same. A failure names the backend, the
 * op and variant, and the worst element (see {@link TensorAssert}). The class name does not end in
 * {@code Tests}, so the build runs only its subclasses.
 */
public abstract class BackendTestKit {

    /** The id of the reference backend every backend is compared with. */
    public static final String REFERENCE_ID = "scalar";

    /**
     * The central-difference step. The error of {@code (L(x+h) - L(x-h)) / 2h} is the truncation
     * {@code h^2 |L'''| / 6} plus the float32 rounding of {@code L}, about {@code u |L| / h}; with
     * {@code u = 6e-8} and {@code L} of order 1 their sum is smallest near {@code h = 1e-2}.
     */
    public static final double FD_STEP = 1e-2;

    /** Creates the suite; subclasses name the backend with {@link #backendId()}. */
    protected BackendTestKit() {
    }

    /**
     * Returns the id of the backend under test, as {@link Backends#get(String)} knows it.
     *
     * @return the id, such as {@code "parallel"}
     */
    protected abstract String backendId();

    /**
     * Returns the backend under test.
     *
     * @return the backend
     */
    protected final Backend backend() {
        return Backends.get(backendId());
    }

    /**
     * Returns the reference backend, {@value #REFERENCE_ID}.
     *
     * @return the reference
     */
    protected final Backend reference() {
        return Backends.get(REFERENCE_ID);
    }

    // ================================================================== the kit checks itself

    /** The backend under test is installed and its id is the one asked for. */
    @Test
    public void backendIsInstalled() {
        Backend b = backend();
        assertEquals(backendId(), b.id());
        assertNotNull(b.kernels(), "backend " + backendId() + " has no kernels");
    }

    /** Every op of {@link Tensor} has a case, every differentiable op a small gradcheck case; names are unique. */
    @Test
    public void everyTensorOpHasCases() {
        Set<String> notOps = Set.of("zeros", "ones", "full", "scalar", "arange", "of", "randn", "rand",
                "shape", "size", "rank", "numel", "backend", "toArray", "item", "get", "to",
                "requiresGrad", "requireGrad", "detach", "backward", "hasGrad", "grad", "zeroGrad");
        Set<String> ops = new TreeSet<>();
        for (Method m : Tensor.class.getMethods()) {
            if (m.getDeclaringClass() == Tensor.class && !notOps.contains(m.getName())) {
                ops.add(m.getName());
            }
        }
        List<OpCase> all = OpCases.all();
        Set<String> covered = all.stream().map(OpCase::op).collect(Collectors.toSet());
        Set<String> gradChecked = all.stream().filter(c -> c.differentiable() && c.small())
                .map(OpCase::op).collect(Collectors.toSet());
        Set<String> missing = new TreeSet<>(ops);
        missing.removeAll(covered);
        Set<String> missingGrad = new TreeSet<>(ops);
        missingGrad.removeAll(gradChecked);
        missingGrad.remove("eq"); // not differentiable
        Set<String> names = new HashSet<>();
        List<String> duplicates = all.stream().map(OpCase::name).filter(n -> !names.add(n)).collect(Collectors.toList());
        assertAll(
                () -> assertTrue(missing.isEmpty(), "Tensor ops without a test case: " + missing),
                () -> assertTrue(missingGrad.isEmpty(),
                        "differentiable ops without a small gradcheck case: " + missingGrad),
                () -> assertTrue(duplicates.isEmpty(), "duplicate case names: " + duplicates),
                () -> assertTrue(all.stream().anyMatch(c -> !c.small()), "no large cases"));
    }

    /** {@link TensorAssert} rejects a planted error and reports the worst element, so the kit can fail. */
    @Test
    public void tensorAssertReportsTheWorstElement() {
        Backend b = backend();
        Tensor a = b.randn(new Rng(7), 3, 4, 5);
        float[] v = a.toArray();
        v[37] += 0.5f;                              // index [1, 3, 2]
        v[3] += 1e-3f * Math.max(1f, Math.abs(v[3])); // a smaller error, also out of tolerance
        Tensor bad = b.of(v, 3, 4, 5);
        Optional<String> msg = TensorAssert.compare(Tolerance.DEFAULT, backendId(), "planted", a, bad);
        assertTrue(msg.isPresent(), "a planted error went unnoticed");
        String m = msg.get();
        assertAll(
                () -> assertTrue(m.startsWith("[" + backendId() + "] planted"), m),
                () -> assertTrue(m.contains("2 of 60 elements"), m),
                () -> assertTrue(m.contains("worst at [1, 3, 2]"), m),
                () -> assertTrue(m.contains("expected " + a.get(1, 3, 2)) && m.contains("actual " + bad.get(1, 3, 2)), m),
                () -> assertTrue(m.contains("DEFAULT"), m));
        assertTrue(TensorAssert.compare(Tolerance.DEFAULT, backendId(), "same", a, b.of(a.toArray(), 3, 4, 5)).isEmpty());
        Optional<String> shape = TensorAssert.compare(Tolerance.DEFAULT, backendId(), "shape", a, a.reshape(12, 5));
        assertTrue(shape.isPresent() && shape.get().contains("(3, 4, 5)") && shape.get().contains("(12, 5)"),
                String.valueOf(shape));
        assertAll(
                () -> assertTrue(Tolerance.DEFAULT.isClose(1.0, 1.0 + 1.9e-4)),
                () -> assertFalse(Tolerance.DEFAULT.isClose(1.0, 1.0 + 2.1e-4)),
                () -> assertTrue(Tolerance.DEFAULT.isClose(0.0, 1e-5)),
                () -> assertFalse(Tolerance.DEFAULT.isClose(0.0, 1.1e-5)),
                () -> assertTrue(Tolerance.DEFAULT.isClose(Double.NaN, Double.NaN)),
                () -> assertFalse(Tolerance.DEFAULT.isClose(Double.NaN, 0.0)),
                () -> assertFalse(Tolerance.DEFAULT.isClose(Double.POSITIVE_INFINITY, 1e30)));
    }

    // ================================================================== ops against the reference

    /**
     * Runs every case on the reference and on the backend under test from the same inputs and
     * compares the outputs, then back-propagates the same random output gradient on both and
     * compares every input's gradient.
     *
     * @return one test per case, named after the op and variant
     */
    @TestFactory
    public Stream<DynamicTest> opsMatchReference() {
        return OpCases.all().stream().map(c -> dynamicTest(
                c.name() + (c.differentiable() ? " [forward+backward vs " : " [forward vs ") + REFERENCE_ID + "]",
                () -> matchReference(c)));
    }

    private void matchReference(OpCase c) {
        Backend ref = reference();
        Backend test = backend();
        String id = test.id();
        List<float[]> data = c.generate();
        List<Tensor> refIn = c.leaves(ref, data, true);
        List<Tensor> testIn = c.leaves(test, data, true);
        List<Tensor> refOut = c.run(ref, refIn);
        List<Tensor> testOut = c.run(test, testIn);
        assertEquals(refOut.size(), testOut.size(), "[" + id + "] " + c.name() + ": number of outputs");
        List<Executable> forward = new ArrayList<>();
        for (int i = 0; i < refOut.size(); i++) {
            Tensor r = refOut.get(i);
            Tensor t = testOut.get(i);
            String what = c.name() + " forward" + (refOut.size() > 1 ? " output " + i : "");
            forward.add(() -> assertSame(test, t.backend(), "[" + id + "] " + what + ": result is on another backend"));
            forward.add(() -> TensorAssert.assertClose(Tolerance.DEFAULT, id, what, r, t));
            if (!c.differentiable()) {
                forward.add(() -> assertFalse(t.requiresGrad(), "[" + id + "] " + what + " must not require grad"));
            }
        }
        assertAll(c.name() + " forward", forward);
        if (!c.differentiable()) {
            return;
        }
        List<float[]> g = randomLike(new Rng(c.seed() ^ 0x5DEECE66DL), refOut, c.gradScale());
        backward(ref, refOut, g);
        backward(test, testOut, g);
        List<Executable> backward = new ArrayList<>();
        for (int j = 0; j < refIn.size(); j++) {
            Tensor r = refIn.get(j);
            Tensor t = testIn.get(j);
            String what = c.name() + " backward d/d(input " + j + ")";
            backward.add(() -> {
                assertEquals(r.hasGrad(), t.hasGrad(), "[" + id + "] " + what + ": hasGrad differs from the reference");
                if (r.hasGrad()) {
                    TensorAssert.assertClose(Tolerance.DEFAULT, id, what, r.grad(), t.grad());
                }
            });
        }
        assertAll(c.name() + " backward", backward);
    }

    /**
     * Runs every case's forward pass inside a {@link Workspace} that fills recycled buffers with
     * NaN: once to fill the pool, then, after a recycle, again on recycled buffers only. The second
     * run must match the same case computed outside any workspace, so an op that relies on a new
     * buffer being zero, or that reads a buffer after giving it back, fails here.
     *
     * @return one test per case
     */
    @TestFactory
    public Stream<DynamicTest> opsMatchOnRecycledBuffers() {
        return OpCases.all().stream().map(c -> dynamicTest(c.name() + " [in a workspace, on NaN-filled recycled buffers]",
                () -> matchOnRecycledBuffers(c)));
    }

    private void matchOnRecycledBuffers(OpCase c) {
        Backend test = backend();
        String id = test.id();
        List<Tensor> in = c.leaves(test, c.generate(), false);
        List<Tensor> expected;
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            expected = c.run(test, in);
        }
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.openDebug()) {
            c.run(test, in);
            ws.recycle();
            long fresh = ws.freshAllocations();
            List<Tensor> actual = c.run(test, in);
            assertEquals(fresh, ws.freshAllocations(), "[" + id + "] " + c.name()
                    + ": the second run allocated new buffers, so it did not run on recycled ones");
            List<Executable> checks = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                Tensor e = expected.get(i);
                Tensor a = actual.get(i);
                String what = c.name() + " forward on recycled buffers" + (expected.size() > 1 ? " output " + i : "");
                checks.add(() -> TensorAssert.assertClose(Tolerance.DEFAULT, id, what, e, a));
            }
            assertAll(c.name() + " in a workspace", checks);
        }
    }

    /** A backward pass inside a workspace keeps its gradients: they are not pooled. */
    @Test
    public void backwardInsideAWorkspaceKeepsItsGradients() {
        Backend b = backend();
        Tensor x = b.of(v(1, 2, 3), 3).requireGrad();
        Tensor loss = x.mul(x).sum();
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.openDebug()) {
            loss.backward();
            ws.recycle();
            assertEquals(0, ws.freshAllocations(), "backward took buffers from the workspace");
        }
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "d(sum x^2)/dx after the workspace", b.of(v(2, 4, 6), 3),
                x.grad());
    }

    /**
     * Runs every differentiable case's forward and backward pass on a new thread, whose buffers
     * are all new, then twice on this thread with {@link Workspace#DEBUG_PROPERTY} set, so that
     * the buffers each backward pass gives back for reuse are filled with NaN and the second run
     * computes on them. Both runs must give the new thread's gradients bit for bit: a kernel that
     * reads an output before writing it, or an op that relies on a buffer being zero, fails here.
     *
     * @return one test per differentiable case
     */
    @TestFactory
    public Stream<DynamicTest> gradientsMatchOnReusedBuffers() {
        return OpCases.all().stream().filter(OpCase::differentiable).map(c -> dynamicTest(
                c.name() + " [backward on NaN-filled reused buffers]", () -> matchOnReusedBuffers(c)));
    }

    private void matchOnReusedBuffers(OpCase c) throws Exception {
        Backend b = backend();
        List<float[]> data = c.generate();
        java.util.concurrent.FutureTask<List<float[]>> fresh = new java.util.concurrent.FutureTask<>(
                () -> gradientsOf(b, c, data));
        Thread thread = new Thread(fresh, "fresh buffers");
        thread.start();
        List<float[]> expected = fresh.get();
        String before = System.getProperty(Workspace.DEBUG_PROPERTY);
        System.setProperty(Workspace.DEBUG_PROPERTY, "true");
        try {
            for (int run = 1; run <= 2; run++) {
                List<float[]> actual = gradientsOf(b, c, data);
                for (int j = 0; j < expected.size(); j++) {
                    String what = "[" + b.id() + "] " + c.name() + " d/d(input " + j + "), run " + run
                            + " on reused buffers vs a thread with new ones";
                    assertEquals(expected.get(j) == null, actual.get(j) == null, what + ": hasGrad differs");
                    if (expected.get(j) != null) {
                        int at = Arrays.mismatch(expected.get(j), actual.get(j));
                        assertEquals(-1, at, what + ": not bit-identical, first at flat index " + at + ": "
                                + (at < 0 || at >= expected.get(j).length ? "" : expected.get(j)[at]) + " vs "
                                + (at < 0 || at >= actual.get(j).length ? "" : actual.get(j)[at]));
                    }
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty(Workspace.DEBUG_PROPERTY);
            } else {
                System.setProperty(Workspace.DEBUG_PROPERTY, before);
            }
        }
    }

    /** Returns each input's gradient of {@code sum_i <out_i, g_i>} for a fixed random {@code g}, or null. */
    private static List<float[]> gradientsOf(Backend b, OpCase c, List<float[]> data) {
        List<Tensor> in = c.leaves(b, data, true);
        List<Tensor> outs = c.run(b, in);
        backward(b, outs, randomLike(new Rng(c.seed() ^ 0x5DEECE66DL), outs, c.gradScale()));
        List<float[]> grads = new ArrayList<>();
        for (Tensor t : in) {
            grads.add(t.hasGrad() ? t.grad().toArray() : null);
        }
        return grads;
    }

    /**
     * {@code binary} may write into its left operand's storage when that operand is read row-major
     * from index 0, as the tape does to add a gradient in place; the right operand may be strided
     * or broadcast. Checked for every op against the reference writing into a separate output.
     */
    @Test
    public void binaryMayWriteIntoItsLeftOperand() {
        Kernels test = backend().kernels();
        Kernels ref = reference().kernels();
        Rng rng = new Rng(31);
        List<Executable> checks = new ArrayList<>();
        for (int[] shape : new int[][] {{3, 5, 7}, {2, 64, 130}}) {
            int n = shape[0] * shape[1] * shape[2];
            int[] rowMajor = {shape[1] * shape[2], shape[2], 1};
            float[] a = Gen.normal(1.0).make(rng, n);
            float[] b = Gen.normal(1.0).make(rng, shape[1] * shape[2] + 3);
            for (int i = 0; i < b.length; i++) {
                b[i] += Math.signum(b[i]) * 0.5f; // away from 0, for DIV
            }
            // b: (S1, S2) broadcast over dim 0 and read transposed-ish, from offset 3
            int[] bStrides = {0, 1, shape[1]};
            for (BinaryOp op : BinaryOp.values()) {
                float[] expected = new float[n];
                ref.binary(op, shape, a, 0, rowMajor, b, 3, bStrides, expected);
                float[] inPlace = a.clone();
                test.binary(op, shape, inPlace, 0, rowMajor, b, 3, bStrides, inPlace);
                String what = "binary " + op + " in place into its left operand, shape " + Arrays.toString(shape);
                checks.add(() -> TensorAssert.assertClose(Tolerance.DEFAULT, backendId(), what, Shape.of(shape),
                        TensorAssert.toDoubles(expected), TensorAssert.toDoubles(inPlace)));
            }
        }
        assertAll("binary in place", checks);
    }

    /** Returns normal values of standard deviation {@code scale}, one array per output. */
    private static List<float[]> randomLike(Rng rng, List<Tensor> outs, double scale) {
        List<float[]> g = new ArrayList<>();
        for (Tensor o : outs) {
            g.add(Gen.normal(scale).make(rng, o.numel()));
        }
        return g;
    }

    /** Back-propagates {@code sum_i <outs_i, g_i>}: one output takes its gradient directly. */
    private static void backward(Backend b, List<Tensor> outs, List<float[]> g) {
        b.run(() -> {
            if (outs.size() == 1) {
                Tensor o = outs.get(0);
                o.backward(b.of(g.get(0), o.shape().toArray()));
                return;
            }
            Tensor loss = null;
            for (int i = 0; i < outs.size(); i++) {
                Tensor o = outs.get(i);
                Tensor term = o.mul(b.of(g.get(i), o.shape().toArray())).sum();
                loss = loss == null ? term : loss.add(term);
            }
            loss.backward();
        });
    }

    // ================================================================== finite differences

    /**
     * Checks the autograd gradient of every small differentiable case against central differences
     * of the loss {@code L = sum(out * w)}, for a fixed random {@code w}, summed in double.
     *
     * @return one test per case
     */
    @TestFactory
    public Stream<DynamicTest> gradientsMatchFiniteDifferences() {
        return OpCases.all().stream().filter(c -> c.differentiable() && c.small())
                .map(c -> dynamicTest(c.name() + " [gradcheck h=" + FD_STEP + "]", () -> gradCheck(c)));
    }

    private void gradCheck(OpCase c) {
        Backend b = backend();
        String id = b.id();
        List<float[]> data = c.generate();
        List<Tensor> leaves = c.leaves(b, data, true);
        List<Tensor> outs = c.run(b, leaves);
        List<float[]> w = randomLike(new Rng(c.seed() ^ 0x2545F4914F6CDD1DL), outs, 1.0);
        backward(b, outs, w);
        List<Executable> checks = new ArrayList<>();
        for (int j = 0; j < data.size(); j++) {
            float[] x = data.get(j);
            double[] numeric = new double[x.length];
            for (int e = 0; e < x.length; e++) {
                float plus = (float) (x[e] + FD_STEP);
                float minus = (float) (x[e] - FD_STEP);
                numeric[e] = (loss(c, b, data, j, e, plus, w) - loss(c, b, data, j, e, minus, w))
                        / ((double) plus - (double) minus);
            }
            Tensor leaf = leaves.get(j);
            double[] analytic = leaf.hasGrad() ? TensorAssert.toDoubles(leaf.grad().toArray()) : new double[x.length];
            Shape shape = leaf.shape();
            String what = c.name() + " d(sum out*w)/d(input " + j + "): central difference (expected)"
                    + " vs autograd (actual)";
            checks.add(() -> TensorAssert.assertClose(Tolerance.GRADCHECK, id, what, shape, numeric, analytic));
        }
        assertAll(c.name() + " gradcheck", checks);
    }

    /** Returns {@code sum(out * w)} in double, with element {@code e} of input {@code j} set to {@code value}. */
    private static double loss(OpCase c, Backend b, List<float[]> data, int j, int e, float value, List<float[]> w) {
        List<float[]> perturbed = new ArrayList<>(data);
        float[] x = data.get(j).clone();
        x[e] = value;
        perturbed.set(j, x);
        Autograd.Scope noGrad = Autograd.noGrad();
        try {
            List<Tensor> outs = c.run(b, c.leaves(b, perturbed, false));
            double sum = 0;
            for (int i = 0; i < outs.size(); i++) {
                float[] o = outs.get(i).toArray();
                float[] wi = w.get(i);
                for (int k = 0; k < o.length; k++) {
                    sum += (double) o[k] * wi[k];
                }
            }
            return sum;
        } finally {
            noGrad.close();
        }
    }

    // ================================================================== known values

    /**
     * Checks hand-computed results and well-known constants: on the reference under
     * {@link Tolerance#KNOWN_VALUE}, and on the backend under test under {@link Tolerance#DEFAULT}.
     *
     * @return one test per check
     */
    @TestFactory
    public Stream<DynamicTest> knownValues() {
        List<DynamicTest> t = new ArrayList<>();
        t.add(known("matmul 2x2", new int[] {2, 2}, v(19, 22, 43, 50),
                b -> b.of(v(1, 2, 3, 4), 2, 2).matmul(b.of(v(5, 6, 7, 8), 2, 2))));
        t.add(known("matmul 2x2 gradient of the left operand", new int[] {2, 2}, v(11, 15, 11, 15),
                b -> gradOf(b, v(1, 2, 3, 4), new int[] {2, 2}, x -> x.matmul(b.of(v(5, 6, 7, 8), 2, 2)).sum())));
        t.add(known("matmul 2x2 gradient of the right operand", new int[] {2, 2}, v(4, 4, 6, 6),
                b -> gradOf(b, v(5, 6, 7, 8), new int[] {2, 2}, y -> b.of(v(1, 2, 3, 4), 2, 2).matmul(y).sum())));
        t.add(known("matmul (2,3) @ (3) vector", new int[] {2}, v(-2, -2),
                b -> b.of(v(1, 2, 3, 4, 5, 6), 2, 3).matmul(b.of(v(1, 0, -1), 3))));
        t.add(known("gelu at 1, -2, 3, 0", new int[] {4}, v(0.8413447f, -0.04550026f, 2.9959503f, 0f),
                b -> b.of(v(1, -2, 3, 0), 4).gelu()));
        t.add(known("geluTanh at 1, -2, 3", new int[] {3}, v(0.8411920f, -0.04540231f, 2.9963626f),
                b -> b.of(v(1, -2, 3), 3).geluTanh()));
        t.add(known("silu at 1, -1, 2", new int[] {3}, v(0.7310586f, -0.26894142f, 1.7615942f),
                b -> b.of(v(1, -1, 2), 3).silu()));
        t.add(known("sigmoid at 0, 2, -3", new int[] {3}, v(0.5f, 0.8807971f, 0.047425874f),
                b -> b.of(v(0, 2, -3), 3).sigmoid()));
        t.add(known("tanh at 0.5", new int[] {}, v(0.46211716f), b -> b.of(v(0.5f)).tanh()));
        t.add(known("exp(1), log(2), sqrt(2), 2^1.5, 1.5^-1.5", new int[] {5},
                v(2.7182817f, 0.6931472f, 1.4142135f, 2.828427f, 0.5443311f),
                b -> Tensor.concat(0, b.of(v(1), 1).exp(), b.of(v(2), 1).log(), b.of(v(2), 1).sqrt(),
                        b.of(v(2), 1).pow(1.5f), b.of(v(1.5f), 1).pow(-1.5f))));
        t.add(known("softmax [1,2,3]", new int[] {3}, v(0.09003057f, 0.24472848f, 0.66524094f),
                b -> b.of(v(1, 2, 3), 3).softmax(0)));
        t.add(known("softmax [1001,1002,1003] is stable", new int[] {3}, v(0.09003057f, 0.24472848f, 0.66524094f),
                b -> b.of(v(1001, 1002, 1003), 3).softmax(-1)));
        t.add(known("logSoftmax [1,2,3]", new int[] {3}, v(-2.407606f, -1.4076059f, -0.40760595f),
                b -> b.of(v(1, 2, 3), 3).logSoftmax(0)));
        t.add(known("softmax of each column", new int[] {2, 2}, v(0.11920292f, 0.5f, 0.8807971f, 0.5f),
                b -> b.of(v(0, 5, 2, 5), 2, 2).softmax(0)));
        float[] image = new float[16];
        for (int i = 0; i < 16; i++) {
            image[i] = i + 1;
        }
        // (1, 2, 2): one group of {1, 2, 3, 4}: mean 2.5, biased variance 1.25
        float r = (float) (1 / Math.sqrt(1.25 + 1e-5));
        t.add(known("groupNorm one group, weight (2, -1), bias (0, 1)", new int[] {1, 2, 2},
                v(-1.5f * r * 2, -0.5f * r * 2, 0.5f * r * -1 + 1, 1.5f * r * -1 + 1),
                b -> b.of(v(1, 2, 3, 4), 1, 2, 2).groupNorm(1, b.of(v(2, -1), 2), b.of(v(0, 1), 2), 1e-5f)));
        // rows {1, 2, 3, 4} (mean 2.5, biased variance 1.25) and {2, 2, 2, 2} (variance 0, so only eps is left)
        float e = 1e-3f;
        float rl = (float) (1 / Math.sqrt(1.25 + e));
        t.add(known("layerNorm rows, weight (2, -1, 1, 0.5), bias (0, 1, 0, 0)", new int[] {2, 4},
                v(-1.5f * rl * 2, -0.5f * rl * -1 + 1, 0.5f * rl, 1.5f * rl * 0.5f, 0, 1, 0, 0),
                b -> b.of(v(1, 2, 3, 4, 2, 2, 2, 2), 2, 4).layerNorm(b.of(v(2, -1, 1, 0.5f), 4),
                        b.of(v(0, 1, 0, 0), 4), e)));
        // rows {1, 2, 3, 4} (mean square 7.5) and {-2, 0, 0, 2} (mean square 2)
        float rr = (float) (1 / Math.sqrt(7.5 + e));
        float rr2 = (float) (1 / Math.sqrt(2 + e));
        t.add(known("rmsNorm rows, weight (2, -1, 1, 0.5)", new int[] {2, 4},
                v(rr * 2, 2 * rr * -1, 3 * rr, 4 * rr * 0.5f, -2 * rr2 * 2, 0, 0, 2 * rr2 * 0.5f),
                b -> b.of(v(1, 2, 3, 4, -2, 0, 0, 2), 2, 4).rmsNorm(b.of(v(2, -1, 1, 0.5f), 4), e)));
        t.add(known("conv2d 3x3 box filter, padding 1, on 1..16", new int[] {1, 1, 4, 4},
                v(14, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69, 46, 72, 78, 54),
                b -> b.of(image, 1, 1, 4, 4).conv2d(b.ones(1, 1, 3, 3), 1, 1, 1)));
        t.add(known("conv2d 3x3 corner taps, padding 1 (cross-correlation, not flipped)", new int[] {1, 1, 4, 4},
                v(60, 70, 80, 0, 100, 111, 122, 3, 140, 155, 166, 7, 0, 9, 10, 11),
                b -> b.of(image, 1, 1, 4, 4).conv2d(b.of(v(1, 0, 0, 0, 0, 0, 0, 0, 10), 1, 1, 3, 3), 1, 1, 1)));
        t.add(known("conv2d 3x3 box filter, stride 2, padding 1", new int[] {1, 1, 2, 2}, v(14, 30, 57, 99),
                b -> b.of(image, 1, 1, 4, 4).conv2d(b.ones(1, 1, 3, 3), 2, 1, 1)));
        t.add(known("conv2d groups 2 keeps channels apart", new int[] {1, 2, 1, 1}, v(2, 30),
                b -> b.of(v(1, 10), 1, 2, 1, 1).conv2d(b.of(v(2, 3), 2, 1, 1, 1), 1, 0, 2)));
        t.add(known("var [1,2,3,4] correction 0 and 1", new int[] {2}, v(1.25f, 1.6666666f),
                b -> Tensor.concat(0, b.of(v(1, 2, 3, 4), 4).var(new int[] {0}, true, 0),
                        b.of(v(1, 2, 3, 4), 4).var(new int[] {0}, true, 1))));
        t.add(known("var of rows, correction 1", new int[] {2}, v(1.6666666f, 6.6666665f),
                b -> b.of(v(1, 2, 3, 4, 2, 4, 6, 8), 2, 4).var(new int[] {1}, false, 1)));
        t.add(known("avgPool2d(2,2) of 1..16", new int[] {1, 1, 2, 2}, v(3.5f, 5.5f, 11.5f, 13.5f),
                b -> b.of(image, 1, 1, 4, 4).avgPool2d(2, 2)));
        t.add(known("avgPool2d(3,1) of 1..16", new int[] {1, 1, 2, 2}, v(6, 7, 10, 11),
                b -> b.of(image, 1, 1, 4, 4).avgPool2d(3, 1)));
        t.add(known("upsampleNearest(2) of [[1,2],[3,4]]", new int[] {1, 1, 4, 4},
                v(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4),
                b -> b.of(v(1, 2, 3, 4), 1, 1, 2, 2).upsampleNearest(2)));
        t.add(known("upsampleNearest(2) gradient sums each 2x2 block", new int[] {1, 1, 1, 2}, v(10, 26),
                b -> gradOf(b, v(0, 0), new int[] {1, 1, 1, 2},
                        x -> x.upsampleNearest(2).mul(b.of(v(1, 2, 5, 6, 3, 4, 7, 8), 1, 1, 2, 4)).sum())));
        t.add(known("sum(0), mean(1), max(1), sum() of [[1,5,3],[4,2,6]]", new int[] {8}, v(5, 7, 9, 3, 4, 5, 6, 21),
                b -> {
                    Tensor x = b.of(v(1, 5, 3, 4, 2, 6), 2, 3);
                    return Tensor.concat(0, x.sum(0), x.mean(1), x.max(1), x.sum().reshape(1));
                }));
        t.add(known("max gradient is shared among ties", new int[] {3}, v(0, 0.5f, 0.5f),
                b -> gradOf(b, v(1, 3, 3), new int[] {3}, x -> x.max(0))));
        t.add(known("derivatives at 0: sigmoid 0.25, gelu 0.5, tanh 1, silu 0.5", new int[] {4}, v(0.25f, 0.5f, 1f, 0.5f),
                b -> Tensor.concat(0,
                        gradOf(b, v(0), new int[] {1}, x -> x.sigmoid().sum()),
                        gradOf(b, v(0), new int[] {1}, x -> x.gelu().sum()),
                        gradOf(b, v(0), new int[] {1}, x -> x.tanh().sum()),
                        gradOf(b, v(0), new int[] {1}, x -> x.silu().sum()))));
        t.add(known("derivatives at 1: gelu, geluTanh, silu", new int[] {3}, v(1.0833155f, 1.0829641f, 0.9276705f),
                b -> Tensor.concat(0,
                        gradOf(b, v(1), new int[] {1}, x -> x.gelu().sum()),
                        gradOf(b, v(1), new int[] {1}, x -> x.geluTanh().sum()),
                        gradOf(b, v(1), new int[] {1}, x -> x.silu().sum()))));
        t.add(known("broadcast add (2,1) + (3)", new int[] {2, 3}, v(11, 21, 31, 12, 22, 32),
                b -> b.of(v(1, 2), 2, 1).add(b.of(v(10, 20, 30), 3))));
        t.add(known("div, rdiv, clamp, relu, abs", new int[] {8}, v(0.25f, -0.25f, 0.5f, -1, 0.3f, 1, 0, 2),
                b -> Tensor.concat(0, b.of(v(1, 2), 2).div(b.of(v(4, -8), 2)), b.of(v(4), 1).rdiv(2),
                        b.of(v(-2, 0.3f, 5), 3).clamp(-1, 1), b.of(v(-2), 1).relu(), b.of(v(-2), 1).abs())));
        t.add(known("transpose then reshape reads column-major", new int[] {6}, v(1, 4, 2, 5, 3, 6),
                b -> b.of(v(1, 2, 3, 4, 5, 6), 2, 3).transpose(0, 1).reshape(6)));
        t.add(known("indexSelect rows 2,0,2", new int[] {3, 2}, v(5, 6, 1, 2, 5, 6),
                b -> b.of(v(1, 2, 3, 4, 5, 6), 3, 2).indexSelect(0, 2, 0, 2)));
        t.add(known("indexSelect gradient counts repeats", new int[] {3}, v(1, 0, 3),
                b -> gradOf(b, v(7, 8, 9), new int[] {3}, x -> x.indexSelect(0, 2, 0, 2, 2).sum())));
        t.add(known("pad [1,2] by (1,2) with 9", new int[] {5}, v(9, 1, 2, 9, 9),
                b -> b.of(v(1, 2), 2).pad(new int[] {1, 2}, 9f)));
        t.add(known("concat and stack", new int[] {2, 2, 2}, v(1, 2, 3, 4, 1, 3, 2, 4),
                b -> {
                    Tensor x = b.of(v(1, 2), 1, 2);
                    Tensor y = b.of(v(3, 4), 1, 2);
                    Tensor rows = Tensor.concat(0, x, y);
                    Tensor columns = Tensor.stack(-1, List.of(x, y)).reshape(2, 2);
                    return Tensor.stack(0, List.of(rows, columns));
                }));
        t.add(known("to() moves values between backends", new int[] {2}, v(1.5f, -2.5f),
                b -> b.of(v(1.5f, -2.5f), 2).to(reference()).to(b)));
        t.add(known("pow(x, 0) has gradient 0, also at x = 0 (as PyTorch)", new int[] {3}, v(0, 0, 0),
                b -> gradOf(b, v(0, 2, -3), new int[] {3}, x -> x.pow(0f).sum())));
        exactSums(t);
        return t.stream();
    }

    /**
     * Sums and variances that a float accumulator gets badly wrong: a float sum stops growing at
     * {@code 2^24}, drifts when it adds many small terms, and a variance taken as the mean of
     * squared deviations from a float mean inherits that mean's error.
     */
    private void exactSums(List<DynamicTest> t) {
        t.add(known("sum() and mean() of 2^25 ones", new int[] {2}, v(33_554_432f, 1f),
                b -> {
                    Tensor ones = b.ones(1 << 25);
                    return Tensor.concat(0, ones.sum().reshape(1), ones.mean().reshape(1));
                }));
        // 0.1f is 0.100000001490116..., so the exact sum of 10^7 copies is 1,000,000.0149
        t.add(known("sum() of 10^7 copies of 0.1", new int[] {}, v(1_000_000f),
                b -> b.full(0.1f, 10_000_000).sum()));
        t.add(known("sum(0) of a (3 * 4096 + 5, 2) column pair of 0.1 and 1", new int[] {2},
                v((float) (12_293 * (double) 0.1f), 12_293f),
                b -> b.full(0.1f, 12_293, 1).add(b.of(v(0, 0.9f), 2)).sum(new int[] {0}, false)));
        float[] nearMillion = new float[4096]; // 1e6 + u - 0.5, u uniform in [0, 1), as float
        float[] u = Gen.uniform(0, 1).make(new Rng(2024), nearMillion.length);
        for (int i = 0; i < nearMillion.length; i++) {
            nearMillion[i] = 1e6f + (u[i] - 0.5f);
        }
        t.add(known("var of 4,096 values 1e6 +- 0.5, correction 1 and 0", new int[] {2},
                v((float) exactVariance(nearMillion, 1), (float) exactVariance(nearMillion, 0)),
                b -> Tensor.concat(0, b.of(nearMillion, 4096).var(new int[] {0}, true, 1),
                        b.of(nearMillion, 4096).var(new int[] {0}, true, 0))));
        float[] equal = new float[1000];
        Arrays.fill(equal, 12345.678f);
        t.add(known("var of 1,000 equal values is 0, along rows and along columns", new int[] {3}, v(0, 0, 0),
                b -> Tensor.concat(0, b.of(equal, 1000).var(new int[] {0}, true, 1),
                        b.of(equal, 500, 2).var(new int[] {0}, false, 0))));
    }

    /** Returns {@code sum((x - mean)^2) / (n - correction)} in double, the mean in double too. */
    private static double exactVariance(float[] x, int correction) {
        double mean = 0;
        for (float e : x) {
            mean += e;
        }
        mean /= x.length;
        double squares = 0;
        for (float e : x) {
            squares += (e - mean) * (e - mean);
        }
        return squares / (x.length - correction);
    }

    private static float[] v(float... values) {
        return values;
    }

    /** Returns the gradient of {@code f} at a new leaf holding {@code x}. */
    private static Tensor gradOf(Backend b, float[] x, int[] shape, Function<Tensor, Tensor> f) {
        Tensor leaf = b.of(x, shape).requireGrad();
        f.apply(leaf).backward();
        return leaf.grad();
    }

    private DynamicTest known(String name, int[] shape, float[] expected, Function<Backend, Tensor> f) {
        return dynamicTest(name, () -> {
            Backend ref = reference();
            Backend test = backend();
            Shape s = Shape.of(shape);
            double[] e = TensorAssert.toDoubles(expected);
            Tensor r = ref.call(() -> f.apply(ref));
            assertEquals(s, r.shape(), "[" + REFERENCE_ID + "] " + name + ": shape");
            TensorAssert.assertClose(Tolerance.KNOWN_VALUE, REFERENCE_ID, name + " (known value)", s, e,
                    TensorAssert.toDoubles(r.toArray()));
            Tensor t = test.call(() -> f.apply(test));
            assertEquals(s, t.shape(), "[" + test.id() + "] " + name + ": shape");
            TensorAssert.assertClose(Tolerance.DEFAULT, test.id(), name + " (known value)", s, e,
                    TensorAssert.toDoubles(t.toArray()));
        });
    }

    // ================================================================== optimiser kernels

    /** Sizes of the optimiser cases: one element, a vector's tail, and enough for several parallel chunks. */
    private static final int[] OPTIMIZER_SIZES = {1, 37, 100_003};

    /**
     * Runs three Adam steps in place ({@link Parameter#adamStep}, the {@code adamStep} kernel) on the
     * backend under test and on the reference from the same values and gradients, and compares the
     * parameter and both moments after every step under {@link Tolerance#DEFAULT}: plain Adam, and
     * AdamW with a large step, a weight decay and a gradient scale. Then three moving-average
     * updates ({@link StateBuffer#moveTowards}, the {@code movingAverage} kernel). The kernels are
     * specified operation by operation, so a correct backend in fact gives the reference's bits.
     *
     * @return one test per case and size
     */
    @TestFactory
    public Stream<DynamicTest> optimizerKernelsMatchReference() {
        List<DynamicTest> t = new ArrayList<>();
        for (int n : OPTIMIZER_SIZES) {
            t.add(dynamicTest("adamStep n=" + n + " [3 steps vs " + REFERENCE_ID + "]",
                    () -> adamMatchesReference(n, 1e-3f, 0f, 1f)));
            t.add(dynamicTest("adamStep AdamW lr 0.1, decay 0.1, gradient scale 0.5, n=" + n + " [3 steps vs "
                    + REFERENCE_ID + "]", () -> adamMatchesReference(n, 0.1f, 0.1f, 0.5f)));
            t.add(dynamicTest("movingAverage n=" + n + " [3 updates vs " + REFERENCE_ID + "]",
                    () -> movingAverageMatchesReference(n)));
        }
        return t.stream();
    }

    private void adamMatchesReference(int n, float lr, float weightDecay, float gradScale) {
        Backend ref = reference();
        Backend test = backend();
        String id = test.id();
        String what = "adamStep(n=" + n + ", lr " + lr + ", weight decay " + weightDecay + ", gradient scale "
                + gradScale + ")";
        Rng rng = new Rng(1000 + n);
        float[] p0 = Gen.normal(1).make(rng, n);
        Parameter pr = new Parameter(ref.of(p0, n));
        Parameter pt = new Parameter(test.of(p0, n));
        StateBuffer mr = StateBuffer.zeros(ref, Shape.of(n));
        StateBuffer vr = StateBuffer.zeros(ref, Shape.of(n));
        StateBuffer mt = StateBuffer.zeros(test, Shape.of(n));
        StateBuffer vt = StateBuffer.zeros(test, Shape.of(n));
        float beta1 = 0.9f;
        float beta2 = 0.999f;
        for (int step = 1; step <= 3; step++) {
            float[] g = Gen.normal(step == 2 ? 0.01 : 1).make(rng, n); // small gradients once: v falls behind
            float c1 = (float) (1 - Math.pow(beta1, step));
            float c2 = (float) (1 - Math.pow(beta2, step));
            setGrad(ref, pr, g);
            setGrad(test, pt, g);
            pr.adamStep(mr, vr, lr, beta1, beta2, c1, c2, 1e-8f, weightDecay, gradScale);
            pt.adamStep(mt, vt, lr, beta1, beta2, c1, c2, 1e-8f, weightDecay, gradScale);
            String at = what + " step " + step;
            assertAll(at,
                    () -> TensorAssert.assertClose(Tolerance.DEFAULT, id, at + ": parameter", pr.value(), pt.value()),
                    () -> TensorAssert.assertClose(Tolerance.DEFAULT, id, at + ": first moment", mr.snapshot(),
                            mt.snapshot()),
                    () -> TensorAssert.assertClose(Tolerance.DEFAULT, id, at + ": second moment", vr.snapshot(),
                            vt.snapshot()),
                    () -> assertFalse(pt.value().hasGrad(), "[" + id + "] " + at + ": the gradient was not cleared"),
                    () -> assertTrue(pt.value().requiresGrad(), "[" + id + "] " + at + ": the value must stay trainable"));
        }
    }

    private void movingAverageMatchesReference(int n) {
        Backend ref = reference();
        Backend test = backend();
        Rng rng = new Rng(2000 + n);
        float[] a0 = Gen.normal(1).make(rng, n);
        StateBuffer ar = StateBuffer.copyOf(ref.of(a0, n));
        StateBuffer at = StateBuffer.copyOf(test.of(a0, n));
        for (int step = 1; step <= 3; step++) {
            float[] x = Gen.normal(1).make(rng, n);
            float decay = step == 1 ? 0.5f : 0.999f;
            ar.moveTowards(ref.of(x, n), decay);
            at.moveTowards(test.of(x, n), decay);
            TensorAssert.assertClose(Tolerance.DEFAULT, test.id(), "movingAverage(n=" + n + ", decay " + decay
                    + ") update " + step, ar.snapshot(), at.snapshot());
        }
    }

    /** Gives {@code p} the gradient {@code g} exactly: {@code d/dp sum(p * g) = g}. */
    private static void setGrad(Backend b, Parameter p, float[] g) {
        b.run(() -> p.value().mul(b.of(g, g.length)).sum().backward());
    }

    /**
     * Two Adam steps of three elements against Algorithm 1 of Kingma and Ba (2015), evaluated in
     * double (see {@link #adamInDouble}): on the reference under {@link Tolerance#KNOWN_VALUE}, on
     * the backend under test under {@link Tolerance#DEFAULT}. Checks the bias corrections at
     * {@code t = 1} and {@code t = 2}, and AdamW's decoupled decay.
     *
     * @return one test per case
     */
    @TestFactory
    public Stream<DynamicTest> adamKnownValues() {
        float[] p0 = v(1f, -0.5f, 2f);
        float[] g1 = v(0.5f, -0.25f, 0f);
        float[] g2 = v(-1f, 0.125f, 3f);
        List<DynamicTest> t = new ArrayList<>();
        for (float wd : new float[] {0f, 0.1f}) {
            float lr = 0.1f;
            String name = (wd == 0f ? "Adam" : "AdamW decay " + wd) + ", lr 0.1, two steps: parameter, m, v";
            t.add(known(name, new int[] {9}, adamInDouble(p0, g1, g2, lr, wd), b -> {
                Parameter p = new Parameter(b.of(p0, 3));
                StateBuffer m = StateBuffer.zeros(b, Shape.of(3));
                StateBuffer vv = StateBuffer.zeros(b, Shape.of(3));
                for (int step = 1; step <= 2; step++) {
                    setGrad(b, p, step == 1 ? g1 : g2);
                    p.adamStep(m, vv, lr, 0.9f, 0.999f, (float) (1 - Math.pow(0.9f, step)),
                            (float) (1 - Math.pow(0.999f, step)), 1e-8f, wd, 1f);
                }
                return Tensor.concat(0, p.value().detach(), m.snapshot(), vv.snapshot());
            }));
        }
        return t.stream();
    }

    /**
     * Returns the parameter, m and v after two Adam steps, in double: for each element
     * {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
     * {@code p = p (1 - lr wd) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)}, with the float
     * hyperparameters {@code b1 = 0.9f}, {@code b2 = 0.999f}, {@code eps = 1e-8f} the kernel is given.
     */
    private static float[] adamInDouble(float[] p0, float[] g1, float[] g2, float lr, float wd) {
        double b1 = 0.9f;
        double b2 = 0.999f;
        double eps = 1e-8f;
        int n = p0.length;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = p0[i];
        }
        for (int t = 1; t <= 2; t++) {
            float[] g = t == 1 ? g1 : g2;
            for (int i = 0; i < n; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] = p[i] * (1 - (double) lr * wd) - lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) p[i];
            out[n + i] = (float) m[i];
            out[2 * n + i] = (float) v[i];
        }
        return out;
    }

    /**
     * In-place updates leave autograd alone: the value stays a trainable leaf, the tensor the
     * parameter was made from and earlier snapshots keep their values, a parameter set from another
     * one's updated value gets a copy, a backward pass through values overwritten since its forward
     * pass fails naming the cause, and a step inside a workspace survives its recycle.
     */
    @Test
    public void inPlaceUpdatesAreSafe() {
        Backend b = backend();
        Shape s = Shape.of(3);
        Tensor initial = b.of(v(1, 2, 3), 3);
        Parameter p = new Parameter(initial);
        StateBuffer m = StateBuffer.zeros(b, s);
        StateBuffer vv = StateBuffer.zeros(b, s);
        setGrad(b, p, v(1, 1, 1));
        p.adamStep(m, vv, 0.5f, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0f, 1f);
        assertEquals(List.of(1f, 2f, 3f), boxed(initial.toArray()), "the tensor the parameter was made from changed");
        Tensor firstMoment = m.snapshot();
        Tensor live = p.value();
        float[] afterOne = live.toArray();
        Parameter copy = new Parameter(live);
        setGrad(b, p, v(1, 1, 1));
        p.adamStep(m, vv, 0.5f, 0.9f, 0.999f, 0.19f, 0.002f, 1e-8f, 0f, 1f);
        assertAll(
                () -> assertTrue(p.value().requiresGrad() && !p.value().hasGrad(), "a trainable leaf without a gradient"),
                () -> assertFalse(Arrays.equals(afterOne, live.toArray()), "the parameter's value was not updated in place"),
                () -> assertEquals(boxed(afterOne), boxed(copy.value().toArray()),
                        "a parameter made from another one's value shares its buffer"),
                () -> assertEquals(List.of(1f - 0.9f, 1f - 0.9f, 1f - 0.9f), boxed(firstMoment.toArray()),
                        "a snapshot changed"));

        Tensor loss = p.value().mul(p.value()).sum();          // recorded with the current values
        p.value().zeroGrad();
        setGrad(b, p, v(1, 1, 1));
        p.adamStep(m, vv, 0.5f, 0.9f, 0.999f, 0.271f, 0.003f, 1e-8f, 0f, 1f); // overwrites them
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().startsWith("backward:") && e.getMessage().contains("in place")
                && e.getMessage().contains("'mul'") && e.getMessage().contains("(3)"), e.getMessage());

        Autograd.Scope noGrad = Autograd.noGrad();
        Workspace ws = Workspace.openDebug();
        try {
            Parameter q = new Parameter(b.of(v(1, 2, 3), 3));  // on a buffer of the workspace
            noGrad.close();                                    // recording again, for the gradient
            setGrad(b, q, v(1, 1, 1));
            q.adamStep(StateBuffer.zeros(b, s), StateBuffer.zeros(b, s), 0.5f, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0f, 1f);
            float[] stepped = q.value().toArray();
            ws.recycle();                                      // takes the workspace's buffer back
            assertEquals(boxed(stepped), boxed(q.value().toArray()),
                    "a stepped parameter must hold a buffer of its own, which no recycle takes");
        } finally {
            ws.close();
            noGrad.close();
        }
    }

    private static List<Float> boxed(float[] x) {
        List<Float> out = new ArrayList<>();
        for (float f : x) {
            out.add(f);
        }
        return out;
    }

    // ================================================================== autograd semantics

    /** {@code y = x*x + x} uses {@code x} twice: the gradient is the sum, {@code 2x + 1}. */
    @Test
    public void gradientsAccumulateWhenATensorIsUsedTwice() {
        Backend b = backend();
        float[] xs = v(-1.5f, 0f, 0.5f, 2f, 3.25f, -0.75f);
        Tensor x = b.of(xs, 2, 3).requireGrad();
        x.mul(x).add(x).backward(b.ones(2, 3));
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "grad of x*x + x",
                b.of(v(-2, 1, 2, 5, 7.5f, -0.5f), 2, 3), x.grad());

        Tensor z = b.of(xs, 2, 3).requireGrad();
        Tensor e = z.exp();
        e.mul(e).sum().backward(); // d/dz exp(z)^2 = 2 exp(2z), through a shared intermediate
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "grad of exp(z)*exp(z) via a shared node",
                b.of(xs, 2, 3).mul(2).exp().mul(2), z.grad());
    }

    /** A second backward adds to the gradient; {@link Tensor#zeroGrad()} clears it. */
    @Test
    public void gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() {
        Backend b = backend();
        Tensor x = b.of(v(1, 2, 3), 3).requireGrad();
        Tensor w = b.of(v(0.5f, -1f, 2f), 3);
        x.mul(w).sum().backward();
        x.mul(w).sum().backward();
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "grad after two backward calls", w.mul(2), x.grad());
        x.zeroGrad();
        assertFalse(x.hasGrad(), "zeroGrad() must clear the gradient");
        x.mul(w).sum().backward();
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "grad after zeroGrad and backward", w, x.grad());
    }

    /** Inside {@link Autograd#noGrad()} nothing is recorded; recording resumes when it closes. */
    @Test
    public void noGradScopeRecordsNothing() {
        Backend b = backend();
        Tensor x = b.of(v(1, 2, 3), 3).requireGrad();
        assertTrue(Autograd.isEnabled());
        Autograd.Scope outer = Autograd.noGrad();
        try {
            Tensor y = x.mul(x).sum();
            assertFalse(y.requiresGrad(), "a result computed in noGrad() must not require grad");
            assertFalse(Autograd.isEnabled());
            Autograd.Scope inner = Autograd.noGrad();
            assertFalse(x.exp().requiresGrad());
            inner.close();
            inner.close(); // closing twice must not close the outer scope too
            assertFalse(Autograd.isEnabled(), "closing a nested scope must not re-enable recording");
            assertThrows(IllegalStateException.class, y::backward, "backward of an unrecorded result");
        } finally {
            outer.close();
        }
        assertTrue(Autograd.isEnabled());
        assertTrue(x.mul(x).requiresGrad(), "recording must resume after the scope");
        assertFalse(x.hasGrad(), "nothing may have reached x");
    }

    /** {@code backward()} without a gradient needs a one-element tensor. */
    @Test
    public void backwardOfANonScalarNeedsAGradient() {
        Backend b = backend();
        Tensor y = b.of(v(1, 2, 3, 4, 5, 6), 2, 3).requireGrad().mul(2);
        ShapeException e = assertThrows(ShapeException.class, y::backward);
        assertTrue(e.getMessage().contains("backward") && e.getMessage().contains("(2, 3)"), e.getMessage());
        ShapeException wrong = assertThrows(ShapeException.class, () -> y.backward(b.ones(3, 2)));
        assertTrue(wrong.getMessage().contains("(2, 3)") && wrong.getMessage().contains("(3, 2)"), wrong.getMessage());
    }

    /** {@code grad()} before any backward fails with a message that says what to do. */
    @Test
    public void gradBeforeBackwardExplainsItself() {
        Backend b = backend();
        Tensor x = b.of(v(1, 2), 2).requireGrad();
        IllegalStateException e = assertThrows(IllegalStateException.class, x::grad);
        assertTrue(e.getMessage().contains("backward()"), e.getMessage());
        Tensor plain = b.of(v(1, 2), 2);
        IllegalStateException p = assertThrows(IllegalStateException.class, plain::grad);
        assertTrue(p.getMessage().contains("requireGrad()"), p.getMessage());
        assertFalse(plain.add(plain).requiresGrad(), "ops on tensors without requireGrad() are not recorded");
    }

    /** Results cannot be made trainable; detach() and to() start new leaves without history. */
    @Test
    public void onlyLeavesAreTrainableAndDetachCutsHistory() {
        Backend b = backend();
        Tensor x = b.of(v(1, 2), 2).requireGrad();
        Tensor y = x.mul(3);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::requireGrad);
        assertTrue(e.getMessage().contains("detach()"), e.getMessage());
        Tensor d = y.detach();
        assertFalse(d.requiresGrad());
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "detach keeps values", y, d);
        x.mul(d).sum().backward();
        TensorAssert.assertClose(Tolerance.DEFAULT, b.id(), "gradient does not flow through detach", d, x.grad());
        if (reference() != b) {
            assertFalse(y.to(reference()).requiresGrad(), "to() another backend gives a leaf without history");
        }
        Tensor eq = x.eq(b.of(v(1, 0), 2));
        assertFalse(eq.requiresGrad(), "eq is not differentiable");
    }

    /** Combining tensors of two backends fails with a message naming both. */
    @Test
    public void mixingBackendsIsRejectedNamingBoth() {
        Backend test = backend();
        Optional<Backend> other = Backends.available().stream().filter(o -> !o.id().equals(test.id())).findFirst();
        Assumptions.assumeTrue(other.isPresent(), "only one backend (" + test.id() + ") is installed");
        Backend o = other.get();
        Tensor x = test.of(v(1, 2, 3, 4), 2, 2);
        Tensor y = o.of(v(1, 2, 3, 4), 2, 2);
        List<Executable> calls = List.of(() -> x.add(y), () -> x.mul(y), () -> x.matmul(y), () -> x.eq(y),
                () -> x.reshape(1, 1, 2, 2).conv2d(y.reshape(1, 1, 2, 2), 1, 0, 1),
                () -> Tensor.concat(0, x, y), () -> y.sub(x), () -> x.requireGrad().mul(2).backward(y));
        List<Executable> checks = new ArrayList<>();
        for (Executable call : calls) {
            checks.add(() -> {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
                assertTrue(e.getMessage().contains("'" + test.id() + "'") && e.getMessage().contains("'" + o.id() + "'"),
                        "message must name both backends: " + e.getMessage());
            });
        }
        assertAll(checks);
        TensorAssert.assertClose(Tolerance.DEFAULT, test.id(), "to() then add", x.add(x), x.add(y.to(test)));
    }

    // ================================================================== shape errors

    /**
     * Checks that bad shapes, dims and arguments fail with {@link ShapeException} (or, for null and
     * non-shape arguments, {@link IllegalArgumentException}) whose message names the op and every
     * shape, and never with an {@link ArrayIndexOutOfBoundsException} or a {@link NullPointerException}.
     *
     * @return one test per bad call
     */
    @TestFactory
    public Stream<DynamicTest> shapeErrors() {
        Backend b = backend();
        Tensor m23 = b.randn(new Rng(1), 2, 3);
        Tensor m45 = b.randn(new Rng(2), 4, 5);
        Tensor v4 = b.randn(new Rng(3), 4);
        Tensor t234 = b.randn(new Rng(4), 2, 3, 4);
        Tensor t345 = b.randn(new Rng(5), 3, 4, 5);
        Tensor s0 = b.of(v(1));
        Tensor img = b.randn(new Rng(6), 1, 3, 5, 5);
        Tensor img4 = b.randn(new Rng(7), 1, 4, 5, 5);
        Tensor w423 = b.randn(new Rng(8), 4, 2, 3, 3);
        Tensor w323 = b.randn(new Rng(9), 3, 2, 3, 3);
        Tensor w433 = b.randn(new Rng(10), 4, 3, 3, 3);
        Tensor tiny = b.randn(new Rng(11), 1, 1, 2, 2);
        Tensor w55 = b.randn(new Rng(12), 1, 1, 5, 5);
        Tensor t355 = b.randn(new Rng(13), 3, 5, 5);
        Tensor m32 = b.randn(new Rng(14), 3, 2);
        Tensor m24 = b.randn(new Rng(15), 2, 4);
        Class<ShapeException> se = ShapeException.class;
        Class<IllegalArgumentException> iae = IllegalArgumentException.class;
        List<DynamicTest> t = new ArrayList<>();
        t.add(rejects("matmul inner dims (2,3)@(4,5)", se, "matmul", () -> m23.matmul(m45), m23, m45));
        t.add(rejects("matmul batch dims (2,3,4)@(3,4,5)", se, "matmul", () -> t234.matmul(t345), t234, t345));
        t.add(rejects("matmul rank 0", se, "matmul", () -> s0.matmul(v4), s0, v4));
        t.add(rejects("matmul vector (4)@(2,3)", se, "matmul", () -> v4.matmul(m23), v4, m23));
        t.add(rejects("add (2,3)+(4)", se, "add", () -> m23.add(v4), m23, v4));
        t.add(rejects("sub (2,3)-(3,2)", se, "sub", () -> m23.sub(m32), m23, m32));
        t.add(rejects("mul (2,3)*(2,4)", se, "mul", () -> m23.mul(m24), m23, m24));
        t.add(rejects("div (2,3,4)/(4,5)", se, "div", () -> t234.div(m45), t234, m45));
        t.add(rejects("eq (2,3)==(4)", se, "eq", () -> m23.eq(v4), m23, v4));
        t.add(rejects("conv2d wrong channels", se, "conv2d", () -> img.conv2d(w423, 1, 0, 1), img, w423));
        t.add(rejects("conv2d groups do not divide out channels", se, "conv2d", () -> img4.conv2d(w323, 1, 0, 2),
                img4, w323));
        t.add(rejects("conv2d rank-3 input", se, "conv2d", () -> t355.conv2d(w433, 1, 0, 1), t355, w433));
        t.add(rejects("conv2d kernel larger than padded input", se, "conv2d", () -> tiny.conv2d(w55, 1, 1, 1),
                tiny, w55));
        t.add(rejects("conv2d stride 0", se, "conv2d", () -> img.conv2d(w433, 0, 0, 1), img, w433));
        t.add(rejects("conv2d negative padding", se, "conv2d", () -> img.conv2d(w433, 1, -1, 1), img, w433));
        t.add(rejects("reshape (2,3) to (4,2)", se, "reshape", () -> m23.reshape(4, 2), m23, Shape.of(4, 2)));
        t.add(rejects("reshape with two -1", se, "reshape", () -> m23.reshape(-1, -1), m23));
        t.add(rejects("reshape -1 that does not divide", se, "reshape", () -> m23.reshape(4, -1), m23));
        t.add(rejects("narrow out of range", se, "narrow", () -> m23.narrow(1, 2, 3), m23));
        t.add(rejects("narrow negative start", se, "narrow", () -> m23.narrow(1, -1, 1), m23));
        t.add(rejects("narrow dim out of range", se, "narrow", () -> m23.narrow(2, 0, 1), m23));
        t.add(rejects("slice out of range", se, "slice", () -> m23.slice(1, 2, 5), m23));
        t.add(rejects("indexSelect out of range", se, "indexSelect", () -> m23.indexSelect(1, 0, 3), m23));
        t.add(rejects("indexSelect negative index", se, "indexSelect", () -> m23.indexSelect(0, -1), m23));
        t.add(rejects("indexSelect dim out of range", se, "indexSelect", () -> m23.indexSelect(2, 0), m23));
        t.add(rejects("permute not a permutation", se, "permute", () -> t234.permute(0, 0, 1), t234));
        t.add(rejects("permute wrong length", se, "permute", () -> t234.permute(0, 1), t234));
        t.add(rejects("permute dim out of range", se, "permute", () -> t234.permute(0, 1, 3), t234));
        t.add(rejects("transpose dim out of range", se, "transpose", () -> m23.transpose(0, 2), m23));
        t.add(rejects("squeeze a dim that is not 1", se, "squeeze", () -> m23.squeeze(0), m23));
        t.add(rejects("unsqueeze out of range", se, "unsqueeze", () -> m23.unsqueeze(4), m23));
        t.add(rejects("broadcastTo incompatible", se, "broadcastTo", () -> m23.broadcastTo(3, 3), m23, Shape.of(3, 3)));
        t.add(rejects("broadcastTo lower rank", se, "broadcastTo", () -> m23.broadcastTo(3), m23, Shape.of(3)));
        t.add(rejects("sum dim out of range", se, "sum", () -> m23.sum(new int[] {2}, false), m23));
        t.add(rejects("sum dim listed twice", se, "sum", () -> m23.sum(new int[] {1, -1}, false), m23));
        t.add(rejects("sum no dims", se, "sum", () -> m23.sum(new int[] {}, false), m23));
        t.add(rejects("mean dim out of range", se, "mean", () -> m23.mean(-3), m23));
        t.add(rejects("max dim out of range", se, "max", () -> m23.max(2), m23));
        t.add(rejects("var correction too large", se, "var", () -> m23.var(new int[] {1}, false, 3), m23));
        t.add(rejects("softmax dim out of range", se, "softmax", () -> m23.softmax(2), m23));
        t.add(rejects("logSoftmax dim out of range", se, "logSoftmax", () -> m23.logSoftmax(-3), m23));
        t.add(rejects("groupNorm groups do not divide channels", se, "groupNorm",
                () -> m23.groupNorm(2, null, null, 1e-5f), m23));
        t.add(rejects("groupNorm groups 0", se, "groupNorm", () -> m23.groupNorm(0, null, null, 1e-5f), m23));
        t.add(rejects("groupNorm rank 1", se, "groupNorm", () -> v4.groupNorm(1, null, null, 1e-5f), v4));
        t.add(rejects("groupNorm weight of the wrong size", se, "groupNorm",
                () -> m23.groupNorm(1, v4, null, 1e-5f), m23, v4));
        t.add(rejects("groupNorm negative eps", iae, "groupNorm", () -> m23.groupNorm(1, null, null, -1f)));
        t.add(rejects("layerNorm rank 0", se, "layerNorm", () -> s0.layerNorm(null, null, 1e-5f), s0));
        t.add(rejects("layerNorm weight of the wrong size", se, "layerNorm", () -> m23.layerNorm(v4, null, 1e-5f),
                m23, v4));
        t.add(rejects("layerNorm bias of the wrong size", se, "layerNorm", () -> m23.layerNorm(null, v4, 1e-5f),
                m23, v4));
        t.add(rejects("layerNorm negative eps", iae, "layerNorm", () -> m23.layerNorm(null, null, -1f)));
        t.add(rejects("rmsNorm rank 0", se, "rmsNorm", () -> s0.rmsNorm(null, 1e-5f), s0));
        t.add(rejects("rmsNorm weight of the wrong size", se, "rmsNorm", () -> m23.rmsNorm(v4, 1e-5f), m23, v4));
        t.add(rejects("rmsNorm NaN eps", iae, "rmsNorm", () -> m23.rmsNorm(null, Float.NaN)));
        t.add(rejects("concat mismatched dims", se, "concat", () -> Tensor.concat(0, m23, m24), m23, m24));
        t.add(rejects("concat rank 0", se, "concat", () -> Tensor.concat(0, s0, s0), s0));
        t.add(rejects("concat dim out of range", se, "concat", () -> Tensor.concat(2, m23, m23), m23));
        t.add(rejects("stack different shapes", se, "stack", () -> Tensor.stack(0, List.of(m23, m32)),
                m23, m32));
        t.add(rejects("split size 0", se, "split", () -> m23.split(0, 1), m23));
        t.add(rejects("chunk 0", se, "chunk", () -> m23.chunk(0, 1), m23));
        t.add(rejects("pad odd length", se, "pad", () -> m23.pad(new int[] {1}, 0f), m23));
        t.add(rejects("pad more pairs than dims", se, "pad", () -> v4.pad(new int[] {1, 1, 1, 1}, 0f), v4));
        t.add(rejects("pad negative", se, "pad", () -> m23.pad(new int[] {-1, 0}, 0f), m23));
        t.add(rejects("avgPool2d kernel larger than input", se, "avgPool2d", () -> tiny.avgPool2d(3, 1), tiny));
        t.add(rejects("avgPool2d rank 3", se, "avgPool2d", () -> t355.avgPool2d(2, 2), t355));
        t.add(rejects("avgPool2d stride 0", se, "avgPool2d", () -> img.avgPool2d(2, 0), img));
        t.add(rejects("upsampleNearest rank 3", se, "upsampleNearest", () -> t355.upsampleNearest(2), t355));
        t.add(rejects("upsampleNearest factor 0", se, "upsampleNearest", () -> img.upsampleNearest(0), img));
        t.add(rejects("item of (2,3)", se, "item", m23::item, m23));
        t.add(rejects("get with too few indices", se, "get", () -> m23.get(1), m23));
        t.add(rejects("get out of bounds", se, "get", () -> m23.get(0, 3), m23));
        t.add(rejects("of with the wrong count", se, "of", () -> b.of(new float[5], 2, 3), Shape.of(2, 3)));
        t.add(rejects("clamp min above max", iae, "clamp", () -> m23.clamp(1f, -1f)));
        // null arguments
        t.add(rejects("add null", iae, "add", () -> m23.add((Tensor) null)));
        t.add(rejects("sub null", iae, "sub", () -> m23.sub((Tensor) null)));
        t.add(rejects("mul null", iae, "mul", () -> m23.mul((Tensor) null)));
        t.add(rejects("div null", iae, "div", () -> m23.div((Tensor) null)));
        t.add(rejects("eq null", iae, "eq", () -> m23.eq(null)));
        t.add(rejects("matmul null", iae, "matmul", () -> m23.matmul(null)));
        t.add(rejects("conv2d null weight", iae, "conv2d", () -> img.conv2d(null, 1, 0, 1)));
        t.add(rejects("reshape null", iae, "reshape", () -> m23.reshape((int[]) null)));
        t.add(rejects("permute null", iae, "permute", () -> m23.permute((int[]) null)));
        t.add(rejects("broadcastTo null", iae, "broadcastTo", () -> m23.broadcastTo((int[]) null)));
        t.add(rejects("indexSelect null", iae, "indexSelect", () -> m23.indexSelect(0, (int[]) null)));
        t.add(rejects("pad null", iae, "pad", () -> m23.pad(null, 0f)));
        t.add(rejects("backward null", iae, "backward", () -> b.of(v(1, 2), 2).requireGrad().mul(2).backward(null)));
        t.add(rejects("to null", iae, "to", () -> m23.to(null)));
        t.add(rejects("concat null list", iae, "concat", () -> Tensor.concat(0, (List<Tensor>) null)));
        t.add(rejects("concat empty list", iae, "concat", () -> Tensor.concat(0, List.of())));
        t.add(rejects("concat list with a null part", iae, "concat", () -> Tensor.concat(0, Arrays.asList(m23, null))));
        t.add(rejects("concat varargs with a null part", iae, "concat", () -> Tensor.concat(0, m23, null)));
        t.add(rejects("concat list whose first part is null", iae, "concat",
                () -> Tensor.concat(0, Arrays.asList(null, m23))));
        t.add(rejects("stack null list", iae, "stack", () -> Tensor.stack(0, null)));
        t.add(rejects("stack list with a null part", iae, "stack", () -> Tensor.stack(0, Arrays.asList(m23, null))));
        return t.stream();
    }

    /** Checks that {@code call} throws {@code type} whose message names {@code op} and every shape. */
    private DynamicTest rejects(String name, Class<? extends IllegalArgumentException> type, String op,
                                Executable call, Object... shapes) {
        return dynamicTest(name, () -> {
            Throwable e;
            try {
                call.execute();
                fail("[" + backendId() + "] " + name + ": expected " + type.getSimpleName() + " from " + op
                        + ", nothing thrown");
                return;
            } catch (Throwable thrown) {
                e = thrown;
            }
            if (!type.isInstance(e)) {
                throw new AssertionError("[" + backendId() + "] " + name + ": expected " + type.getSimpleName()
                        + " from " + op + ", got " + e, e);
            }
            String msg = String.valueOf(e.getMessage());
            assertTrue(msg.startsWith(op + ":") || msg.startsWith(op + " ") || msg.contains(op + ":"),
                    "[" + backendId() + "] " + name + ": message must name the op '" + op + "': " + msg);
            if (e instanceof ShapeException && type == ShapeException.class) {
                assertEquals(op, ((ShapeException) e).op(), "ShapeException.op()");
            }
            for (Object s : shapes) {
                String shape = (s instanceof Tensor ? ((Tensor) s).shape() : s).toString();
                assertTrue(msg.contains(shape), "[" + backendId() + "] " + name + ": message must name shape "
                        + shape + ": " + msg);
            }
        });
    }
}
