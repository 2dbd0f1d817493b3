package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;

/** A block boundary: temporaries are given back when the block returns, its result stays valid. */
class BlockTests {
    /** {@code (x + c) * 2 + skip}, keeping its temporaries in a list to check them afterwards. */
    private static final class Probe extends Block {
        final List<Tensor> temporaries = new ArrayList<>();

        @Override
        protected Tensor compute(Tensor x, Tensor condition, Tensor... skips) {
            Tensor h = condition == null ? x.mul(1f) : x.add(condition);
            temporaries.add(h);
            Tensor out = h.mul(2f);
            return skips.length == 0 ? out : out.add(skips[0]);
        }
    }

    @Test
    void inAWorkspaceTheTemporariesAreFreeWhenTheBlockReturnsAndTheNextBlockReusesThem() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor c = Tensor.of(new float[] {10, 20, 30}, 3);
        Probe block = new Probe();
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
            Tensor y = block.forward(x, c);
            assertArrayEquals(new float[] {22, 44, 66}, y.toArray());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> block.temporaries.get(0).toArray());
            assertTrue(e.getMessage().contains("recycled"), e.getMessage());
            long fresh = ws.freshAllocations();
            Tensor z = block.forward(y, null); // the first call's temporary is free for this one
            assertEquals(fresh + 1, ws.freshAllocations(), "only the second result needs a new buffer");
            assertArrayEquals(new float[] {44, 88, 132}, z.toArray());
            assertArrayEquals(new float[] {22, 44, 66}, y.toArray(), "the first result stays valid");
        }
    }

    @Test
    void whileRecordingTheTemporariesAreFreeOnceBackwardHasRunThroughTheBlock() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requireGrad();
        Tensor c = Tensor.of(new float[] {10, 20, 30}, 3);
        Probe block = new Probe();
        Tensor y = block.forward(x, c);
        assertArrayEquals(new float[] {11, 22, 33}, block.temporaries.get(0).toArray(), "readable until backward");
        y.sum().backward();
        assertArrayEquals(new float[] {2, 2, 2}, x.grad().toArray());
        assertArrayEquals(new float[] {22, 44, 66}, y.toArray(), "the result stays valid");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> block.temporaries.get(0).toArray());
        assertTrue(e.getMessage().contains("block") && e.getMessage().contains("backward()"), e.getMessage());
    }

    @Test
    void outsideAWorkspaceTheBlockJustRuns() {
        Probe block = new Probe();
        Tensor x = Tensor.of(new float[] {1, 2}, 2);
        assertArrayEquals(new float[] {2, 4}, block.forward(x).toArray());
        assertArrayEquals(new float[] {3, 6}, block.forward(x, null, x).toArray(), "the skip is added");
        assertArrayEquals(new float[] {1, 2}, block.temporaries.get(0).toArray(), "nothing is recycled");
    }
}
