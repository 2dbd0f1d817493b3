package org.minidiffusion.core.api;

import java.util.Objects;

/**
 * Training state the size of a parameter that is updated in place: an optimizer's moment
 * estimates, an exponential moving average of weights.
 *
 * <p>Unlike a {@link Tensor}, which never changes, a state buffer is overwritten by every update
 * ({@link Parameter#adamStep}, {@link #moveTowards}) without allocating. Its buffer is its own and
 * never handed out: {@link #snapshot()} returns a copy, so no tensor a caller holds changes under it.
 */
public final class StateBuffer {
    private Tensor values; // a buffer of its own, from TensorFactory.mutableCopy or mutableZeros

    private StateBuffer(Tensor values) {
        this.values = values;
    }

    /**
     * Returns a buffer of zeros.
     *
     * @param backend the backend it lives on
     * @param shape   the dims
     * @return the buffer
     */
    public static StateBuffer zeros(Backend backend, Shape shape) {
        Objects.requireNonNull(backend, "StateBuffer.zeros: backend is null");
        Objects.requireNonNull(shape, "StateBuffer.zeros: shape is null");
        return new StateBuffer(Backend.tensors().mutableZeros(backend, shape));
    }

    /**
     * Returns a buffer holding a copy of {@code values}, on their backend.
     *
     * @param values the initial values
     * @return the buffer
     */
    public static StateBuffer copyOf(Tensor values) {
        Objects.requireNonNull(values, "StateBuffer.copyOf: values are null");
        return new StateBuffer(Backend.tensors().mutableCopy(values));
    }

    /**
     * Returns the dims.
     *
     * @return the shape
     */
    public Shape shape() {
        return values.shape();
    }

    /**
     * Returns the backend the buffer lives on.
     *
     * @return the backend
     */
    public Backend backend() {
        return values.backend();
    }

    /**
     * Returns a copy of the current values, a tensor that later updates leave alone.
     *
     * @return a new leaf tensor
     */
    public Tensor snapshot() {
        return values.backend().adopt(values.toArray(), values.shape().toArray());
    }

    /**
     * Replaces the values with a copy of {@code next}, for example when resuming from a checkpoint.
     *
     * @param next the values, of this buffer's shape, on any backend
     * @throws ShapeException if the shape differs
     */
    public void load(Tensor next) {
        Objects.requireNonNull(next, "StateBuffer.load: values are null");
        if (!next.shape().equals(values.shape())) {
            throw new ShapeException("StateBuffer.load", "the new values' shape differs (expected, got)",
                    values.shape(), next.shape());
        }
        values = Backend.tensors().mutableCopy(next.to(values.backend()));
    }

    /**
     * Moves the values towards {@code x} in place, as an exponential moving average:
     * {@code this = decay · this + (1 − decay) · x}, in float32 as
     * {@link org.minidiffusion.core.spi.Kernels#movingAverage} specifies.
     *
     * @param x     the new values, of this buffer's shape and backend
     * @param decay the weight of the current values, in [0, 1]
     * @throws ShapeException if the shape differs
     */
    public void moveTowards(Tensor x, float decay) {
        Backend.tensors().movingAverage(values, x, decay);
    }

    /** Returns the buffer itself, for {@link Parameter#adamStep}; never handed out of the package. */
    Tensor values() {
        return values;
    }

    @Override
    public String toString() {
        return "StateBuffer" + values.shape() + " on " + values.backend().id();
    }
}
