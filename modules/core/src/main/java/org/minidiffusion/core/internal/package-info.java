/**
 * The tensor implementation, not exported: storage and strides ({@code DenseTensor}), the ops by
 * family, each forward beside its backward ({@code ElementwiseOps}, {@code ReductionOps},
 * {@code ShapeOps}, {@code MatmulOps}, {@code ImageOps}, {@code NormOps}), the autograd
 * {@code Tape} with the {@code Tracker} of the buffers it may give back, and the buffer pool behind
 * {@code Workspace} with each thread's spare arrays.
 */
package org.minidiffusion.core.internal;
