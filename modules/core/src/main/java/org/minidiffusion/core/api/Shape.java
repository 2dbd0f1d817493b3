package org.minidiffusion.core.api;

import java.util.Arrays;
import java.util.StringJoiner;

/**
 * The immutable dimensions of a tensor, outermost first; a scalar has rank 0.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /**
     * Returns the shape with the given dims.
     *
     * @param dims the sizes, each at least 0
     * @return the shape
     * @throws ShapeException if a size is negative
     */
    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new ShapeException("shape", "negative size in " + Arrays.toString(dims));
            }
        }
        long n = 1;
        for (int d : dims) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new ShapeException("shape", "more than 2^31-1 elements in " + Arrays.toString(dims));
            }
        }
        return new Shape(dims.clone());
    }

    /**
     * Returns the number of dims.
     *
     * @return the rank
     */
    public int rank() {
        return dims.length;
    }

    /**
     * Returns the size of one dim; negative axes count from the end.
     *
     * @param axis the dim, in {@code [-rank, rank)}
     * @return its size
     * @throws ShapeException if the axis is out of range
     */
    public int size(int axis) {
        return dims[axis("size", axis)];
    }

    /**
     * Returns the number of elements, the product of the sizes (1 for a scalar).
     *
     * @return the element count
     */
    public int numel() {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /**
     * Returns a copy of the sizes.
     *
     * @return the dims
     */
    public int[] toArray() {
        return dims.clone();
    }

    /**
     * Resolves a possibly negative axis to {@code [0, rank)}.
     *
     * @param op   the operation asking, for the error message
     * @param axis the axis, in {@code [-rank, rank)}
     * @return the non-negative axis
     * @throws ShapeException naming {@code op} if the axis is out of range
     */
    public int axis(String op, int axis) {
        int r = dims.length;
        if (axis < -r || axis >= r) {
            throw new ShapeException(op, "dim " + axis + " is out of range for rank " + r, this);
        }
        return axis < 0 ? axis + r : axis;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Returns the dims in parentheses, as in {@code (2, 3)}; a scalar is {@code ()}. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "(", ")");
        for (int d : dims) {
            j.add(Integer.toString(d));
        }
        return j.toString();
    }
}
