package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.BackendProvider;

/**
 * Buffer reuse and its safety rules, with factories and views only, so no kernel is needed; the
 * backend kit runs every op inside a workspace.
 */
class WorkspaceTests {
    private static final Backend B = noKernels();
    private static final float[] VALUES = {1, 2, 3, 4, 5, 6};

    private Autograd.Scope noGrad;

    private static Backend noKernels() {
        BackendProvider p = mock(BackendProvider.class);
        when(p.id()).thenReturn("none");
        when(p.description()).thenReturn("creation only");
        return Backend.of(p);
    }

    @BeforeEach
    void openNoGrad() {
        noGrad = Autograd.noGrad();
    }

    @AfterEach
    void closeNoGrad() {
        noGrad.close();
    }

    @Test
    void aRecycledTensorRefusesToBeReadNamingTheOpAndShape() {
        try (Workspace ws = Workspace.open()) {
            Tensor x = B.of(VALUES, 2, 3);
            ws.recycle();
            IllegalStateException get = assertThrows(IllegalStateException.class, () -> x.get(0, 1));
            String m = get.getMessage();
            assertTrue(m.startsWith("get: ") && m.contains("(2, 3)") && m.contains("Workspace.recycle")
                    && m.contains("survivor") && m.contains("toArray()"), m);
            IllegalStateException reshape = assertThrows(IllegalStateException.class, () -> x.reshape(6));
            assertTrue(reshape.getMessage().startsWith("reshape: "), reshape.getMessage());
            IllegalStateException toArray = assertThrows(IllegalStateException.class, x::toArray);
            assertTrue(toArray.getMessage().startsWith("toArray: "), toArray.getMessage());
            assertThrows(IllegalStateException.class, x::detach);
            assertTrue(x.toString().contains("recycled"), "toString must not throw: " + x);
            assertEquals(Shape.of(2, 3), x.shape(), "metadata stays readable");
        }
    }

    @Test
    void survivorsAndTheirViewsStayValidUntilALaterRecycle() {
        try (Workspace ws = Workspace.open()) {
            Tensor x = B.of(VALUES, 2, 3);
            Tensor view = x.reshape(3, 2);
            Tensor other = B.of(VALUES, 6);
            ws.recycle(view);
            Tensor reused = B.zeros(6);     // takes other's buffer, not x's
            assertEquals(1, ws.reusedAllocations());
            assertArrayEquals(VALUES, x.toArray());
            assertArrayEquals(VALUES, view.toArray());
            assertArrayEquals(new float[6], reused.toArray());
            assertThrows(IllegalStateException.class, other::toArray);
            ws.recycle(reused);              // x did not survive this time
            assertThrows(IllegalStateException.class, x::toArray);
            assertThrows(IllegalStateException.class, view::toArray);
            IllegalStateException again = assertThrows(IllegalStateException.class, () -> ws.recycle(x));
            assertTrue(again.getMessage().contains("already recycled"), again.getMessage());
        }
    }

    @Test
    void buffersAreReusedByLengthAndZerosAreZeroAgain() {
        try (Workspace ws = Workspace.openDebug()) {
            B.of(VALUES, 6);
            B.full(7f, 2, 2);
            assertEquals(2, ws.freshAllocations());
            ws.recycle();
            Tensor zeros = B.zeros(3, 2);    // a NaN-filled buffer from the pool
            Tensor sevens = B.full(7f, 4);
            Tensor fresh = B.ones(5);        // no free buffer of 5
            assertArrayEquals(new float[6], zeros.toArray());
            assertArrayEquals(new float[] {7, 7, 7, 7}, sevens.toArray());
            assertArrayEquals(new float[] {1, 1, 1, 1, 1}, fresh.toArray());
            assertEquals(3, ws.freshAllocations());
            assertEquals(2, ws.reusedAllocations());
            assertEquals(4L * (6 + 4 + 5), ws.heldBytes());
        }
    }

    @Test
    void toArrayNeverReturnsAPooledArray() {
        try (Workspace ws = Workspace.openDebug()) {
            float[] copy = B.of(VALUES, 6).toArray();
            ws.recycle();
            B.randn(new Rng(1), 6);          // reuses the tensor's buffer
            assertEquals(1, ws.reusedAllocations());
            assertArrayEquals(VALUES, copy);
        }
    }

    @Test
    void openingWhileRecordingIsRefusedAndRecordingAllocatesNormally() {
        noGrad.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, Workspace::open);
        assertTrue(e.getMessage().contains("Autograd.noGrad()"), e.getMessage());
        Autograd.Scope scope = Autograd.noGrad();
        Workspace ws = Workspace.open();
        scope.close();                       // recording again, with the workspace still open
        try {
            Tensor recorded = B.of(VALUES, 6);
            ws.recycle();
            assertEquals(0, ws.freshAllocations(), "a tensor made while recording came from the pool");
            assertArrayEquals(VALUES, recorded.toArray());
        } finally {
            ws.close();
            noGrad = Autograd.noGrad();
        }
    }

    @Test
    void aNestedWorkspaceSharesFreeBuffersAndHandsItsLiveOnesToTheOuterOne() {
        try (Workspace outer = Workspace.open()) {
            Tensor a = B.of(VALUES, 6);
            Tensor kept;
            try (Workspace inner = Workspace.open()) {
                Tensor b = B.of(VALUES, 6);
                kept = B.of(VALUES, 3, 2);
                inner.recycle(kept);
                assertThrows(IllegalStateException.class, b::toArray);
                assertArrayEquals(VALUES, a.toArray(), "the inner recycle took back an outer buffer");
                assertEquals(3, outer.freshAllocations(), "the counts are shared");
            }
            Tensor c = B.of(VALUES, 6);      // the buffer the inner workspace freed
            assertEquals(3, outer.freshAllocations());
            assertEquals(1, outer.reusedAllocations());
            assertArrayEquals(VALUES, kept.toArray(), "closing the inner workspace invalidated its survivor");
            outer.recycle(c);
            assertThrows(IllegalStateException.class, a::toArray);
            assertThrows(IllegalStateException.class, kept::toArray, "the outer workspace did not take over");
            assertArrayEquals(VALUES, c.toArray());
        }
    }

    @Test
    void scopedKeepsOnlyTheResultAndDoesNothingWithoutAWorkspace() {
        Tensor[] temporary = new Tensor[1];
        Tensor plain = Workspace.scoped(() -> {
            temporary[0] = B.of(VALUES, 6);
            return temporary[0].reshape(2, 3);
        });
        assertArrayEquals(VALUES, temporary[0].toArray(), "no workspace: nothing is recycled");
        try (Workspace ws = Workspace.open()) {
            Tensor result = Workspace.scoped(() -> {
                temporary[0] = B.of(VALUES, 6);
                return B.of(VALUES, 2, 3);
            });
            assertThrows(IllegalStateException.class, temporary[0]::toArray);
            assertArrayEquals(VALUES, result.toArray());
            ws.recycle();
            assertThrows(IllegalStateException.class, result::toArray, "the result belongs to the outer workspace");
        }
        assertArrayEquals(VALUES, plain.toArray());
    }

    @Test
    void closingKeepsLiveTensorsValidAndStopsPooling() {
        Workspace ws = Workspace.open();
        Tensor x = B.of(VALUES, 6);
        ws.recycle(x);
        ws.close();
        ws.close();
        assertArrayEquals(VALUES, x.toArray());
        B.of(VALUES, 6);
        assertEquals(1, ws.freshAllocations(), "a closed workspace still pooled");
        IllegalStateException e = assertThrows(IllegalStateException.class, ws::recycle);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aWorkspaceBelongsToItsThread() throws InterruptedException, ExecutionException {
        try (Workspace ws = Workspace.open()) {
            Tensor x = B.of(VALUES, 6);
            Throwable t = CompletableFuture.runAsync(() -> {
                B.of(VALUES, 6);             // another thread allocates normally
                ws.recycle();
            }).handle((ok, err) -> err).get();
            assertTrue(t != null && t.getCause() instanceof IllegalStateException
                    && t.getCause().getMessage().contains("thread"), String.valueOf(t));
            assertEquals(1, ws.freshAllocations());
            assertArrayEquals(VALUES, x.toArray());
        }
    }

    @Test
    void noGradResultsKeepNoTape() {
        Tensor leaf = B.of(VALUES, 6).requireGrad();
        Tensor view = leaf.reshape(2, 3);
        assertFalse(view.requiresGrad(), "a view made in noGrad() recorded a node");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> view.backward(B.ones(2, 3)));
        assertTrue(e.getMessage().contains("noGrad()"), e.getMessage());
    }
}
