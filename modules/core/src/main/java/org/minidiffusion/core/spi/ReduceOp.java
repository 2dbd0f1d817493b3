package org.minidiffusion.core.spi;

/** Reductions along one axis. */
public enum ReduceOp {
    /**
     * The sum, accumulated in {@code double} and rounded to float once. The axis is cut into blocks
     * of {@link #SUM_BLOCK} elements from its start; each block is summed in axis order, and the
     * block sums are added in block order, starting from {@code 0.0}. Every backend adds in this
     * order, so one long axis can be summed block by block on several cores and still match the
     * reference bit for bit.
     */
    SUM,
    /** The maximum; NaN if any element is NaN. */
    MAX;

    /** The length of the blocks a {@link #SUM} adds up separately. */
    public static final int SUM_BLOCK = 4096;
}
