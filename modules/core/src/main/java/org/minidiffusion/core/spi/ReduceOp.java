package org.minidiffusion.core.spi;

/** Reductions along one axis. */
public enum ReduceOp {
    /** The sum, accumulated in the order of the axis. */
    SUM,
    /** The maximum; NaN if any element is NaN. */
    MAX
}
