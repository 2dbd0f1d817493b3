package org.minidiffusion.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.core.spi.BackendProvider;

/**
 * {@link Backend#adopt} keeps the caller's array as the tensor's storage (checked by identity
 * through the package-private storage accessor, since writing the array after adopting it is
 * undefined), and refuses shapes that do not fit the array.
 */
class AdoptTests {
    private static final Backend B = noKernels();

    private static Backend noKernels() {
        BackendProvider p = mock(BackendProvider.class);
        when(p.id()).thenReturn("none");
        when(p.description()).thenReturn("creation only");
        return Backend.of(p);
    }

    private static float[] storage(Tensor t) {
        return DenseTensor.storageOf(t, "AdoptTests").array();
    }

    @Test
    void adoptKeepsTheArrayWhereOfCopiesIt() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor adopted = B.adopt(data, 2, 3);
        assertSame(data, storage(adopted), "adopt must not copy");
        assertEquals(Shape.of(2, 3), adopted.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, adopted.toArray());
        assertFalse(adopted.requiresGrad());
        // the accessor does tell a copy apart
        assertNotSame(data, storage(B.of(data, 2, 3)), "of copies");
    }

    @Test
    void anAdoptedArrayIsNeverReusedByAWorkspace() {
        float[] data = {1, 2, 3, 4};
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
            Tensor adopted = B.adopt(data, 4);
            ws.recycle();
            assertArrayEquals(new float[] {1, 2, 3, 4}, adopted.toArray(), "not taken back by recycle");
            Tensor fresh = B.zeros(4);
            assertNotSame(data, storage(fresh), "the workspace never hands the adopted array out");
        }
    }

    @Test
    void aShapeThatDoesNotFitTheArrayIsAClearError() {
        ShapeException tooMany = assertThrows(ShapeException.class, () -> B.adopt(new float[6], 4));
        assertTrue(tooMany.getMessage().startsWith("adopt: 6 values cannot fill shape")
                && tooMany.getMessage().contains("(4)"), tooMany.getMessage());
        ShapeException negative = assertThrows(ShapeException.class, () -> B.adopt(new float[6], -2, -3));
        assertTrue(negative.getMessage().startsWith("adopt: cannot shape 6 values as [-2, -3]")
                && negative.getMessage().contains("negative"), negative.getMessage());
        ShapeException scalar = assertThrows(ShapeException.class, () -> B.adopt(new float[2]));
        assertTrue(scalar.getMessage().startsWith("adopt: 2 values cannot fill shape"), scalar.getMessage());
        assertEquals(Shape.of(), B.adopt(new float[] {7}).shape());
        NullPointerException none = assertThrows(NullPointerException.class, () -> B.adopt(null, 1));
        assertTrue(none.getMessage().contains("adopt"), none.getMessage());
    }
}
