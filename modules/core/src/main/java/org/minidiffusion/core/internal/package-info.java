/**
 * The tensor implementation, not exported: storage and strides ({@code DenseTensor}), the ops by
 * family, each forward beside its backward ({@code ElementwiseOps}, {@code ReductionOps},
 * {@code ShapeOps}, {@code MatmulOps}, {@code ImageOps}, {@code NormOps}), the autograd
 * {@code Tape}, and the buffer pool behind {@code Workspace}.
 */
package org.minidiffusion.core.internal;
