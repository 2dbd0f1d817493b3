package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Shapes, axes and their error messages. */
class ShapeTests {

    @Test
    void sizesAndNegativeAxes() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(3, s.rank());
        assertEquals(24, s.numel());
        assertEquals(4, s.size(-1));
        assertEquals(2, s.size(-3));
        assertEquals("(2, 3, 4)", s.toString());
        assertEquals(1, Shape.of().numel());
        assertEquals("()", Shape.of().toString());
        assertArrayEquals(new int[] {2, 3, 4}, s.toArray());
        assertEquals(Shape.of(2, 3, 4), s);
    }

    @Test
    void outOfRangeAxisNamesTheOpAndShape() {
        ShapeException e = assertThrows(ShapeException.class, () -> Shape.of(2, 3).axis("softmax", 2));
        assertEquals("softmax: dim 2 is out of range for rank 2: (2, 3)", e.getMessage());
        assertEquals("softmax", e.op());
    }

    @Test
    void negativeSizesAndOverflowAreRejected() {
        assertTrue(assertThrows(ShapeException.class, () -> Shape.of(2, -1)).getMessage().contains("negative"));
        assertTrue(assertThrows(ShapeException.class, () -> Shape.of(1 << 16, 1 << 16)).getMessage()
                .contains("2^31-1"));
    }
}
