package org.minidiffusion.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.core.spi.ReduceOp;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * The tape's buffer reuse and its safety rules: a backward pass gives back the buffers of
 * intermediate gradients and of a block's tensors, never a buffer the caller can reach (an op's
 * result outside a block, a leaf's gradient, the seed), and sums gradients in place only into a
 * buffer nothing else uses. Each test runs on a new thread with
 * {@link Workspace#DEBUG_PROPERTY} set, so that its spare arrays are its own and every buffer
 * given back is filled with NaN: a new array (zeros) and a reused one (NaN) tell apart, and a
 * buffer read after it was given back shows NaN. Tests that count spares keep the graph of the
 * pass that gave them back, which holds them against the garbage collector.
 *
 * <p>The kernels are the few element-wise ones these ops need, written out here so that the core
 * is tested without a backend module.
 */
class TapeBufferReuseTests {
    private static final Backend B = backend();

    private static Backend backend() {
        Kernels k = mock(Kernels.class, invocation -> {
            Object[] a = invocation.getArguments();
            switch (invocation.getMethod().getName()) {
                case "binary":
                    binary((BinaryOp) a[0], (int[]) a[1], (float[]) a[2], (int) a[3], (int[]) a[4],
                            (float[]) a[5], (int) a[6], (int[]) a[7], (float[]) a[8]);
                    return null;
                case "copy":
                    copy((int[]) a[0], (float[]) a[1], (int) a[2], (int[]) a[3], (float[]) a[4], (int) a[5], (int[]) a[6]);
                    return null;
                case "reduce":
                    reduce((ReduceOp) a[0], (float[]) a[1], (int) a[2], (int) a[3], (int) a[4], (float[]) a[5]);
                    return null;
                case "map":
                    for (int i = 0; i < (int) a[5]; i++) {
                        ((float[]) a[4])[i] = ((UnaryOp) a[0]).apply(((float[]) a[3])[i], (float) a[1], (float) a[2]);
                    }
                    return null;
                case "mapBackward":
                    for (int i = 0; i < (int) a[7]; i++) {
                        float d = ((UnaryOp) a[0]).derivative(((float[]) a[3])[i], ((float[]) a[4])[i], (float) a[1], (float) a[2]);
                        ((float[]) a[6])[i] = ((float[]) a[5])[i] * d;
                    }
                    return null;
                default:
                    throw new UnsupportedOperationException(invocation.getMethod().getName());
            }
        });
        BackendProvider p = mock(BackendProvider.class);
        when(p.id()).thenReturn("elementwise");
        when(p.description()).thenReturn("element-wise kernels of the tape tests");
        when(p.createKernels()).thenReturn(k);
        return Backend.of(p);
    }

    private static void binary(BinaryOp op, int[] shape, float[] a, int ao, int[] as, float[] b, int bo, int[] bs,
                               float[] out) {
        int n = DenseTensor.product(shape, 0, shape.length);
        for (int i = 0; i < n; i++) {
            int ia = ao;
            int ib = bo;
            for (int d = shape.length - 1, r = i; d >= 0; r /= shape[d], d--) {
                ia += r % shape[d] * as[d];
                ib += r % shape[d] * bs[d];
            }
            out[i] = op.apply(a[ia], b[ib]);
        }
    }

    private static void copy(int[] shape, float[] src, int so, int[] ss, float[] dst, int dOff, int[] ds) {
        int n = DenseTensor.product(shape, 0, shape.length);
        for (int i = 0; i < n; i++) {
            int is = so;
            int id = dOff;
            for (int d = shape.length - 1, r = i; d >= 0; r /= shape[d], d--) {
                is += r % shape[d] * ss[d];
                id += r % shape[d] * ds[d];
            }
            dst[id] = src[is];
        }
    }

    private static void reduce(ReduceOp op, float[] x, int outer, int length, int inner, float[] out) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                double acc = op == ReduceOp.SUM ? 0 : Double.NEGATIVE_INFINITY;
                for (int l = 0; l < length; l++) {
                    float v = x[(o * length + l) * inner + j];
                    acc = op == ReduceOp.SUM ? acc + v : Math.max(acc, v);
                }
                out[o * inner + j] = (float) acc;
            }
        }
    }

    /** Runs {@code test} on a new thread, with no spare arrays yet, and NaN-filled give-backs. */
    private static void onNewThread(Executable test) throws Exception {
        FutureTask<Void> task = new FutureTask<>(() -> {
            try {
                test.execute();
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            return null;
        });
        String before = System.getProperty(Workspace.DEBUG_PROPERTY);
        System.setProperty(Workspace.DEBUG_PROPERTY, "true");
        try {
            Thread thread = new Thread(task, "tape test");
            thread.start();
            task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw (Exception) e.getCause();
        } finally {
            if (before == null) {
                System.clearProperty(Workspace.DEBUG_PROPERTY);
            } else {
                System.setProperty(Workspace.DEBUG_PROPERTY, before);
            }
        }
    }

    private static float[] array(Tensor t) {
        return DenseTensor.storageOf(t, "test").array();
    }

    private static boolean allNaN(float[] a) {
        for (float v : a) {
            if (!Float.isNaN(v)) {
                return false;
            }
        }
        return a.length > 0;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    @Test
    void anIntermediateGradientIsGivenBackAndTheNextAllocationOfItsLengthReusesIt() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3, 4, 5, 6, 7}, 7).requireGrad();
            Tensor y = x.mul(2f);
            Tensor z = y.mul(3f);
            Tensor loss = z.sum();
            loss.backward();  // d/dz: a view of the seed; d/dy: a new array, given back once y's backward ran
            assertArrayEquals(filled(7, 6f), x.grad().toArray());
            float[] reused = BufferPool.allocate(7);
            assertTrue(allNaN(reused), "the gradient of y was given back (filled with NaN in debug): "
                    + Arrays.toString(reused));
            assertNotSame(array(x.grad()), reused, "a leaf's gradient is never given back");
            assertFalse(allNaN(BufferPool.allocate(7)), "exactly one buffer of 7 was given back");
            assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12, 14}, y.toArray(), "op results stay readable");
            assertArrayEquals(new float[] {6, 12, 18, 24, 30, 36, 42}, z.toArray());
            Reference.reachabilityFence(loss); // its graph holds the spares it gave back
        });
    }

    @Test
    void leafGradientsOpResultsAndTheSeedAreNeverGivenBack() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3, 4, 5}, 5).requireGrad();
            Tensor y = x.mul(2f);
            Tensor z = x.mul(3f);
            Tensor w = y.add(z).mul(1f);    // x used twice: its two gradients are summed
            Tensor seed = B.of(new float[] {1, 1, 1, 1, 1}, 5);
            w.backward(seed);
            Tensor first = x.grad();
            assertArrayEquals(filled(5, 5f), first.toArray());
            List<float[]> taken = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                taken.add(BufferPool.allocate(5)); // takes every spare of this length
            }
            for (Tensor kept : List.of(x, y, z, w, seed, first)) {
                float[] a = array(kept);
                assertTrue(taken.stream().noneMatch(t -> t == a), "a reachable buffer was given back");
            }
            assertArrayEquals(new float[] {5, 10, 15, 20, 25}, w.toArray());
            assertArrayEquals(filled(5, 1f), seed.toArray());
            // a second pass adds to the gradient of the first in a new buffer: the first stays as it was
            w.backward(seed);
            assertArrayEquals(filled(5, 10f), x.grad().toArray());
            assertArrayEquals(filled(5, 5f), first.toArray(), "a gradient the caller holds is never written");
        });
    }

    @Test
    void aLeafGradientOfThisPassTakesTheSecondContributionInPlace() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3}, 3).requireGrad();
            Tensor out = x.mul(2f).add(x.mul(4f));
            out.backward(B.of(filled(3, 1f), 3));
            assertArrayEquals(filled(3, 6f), x.grad().toArray());
            // one of the two per-branch gradients became x's gradient, the other was added into it
            // and given back: exactly one spare of 3 (a new sum would have given back both)
            assertTrue(allNaN(BufferPool.allocate(3)));
            assertFalse(allNaN(BufferPool.allocate(3)));
            Reference.reachabilityFence(out);
        });
    }

    @Test
    void aGradientStillInFlightToAnotherInputIsNotWrittenInPlace() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 1, 1, 1}, 4).requireGrad();
            DenseTensor p = (DenseTensor) x.mul(2f);
            DenseTensor q = (DenseTensor) x.mul(5f);
            // an op whose backward sends one buffer, t, to its first and third inputs and another, u,
            // to the second: p's gradient is t + u, q's is t, and t must not become t + u on its way
            DenseTensor probe = p.result("probe", BufferPool.allocate(4), new int[] {4}, g -> {
                DenseTensor t = g.mul(1f);
                DenseTensor u = g.mul(10f);
                return Tape.grads(t, u, t);
            }, p, p, q);
            probe.mul(1f).sum().backward();
            // dx = 2 (t + u) + 5 t = 2 * 11 + 5 = 27; had t been summed in place, 2 * 11 + 5 * 11 = 77
            assertArrayEquals(filled(4, 27f), x.grad().toArray());
        });
    }

    @Test
    void theSameGradientSentTwiceToOneInputIsSummedIntoANewBuffer() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2}, 2).requireGrad();
            Tensor y = x.mul(3f);
            y.add(y).mul(1f).sum().backward(); // add sends its gradient g to y twice, as one buffer
            assertArrayEquals(filled(2, 6f), x.grad().toArray());
        });
    }

    @Test
    void aBlocksTensorsAreGivenBackAfterBackwardAndRefuseToBeRead() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3}, 3).requireGrad();
            Tensor[] inside = new Tensor[1];
            Tensor out = Workspace.scoped(() -> {
                inside[0] = x.mul(2f);       // kept here only to show the rule; a block must not keep it
                return inside[0].mul(3f);
            });
            Tensor after = out.mul(1f);
            assertArrayEquals(new float[] {2, 4, 6}, inside[0].toArray(), "readable until backward");
            after.sum().backward();
            assertArrayEquals(filled(3, 6f), x.grad().toArray());
            assertArrayEquals(new float[] {6, 12, 18}, out.toArray(), "the block's result stays readable");
            assertArrayEquals(new float[] {6, 12, 18}, after.toArray());
            IllegalStateException e = assertThrows(IllegalStateException.class, inside[0]::toArray);
            assertTrue(e.getMessage().startsWith("toArray: ") && e.getMessage().contains("(3)")
                    && e.getMessage().contains("block") && e.getMessage().contains("backward()"), e.getMessage());
            assertTrue(inside[0].toString().contains("recycled after backward"), inside[0].toString());
            IllegalStateException again = assertThrows(IllegalStateException.class, () -> after.sum().backward());
            assertTrue(again.getMessage().contains("already back-propagated") && again.getMessage().contains("'mul'"),
                    again.getMessage());
            assertArrayEquals(filled(3, 6f), x.grad().toArray(), "the refused pass added nothing");
        });
    }

    @Test
    void aBlocksTensorsStayReadableWithoutBackwardAndWhenNothingIsRecorded() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2}, 2).requireGrad();
            Tensor[] inside = new Tensor[3];
            Tensor recorded = Workspace.scoped(() -> {
                inside[0] = x.mul(2f);
                return inside[0].mul(3f);
            });
            assertArrayEquals(new float[] {6, 12}, recorded.toArray());
            assertArrayEquals(new float[] {2, 4}, inside[0].toArray(), "no backward pass: nothing given back");
            Tensor plain = B.of(new float[] {1, 2}, 2);
            Workspace.scoped(() -> {
                inside[1] = plain.mul(2f);
                return inside[1].mul(3f);
            }).sum();
            try (Autograd.Scope noGrad = Autograd.noGrad()) {
                Workspace.scoped(() -> {
                    inside[2] = x.mul(2f);
                    return inside[2].mul(3f);
                });
            }
            recorded.sum().backward();
            assertThrows(IllegalStateException.class, inside[0]::toArray);
            assertArrayEquals(new float[] {2, 4}, inside[1].toArray(), "unrecorded result: the block is left alone");
            assertArrayEquals(new float[] {2, 4}, inside[2].toArray(), "no-grad and no workspace: left alone");
        });
    }

    @Test
    void nestedBlocksGiveBackTheInnerResultWithTheOuterBlock() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3, 4}, 4).requireGrad();
            Tensor[] seen = new Tensor[2];
            Tensor out = Workspace.scoped(() -> {
                seen[0] = Workspace.scoped(() -> {
                    seen[1] = x.mul(2f);
                    return seen[1].add(1f);
                });
                return seen[0].mul(5f);
            });
            Tensor loss = out.sum();
            loss.backward();
            assertArrayEquals(filled(4, 10f), x.grad().toArray());
            assertArrayEquals(new float[] {15, 25, 35, 45}, out.toArray());
            assertThrows(IllegalStateException.class, seen[0]::toArray, "the inner result is the outer block's tensor");
            assertThrows(IllegalStateException.class, seen[1]::toArray);
            int nan = 0;
            for (int i = 0; i < 4; i++) {
                nan += allNaN(BufferPool.allocate(4)) ? 1 : 0;
            }
            assertEquals(3, nan, "the two block tensors and the one gradient of 4 not kept by x");
            Reference.reachabilityFence(loss);
        });
    }

    @Test
    void sparesUnusedForTwoPassesAreDropped() throws Exception {
        onNewThread(() -> {
            Tensor x = B.of(new float[] {1, 2, 3, 4, 5, 6}, 6).requireGrad();
            x.mul(2f).mul(3f).sum().backward();   // gives back one buffer of 6
            Tensor w = B.of(new float[] {1, 2}, 2).requireGrad();
            w.mul(2f).sum().backward();
            w.mul(2f).sum().backward();
            assertFalse(allNaN(BufferPool.allocate(6)), "the spare of 6 was dropped after two unused passes");
        });
    }
}
