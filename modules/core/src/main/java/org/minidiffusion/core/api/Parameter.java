package org.minidiffusion.core.api;

import java.util.Objects;

/**
 * A trainable value of a {@link Layer}: a holder whose tensor an optimizer replaces.
 *
 * <p>Tensors are immutable, so training does not write into them; an optimizer computes the new
 * value and calls {@link #set}. The held tensor is always a leaf that requires grad.
 */
public final class Parameter {
    private Tensor value;

    /**
     * Creates a parameter.
     *
     * @param initial the initial value; it is detached and marked as requiring grad
     */
    public Parameter(Tensor initial) {
        this.value = Objects.requireNonNull(initial, "Parameter: initial value is null").detach().requireGrad();
    }

    /**
     * Returns the current value, a leaf that requires grad.
     *
     * @return the value
     */
    public Tensor value() {
        return value;
    }

    /**
     * Replaces the value; the shape and backend must stay the same.
     *
     * @param next the new value; it is detached and marked as requiring grad
     * @throws ShapeException if the shape differs
     */
    public void set(Tensor next) {
        Objects.requireNonNull(next, "Parameter.set: new value is null");
        if (!next.shape().equals(value.shape())) {
            throw new ShapeException("Parameter.set", "the new value's shape differs", value.shape(), next.shape());
        }
        this.value = next.detach().requireGrad();
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
