package org.minidiffusion.core.api;

import java.util.List;

/**
 * How {@link Backend} makes tensors: the one point where the API reaches the tensor
 * implementation, so that the API does not depend on it.
 *
 * <p>The core module provides the only implementation, as a service to itself ({@code provides}
 * in its module descriptor, {@code META-INF/services} on the class path). Applications create
 * tensors with {@link Backend}'s or {@link Tensor}'s factory methods and never use this type.
 */
public interface TensorFactory {
    /**
     * Returns an array for a new tensor's values, taken from the innermost {@link Workspace} while
     * one is pooling; the caller writes every element.
     *
     * @param n the length
     * @return the array, of arbitrary contents
     */
    float[] allocate(int n);

    /**
     * Returns an array of {@code n} zeros for a new tensor's values, like {@link #allocate}.
     *
     * @param n the length
     * @return the array
     */
    float[] allocateZeroed(int n);

    /**
     * Wraps an array from {@link #allocate}, or one handed over by {@link Backend#adopt}, as a leaf
     * tensor, without copying it; the array must not be modified afterwards.
     *
     * @param backend the backend the tensor lives on
     * @param data    the values, row-major, {@code shape.numel()} of them
     * @param shape   the dims
     * @return the tensor
     */
    Tensor wrap(Backend backend, float[] data, Shape shape);

    /**
     * Concatenates tensors of {@code backend} along {@code dim}; see {@link Backend#concat}.
     *
     * @param backend the backend they must all live on
     * @param dim     the dim
     * @param parts   the tensors
     * @return the joined tensor
     */
    Tensor concat(Backend backend, int dim, List<Tensor> parts);
}
