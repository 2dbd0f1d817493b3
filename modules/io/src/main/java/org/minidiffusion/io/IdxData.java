package org.minidiffusion.io;

import org.minidiffusion.core.api.Shape;

/**
 * The content of an IDX file of unsigned bytes: its shape and its values in row-major order.
 *
 * @param shape the dims, outermost first, such as {@code (10000, 28, 28)}
 * @param data  the values as stored; read them with {@link #get(int)}, which treats them as
 *              unsigned. The array is shared, not copied.
 */
public record IdxData(Shape shape, byte[] data) {
    /**
     * Returns one value as an unsigned byte.
     *
     * @param index the row-major index, in {@code [0, shape().numel())}
     * @return the value, in {@code [0, 255]}
     */
    public int get(int index) {
        return data[index] & 0xff;
    }
}
