package org.minidiffusion.core.api;

import java.util.Objects;

/**
 * A trainable value of a {@link Layer}: a holder whose tensor an optimizer updates.
 *
 * <p>Tensors never change, with this one exception: {@link #adamStep} overwrites the value in
 * place, as PyTorch's optimisers do, so that a training step allocates nothing for it. The first
 * in-place update moves the value into a buffer of the parameter's own (one copy), so the tensor a
 * parameter was made from, or {@linkplain #set set} to, never changes. From then on the tensor
 * {@link #value()} returns, and every view of it (those of {@link Parameterized#stateDict()}
 * among them), follows the updates; copy it, for example with {@link Tensor#toArray()}, to keep
 * a value. A backward pass through values overwritten since its forward pass fails with an
 * {@link IllegalStateException} instead of computing gradients from the new values.
 *
 * <p>The held tensor is always a leaf that requires grad.
 */
public final class Parameter {
    private Tensor value;
    /** Whether {@link #value}'s buffer is this parameter's own, so that in-place updates may write it. */
    private boolean owned;

    /**
     * Creates a parameter.
     *
     * @param initial the initial value; it is detached and marked as requiring grad (and copied if
     *                it is another parameter's updatable value, so the two never share a buffer)
     */
    public Parameter(Tensor initial) {
        hold(Objects.requireNonNull(initial, "Parameter: initial value is null"));
    }

    /**
     * Returns the current value, a leaf that requires grad. Once an optimizer has updated the
     * parameter in place, later updates change this tensor too (see the class comment).
     *
     * @return the value
     */
    public Tensor value() {
        return value;
    }

    /**
     * Replaces the value; the shape and backend must stay the same.
     *
     * @param next the new value; it is detached and marked as requiring grad (and copied if it is
     *             another parameter's updatable value, so the two never share a buffer)
     * @throws ShapeException if the shape differs
     */
    public void set(Tensor next) {
        Objects.requireNonNull(next, "Parameter.set: new value is null");
        if (!next.shape().equals(value.shape())) {
            throw new ShapeException("Parameter.set", "the new value's shape differs", value.shape(), next.shape());
        }
        hold(next);
    }

    /** Holds {@code next}: itself, detached, unless its buffer is updated in place by its owner. */
    private void hold(Tensor next) {
        TensorFactory tensors = Backend.tensors();
        if (tensors.isMutable(next)) {
            value = tensors.mutableCopy(next).requireGrad();
            owned = true;
        } else {
            value = next.detach().requireGrad();
            owned = false;
        }
    }

    /**
     * Takes one Adam step on this parameter in place, from its gradient (Kingma and Ba 2015,
     * Algorithm 1; with a weight decay, AdamW, Loshchilov and Hutter 2019, Algorithm 2), then
     * clears the gradient, which belongs to the old values. Per element, in float32 as
     * {@link org.minidiffusion.core.spi.Kernels#adamStep} specifies:
     * {@code g = gradScale·grad}, {@code m = beta1·m + (1 − beta1)·g},
     * {@code v = beta2·v + (1 − beta2)·g²},
     * {@code p = p·(1 − lr·weightDecay) − lr·(m / c1) / (sqrt(v / c2) + eps)}.
     *
     * <p>Nothing is allocated after the first step, which moves the value into a buffer of its own
     * (see the class comment), and nothing is recorded for autograd.
     *
     * @param m           the first moment estimate, of this parameter's shape and backend, updated in place
     * @param v           the second raw moment estimate, likewise, updated in place
     * @param lr          the step size alpha, at least 0
     * @param beta1       the decay of the first moment, in [0, 1)
     * @param beta2       the decay of the second moment, in [0, 1)
     * @param c1          the first bias correction {@code 1 − beta1^t} at step {@code t}, in (0, 1]
     * @param c2          the second bias correction {@code 1 − beta2^t}, in (0, 1]
     * @param eps         added to the root of the corrected second moment, at least 0
     * @param weightDecay the decoupled weight decay lambda, at least 0; 0 for plain Adam
     * @param gradScale   multiplies the gradient first (gradient clipping by norm), at least 0; 1 for none
     * @throws IllegalStateException    if the parameter has no gradient
     * @throws ShapeException           if a moment's shape differs from the parameter's
     * @throws IllegalArgumentException if a hyperparameter is out of range, or a moment lives on
     *                                  another backend; nothing is changed then
     */
    public void adamStep(StateBuffer m, StateBuffer v, float lr, float beta1, float beta2, float c1, float c2,
                         float eps, float weightDecay, float gradScale) {
        Objects.requireNonNull(m, "Parameter.adamStep: first moment is null");
        Objects.requireNonNull(v, "Parameter.adamStep: second moment is null");
        Tensor grad = value.grad();
        TensorFactory tensors = Backend.tensors();
        Tensor target = owned ? value : tensors.mutableCopy(value);
        tensors.adamStep(target, grad, m.values(), v.values(), lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale);
        if (owned) {
            value.zeroGrad();
        } else {
            value = target.requireGrad();
            owned = true;
        }
    }

    /**
     * Returns the gradient accumulated into the current value.
     *
     * @return the gradient
     * @throws IllegalStateException if none has been accumulated
     */
    public Tensor grad() {
        return value.grad();
    }

    /**
     * Returns the squared L2 norm of the gradient, {@code sum g_i^2}, each square exact and the sum
     * taken in double, without copying the gradient: for clipping by global norm.
     *
     * @return the squared norm
     * @throws IllegalStateException if no gradient has been accumulated
     */
    public double gradSquaredNorm() {
        return Backend.tensors().sumOfSquares(value.grad());
    }

    /**
     * Returns the shape of the value.
     *
     * @return the shape
     */
    public Shape shape() {
        return value.shape();
    }

    @Override
    public String toString() {
        return "Parameter" + value.shape();
    }
}
