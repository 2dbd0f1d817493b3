package org.minidiffusion.core.api;

import java.util.List;

/**
 * How {@link Backend} makes tensors, and {@link Parameter} and {@link StateBuffer} update theirs in
 * place: the one point where the API reaches the tensor implementation, so that the API does not
 * depend on it.
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

    /**
     * Returns a copy of {@code values} in a buffer of its own that the in-place updates below may
     * write: the value of a {@link Parameter} once an optimiser updates it, or a {@link StateBuffer}.
     * The buffer is never a workspace's. The copy is a leaf on the same backend.
     *
     * @param values the values
     * @return the copy
     */
    Tensor mutableCopy(Tensor values);

    /**
     * Returns zeros in a buffer of their own that the in-place updates may write, like {@link #mutableCopy}.
     *
     * @param backend the backend
     * @param shape   the dims
     * @return the tensor
     */
    Tensor mutableZeros(Backend backend, Shape shape);

    /**
     * Returns whether the in-place updates may write a tensor's buffer, that is, whether it is (a
     * view of) one made by {@link #mutableCopy} or {@link #mutableZeros}.
     *
     * @param t the tensor
     * @return whether its values may change
     */
    boolean isMutable(Tensor t);

    /**
     * Takes one Adam step in place, as {@link org.minidiffusion.core.spi.Kernels#adamStep}:
     * {@code param}, {@code m} and {@code v} must come from {@link #mutableCopy} or
     * {@link #mutableZeros}, be three buffers and have the shape of {@code grad}. Nothing is
     * recorded for autograd.
     *
     * @param param       the parameter's value, updated in place
     * @param grad        its gradient
     * @param m           the first moment, updated in place
     * @param v           the second moment, updated in place
     * @param lr          the learning rate
     * @param beta1       the decay of the first moment, in [0, 1)
     * @param beta2       the decay of the second moment, in [0, 1)
     * @param c1          {@code 1 - beta1^t}, in (0, 1]
     * @param c2          {@code 1 - beta2^t}, in (0, 1]
     * @param eps         added to the root of the corrected second moment
     * @param weightDecay decoupled weight decay
     * @param gradScale   multiplies the gradient first
     */
    void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                  float c1, float c2, float eps, float weightDecay, float gradScale);

    /**
     * Moves an average towards {@code x} in place, as {@link org.minidiffusion.core.spi.Kernels#movingAverage};
     * {@code average} must come from {@link #mutableCopy} or {@link #mutableZeros}.
     *
     * @param average the average, updated in place
     * @param x       the new values, of the same shape
     * @param decay   the weight of the old average, in [0, 1]
     */
    void movingAverage(Tensor average, Tensor x, float decay);

    /**
     * Returns {@code sum x_i^2} of a tensor's values, each square exact in double and added in
     * index order in double, without copying the values unless they are a strided view.
     *
     * @param t the tensor
     * @return the sum
     */
    double sumOfSquares(Tensor t);
}
