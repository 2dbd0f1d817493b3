package org.minidiffusion.core.api;

import java.util.List;

/**
 * An n-dimensional array of float32 values, row-major, that records its history for autograd.
 *
 * <p>Tensors are immutable as users see them: every operation returns a new tensor, and some of
 * them ({@link #permute}, {@link #narrow}, {@link #reshape} of a contiguous tensor, ...) are views
 * that share storage without copying. The one exception is the value of a {@link Parameter} that an
 * optimizer has updated in place, which changes with every step, and so do its views. Every tensor
 * lives on one {@link Backend}; combining tensors from two backends is an error.
 *
 * <p><b>Broadcasting</b> follows NumPy: shapes are aligned from the last dim, and sizes must be
 * equal or 1. <b>Negative dims</b> count from the end. <b>Errors:</b> bad shapes or dims throw
 * {@link ShapeException}, whose message names the op and every shape.
 *
 * <p><b>Autograd.</b> Operations on tensors that {@linkplain #requiresGrad() require grad} are
 * recorded unless a {@link Autograd#noGrad()} scope is open. {@link #backward()} then accumulates
 * {@code d(this)/d(leaf)} into every leaf that requires grad.
 */
public interface Tensor {

    // ------------------------------------------------------------------ creation (current backend)

    /**
     * Returns a tensor of zeros on the {@linkplain Backends#current() current backend}.
     *
     * @param shape the dims
     * @return the tensor
     */
    static Tensor zeros(int... shape) {
        return Backends.current().zeros(shape);
    }

    /**
     * Returns a tensor of ones on the current backend.
     *
     * @param shape the dims
     * @return the tensor
     */
    static Tensor ones(int... shape) {
        return Backends.current().ones(shape);
    }

    /**
     * Returns a tensor filled with {@code value} on the current backend.
     *
     * @param value the value
     * @param shape the dims
     * @return the tensor
     */
    static Tensor full(float value, int... shape) {
        return Backends.current().full(value, shape);
    }

    /**
     * Returns the rank-0 tensor holding {@code value} on the current backend.
     *
     * @param value the value
     * @return the scalar tensor
     */
    static Tensor scalar(float value) {
        return Backends.current().full(value);
    }

    /**
     * Returns {@code [0, 1, ..., n-1]} on the current backend.
     *
     * @param n the length
     * @return a rank-1 tensor
     */
    static Tensor arange(int n) {
        return Backends.current().arange(0f, n, 1f);
    }

    /**
     * Returns {@code start, start + step, ...} up to, not including, {@code end}.
     *
     * @param start the first value
     * @param end   the exclusive bound
     * @param step  the non-zero increment
     * @return a rank-1 tensor
     */
    static Tensor arange(float start, float end, float step) {
        return Backends.current().arange(start, end, step);
    }

    /**
     * Returns a tensor holding a copy of {@code data} in row-major order, on the current backend.
     *
     * @param data  the values; its length must equal the product of {@code shape}
     * @param shape the dims
     * @return the tensor
     */
    static Tensor of(float[] data, int... shape) {
        return Backends.current().of(data, shape);
    }

    /**
     * Returns standard normal samples from {@code rng} on the current backend.
     *
     * @param rng   the seeded generator; the same seed gives the same values on every backend
     * @param shape the dims
     * @return the tensor
     */
    static Tensor randn(Rng rng, int... shape) {
        return Backends.current().randn(rng, shape);
    }

    /**
     * Returns uniform samples in {@code [0, 1)} from {@code rng} on the current backend.
     *
     * @param rng   the seeded generator
     * @param shape the dims
     * @return the tensor
     */
    static Tensor rand(Rng rng, int... shape) {
        return Backends.current().rand(rng, shape);
    }

    /**
     * Concatenates tensors along an existing dim; all other dims must match.
     *
     * @param dim     the dim to join along
     * @param tensors at least one tensor, all on one backend
     * @return the joined tensor
     */
    static Tensor concat(int dim, Tensor... tensors) {
        return concat(dim, tensors == null ? null : java.util.Arrays.asList(tensors));
    }

    /**
     * Concatenates tensors along an existing dim; all other dims must match.
     *
     * @param dim     the dim to join along
     * @param tensors at least one tensor, all on one backend
     * @return the joined tensor
     */
    static Tensor concat(int dim, List<Tensor> tensors) {
        checkParts("concat", tensors);
        return tensors.get(0).backend().concat(dim, tensors);
    }

    /**
     * Stacks equally shaped tensors along a new dim.
     *
     * @param dim     the position of the new dim, in {@code [-(rank+1), rank]}
     * @param tensors at least one tensor
     * @return the stacked tensor
     */
    static Tensor stack(int dim, List<Tensor> tensors) {
        checkParts("stack", tensors);
        Shape first = tensors.get(0).shape();
        for (Tensor t : tensors) {
            if (!t.shape().equals(first)) {
                throw new ShapeException("stack", "all tensors must have the same shape",
                        tensors.stream().map(Tensor::shape).toArray(Shape[]::new));
            }
        }
        Tensor[] expanded = new Tensor[tensors.size()];
        for (int i = 0; i < expanded.length; i++) {
            expanded[i] = tensors.get(i).unsqueeze(dim);
        }
        return concat(dim, List.of(expanded));
    }

    private static void checkParts(String op, List<Tensor> tensors) {
        if (tensors == null || tensors.isEmpty()) {
            throw new ShapeException(op, "needs at least one tensor");
        }
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i) == null) {
                throw new IllegalArgumentException(op + ": tensor " + i + " of " + tensors.size() + " is null");
            }
        }
    }

    // ------------------------------------------------------------------ metadata and data

    /**
     * Returns the dims.
     *
     * @return the shape
     */
    Shape shape();

    /**
     * Returns the size of one dim.
     *
     * @param dim the dim, negative counts from the end
     * @return its size
     */
    default int size(int dim) {
        return shape().size(dim);
    }

    /**
     * Returns the number of dims.
     *
     * @return the rank
     */
    default int rank() {
        return shape().rank();
    }

    /**
     * Returns the number of elements.
     *
     * @return the element count
     */
    default int numel() {
        return shape().numel();
    }

    /**
     * Returns the backend this tensor lives on.
     *
     * @return the backend
     */
    Backend backend();

    /**
     * Returns a row-major copy of the values.
     *
     * @return a new array of length {@link #numel()}
     */
    float[] toArray();

    /**
     * Returns the value of a one-element tensor.
     *
     * @return the value
     * @throws ShapeException if the tensor has more than one element
     */
    float item();

    /**
     * Returns one element.
     *
     * @param index one index per dim, each in range
     * @return the value
     */
    float get(int... index);

    /**
     * Returns this tensor's values on another backend, as a new leaf without history.
     *
     * @param target the backend
     * @return the copy, or this tensor if it already lives there
     */
    Tensor to(Backend target);

    // ------------------------------------------------------------------ autograd

    /**
     * Returns whether operations on this tensor are recorded for {@link #backward()}.
     *
     * @return whether gradients flow to or through this tensor
     */
    boolean requiresGrad();

    /**
     * Marks this leaf tensor as a trainable input whose gradient {@link #backward()} accumulates.
     *
     * @return this tensor
     * @throws IllegalStateException if this tensor is the result of a recorded operation
     */
    Tensor requireGrad();

    /**
     * Returns a tensor sharing this one's values, with no history and no grad requirement.
     *
     * @return the detached tensor
     */
    Tensor detach();

    /**
     * Back-propagates from this one-element tensor (a loss): every leaf that requires grad and
     * contributed to it gets {@code d(this)/d(leaf)} added to its gradient.
     *
     * @throws IllegalStateException if this tensor does not require grad
     * @throws ShapeException        if it has more than one element
     */
    void backward();

    /**
     * Back-propagates from this tensor with the given output gradient (a vector-Jacobian product).
     *
     * @param gradient {@code d(loss)/d(this)}, of this tensor's shape
     */
    void backward(Tensor gradient);

    /**
     * Returns whether a gradient has been accumulated into this leaf.
     *
     * @return whether {@link #grad()} has a value
     */
    boolean hasGrad();

    /**
     * Returns the gradient accumulated into this leaf by {@link #backward()}.
     *
     * @return the gradient, of this tensor's shape
     * @throws IllegalStateException if no gradient has been accumulated
     */
    Tensor grad();

    /** Clears the accumulated gradient, as before the first {@link #backward()}. */
    void zeroGrad();

    // ------------------------------------------------------------------ element-wise arithmetic

    /**
     * Returns {@code this + other}, broadcasting.
     *
     * @param other the other operand
     * @return the sum
     */
    Tensor add(Tensor other);

    /**
     * Returns {@code this - other}, broadcasting.
     *
     * @param other the other operand
     * @return the difference
     */
    Tensor sub(Tensor other);

    /**
     * Returns {@code this * other} element-wise, broadcasting.
     *
     * @param other the other operand
     * @return the product
     */
    Tensor mul(Tensor other);

    /**
     * Returns {@code this / other} element-wise, broadcasting.
     *
     * @param other the other operand
     * @return the quotient
     */
    Tensor div(Tensor other);

    /**
     * Returns {@code this + value}.
     *
     * @param value the scalar
     * @return the sum
     */
    Tensor add(float value);

    /**
     * Returns {@code this - value}.
     *
     * @param value the scalar
     * @return the difference
     */
    Tensor sub(float value);

    /**
     * Returns {@code this * value}.
     *
     * @param value the scalar
     * @return the product
     */
    Tensor mul(float value);

    /**
     * Returns {@code this / value}.
     *
     * @param value the scalar
     * @return the quotient
     */
    Tensor div(float value);

    /**
     * Returns {@code value / this} element-wise.
     *
     * @param value the scalar numerator
     * @return the quotient
     */
    Tensor rdiv(float value);

    /**
     * Returns {@code -this}.
     *
     * @return the negation
     */
    Tensor neg();

    /**
     * Returns {@code |this|}.
     *
     * @return the absolute values
     */
    Tensor abs();

    /**
     * Returns the element-wise square root.
     *
     * @return the roots
     */
    Tensor sqrt();

    /**
     * Returns {@code e^this}.
     *
     * @return the exponentials
     */
    Tensor exp();

    /**
     * Returns the natural logarithm.
     *
     * @return the logarithms
     */
    Tensor log();

    /**
     * Returns {@code this^exponent}.
     *
     * @param exponent the power
     * @return the powers
     */
    Tensor pow(float exponent);

    /**
     * Returns the values limited to {@code [min, max]}.
     *
     * @param min the lower bound
     * @param max the upper bound, at least {@code min}
     * @return the clamped values
     */
    Tensor clamp(float min, float max);

    /**
     * Returns 1 where {@code this == other} and 0 elsewhere, broadcasting; not differentiable.
     *
     * @param other the other operand
     * @return the mask
     */
    Tensor eq(Tensor other);

    // ------------------------------------------------------------------ activations

    /**
     * Returns {@code max(x, 0)}.
     *
     * @return the activations
     */
    Tensor relu();

    /**
     * Returns {@code x * sigmoid(x)} (SiLU, also called swish).
     *
     * @return the activations
     */
    Tensor silu();

    /**
     * Returns the exact GELU, {@code x * Phi(x)}.
     *
     * @return the activations
     */
    Tensor gelu();

    /**
     * Returns the tanh approximation of GELU, as PyTorch's {@code gelu(approximate="tanh")}.
     *
     * @return the activations
     */
    Tensor geluTanh();

    /**
     * Returns {@code 1 / (1 + e^-x)}.
     *
     * @return the activations
     */
    Tensor sigmoid();

    /**
     * Returns {@code tanh(x)}.
     *
     * @return the activations
     */
    Tensor tanh();

    /**
     * Returns the softmax along {@code dim}, computed stably.
     *
     * @param dim the dim whose entries sum to 1
     * @return the probabilities
     */
    Tensor softmax(int dim);

    /**
     * Returns {@code log(softmax(x))} along {@code dim}, computed stably.
     *
     * @param dim the dim
     * @return the log-probabilities
     */
    Tensor logSoftmax(int dim);

    /**
     * Returns the group normalisation of an {@code (N, C, ...)} tensor (Wu and He 2018, eq. 1 and 3).
     *
     * <p>The {@code C / groups · spatial} values of each sample's group of channels are normalised
     * to zero mean and unit variance (biased variance, as PyTorch), then channel {@code c} is scaled
     * by {@code weight[c]} and shifted by {@code bias[c]}. One kernel computes it, so it reads the
     * input twice instead of once per composed op.
     *
     * @param groups G, which must divide C
     * @param weight the per-channel scale {@code (C)}, or null for none
     * @param bias   the per-channel shift {@code (C)}, or null for none
     * @param eps    added to the variance, {@code >= 0}
     * @return the normalised tensor, of this shape
     */
    Tensor groupNorm(int groups, Tensor weight, Tensor bias, float eps);

    /**
     * Returns the layer normalisation over the last dim (Ba, Kiros and Hinton 2016, eq. 4), as
     * PyTorch's {@code layer_norm} over the last dim.
     *
     * <p>The {@code D} values of each row are normalised to zero mean and unit variance (biased
     * variance, as PyTorch), then feature {@code j} is scaled by {@code weight[j]} and shifted by
     * {@code bias[j]}. One kernel computes it and one its gradient.
     *
     * @param weight the per-feature scale {@code (D)}, or null for none
     * @param bias   the per-feature shift {@code (D)}, or null for none
     * @param eps    added to the variance, {@code >= 0}
     * @return the normalised tensor, of this shape
     */
    Tensor layerNorm(Tensor weight, Tensor bias, float eps);

    /**
     * Returns the root-mean-square normalisation over the last dim (Zhang and Sennrich 2019, eq. 4):
     * {@code x / sqrt(mean(x²) + eps) · weight}, as T5's layer norm. One kernel computes it and one
     * its gradient.
     *
     * @param weight the per-feature scale {@code (D)}, or null for none
     * @param eps    added to the mean square, {@code >= 0}
     * @return the normalised tensor, of this shape
     */
    Tensor rmsNorm(Tensor weight, float eps);

    // ------------------------------------------------------------------ reductions

    /**
     * Returns the sum of all elements, as a rank-0 tensor.
     *
     * @return the total
     */
    Tensor sum();

    /**
     * Returns sums along {@code dims}.
     *
     * @param dims    distinct dims to reduce
     * @param keepDim whether reduced dims stay as size 1
     * @return the sums
     */
    Tensor sum(int[] dims, boolean keepDim);

    /**
     * Returns sums along one dim, which is removed.
     *
     * @param dim the dim
     * @return the sums
     */
    default Tensor sum(int dim) {
        return sum(new int[] {dim}, false);
    }

    /**
     * Returns the mean of all elements, as a rank-0 tensor.
     *
     * @return the mean
     */
    Tensor mean();

    /**
     * Returns means along {@code dims}.
     *
     * @param dims    distinct dims to reduce
     * @param keepDim whether reduced dims stay as size 1
     * @return the means
     */
    Tensor mean(int[] dims, boolean keepDim);

    /**
     * Returns means along one dim, which is removed.
     *
     * @param dim the dim
     * @return the means
     */
    default Tensor mean(int dim) {
        return mean(new int[] {dim}, false);
    }

    /**
     * Returns maxima along {@code dims}; the gradient is shared equally among tied maxima.
     *
     * @param dims    distinct dims to reduce
     * @param keepDim whether reduced dims stay as size 1
     * @return the maxima
     */
    Tensor max(int[] dims, boolean keepDim);

    /**
     * Returns maxima along one dim, which is removed.
     *
     * @param dim the dim
     * @return the maxima
     */
    default Tensor max(int dim) {
        return max(new int[] {dim}, false);
    }

    /**
     * Returns variances along {@code dims}: {@code sum((x - mean)^2) / (count - correction)}.
     *
     * @param dims       distinct dims to reduce
     * @param keepDim    whether reduced dims stay as size 1
     * @param correction 0 for the population (biased) variance, as normalisation layers use;
     *                   1 for the sample variance, PyTorch's default
     * @return the variances
     */
    Tensor var(int[] dims, boolean keepDim, int correction);

    // ------------------------------------------------------------------ linear algebra

    /**
     * Returns the matrix product, following {@code torch.matmul}: rank-1 operands are promoted to
     * a row or column and the added dim is removed, and leading batch dims broadcast.
     *
     * @param other the right operand
     * @return the product
     */
    Tensor matmul(Tensor other);

    // ------------------------------------------------------------------ shape

    /**
     * Returns the same values with another shape; one size may be -1 and is inferred.
     *
     * @param shape the new dims, with the same element count
     * @return a view if this tensor is contiguous, else a copy
     */
    Tensor reshape(int... shape);

    /**
     * Returns a view with the dims reordered: dim {@code i} of the result is dim {@code order[i]}.
     *
     * @param order a permutation of the dims
     * @return the view
     */
    Tensor permute(int... order);

    /**
     * Returns a view with two dims swapped.
     *
     * @param dim0 one dim
     * @param dim1 the other
     * @return the view
     */
    Tensor transpose(int dim0, int dim1);

    /**
     * Returns a view with a size-1 dim inserted at {@code dim}.
     *
     * @param dim the position, in {@code [-(rank+1), rank]}
     * @return the view
     */
    Tensor unsqueeze(int dim);

    /**
     * Returns a view without the size-1 dim {@code dim}.
     *
     * @param dim a dim of size 1
     * @return the view
     */
    Tensor squeeze(int dim);

    /**
     * Returns a view broadcast to a larger shape, without copying.
     *
     * @param shape the target dims; this shape must broadcast to it
     * @return the view
     */
    Tensor broadcastTo(int... shape);

    /**
     * Returns a view of {@code length} entries of {@code dim} starting at {@code start}.
     *
     * @param dim    the dim
     * @param start  the first index
     * @param length how many entries
     * @return the view
     */
    Tensor narrow(int dim, int start, int length);

    /**
     * Returns a view of entries {@code [start, end)} of {@code dim}, as Python's {@code x[start:end]}.
     *
     * @param dim   the dim
     * @param start the first index
     * @param end   the exclusive end
     * @return the view
     */
    default Tensor slice(int dim, int start, int end) {
        int d = shape().axis("slice", dim);
        if (start < 0 || end < start || end > shape().size(d)) {
            throw new ShapeException("slice", "range [" + start + ", " + end + ") is outside dim "
                    + dim + " of size " + shape().size(d), shape());
        }
        return narrow(d, start, end - start);
    }

    /**
     * Splits into views of {@code splitSize} along {@code dim}; the last may be smaller.
     *
     * @param splitSize the size of each part
     * @param dim       the dim
     * @return the parts, in order
     */
    List<Tensor> split(int splitSize, int dim);

    /**
     * Splits into {@code chunks} nearly equal views along {@code dim}, as {@code torch.chunk}.
     *
     * @param chunks the number of parts wanted
     * @param dim    the dim
     * @return the parts, in order; fewer if the dim is too short
     */
    List<Tensor> chunk(int chunks, int dim);

    /**
     * Selects entries of {@code dim} by index, as {@code torch.index_select}; indices may repeat.
     * With {@code dim = 0} on an {@code (V, D)} table this is an embedding lookup.
     *
     * @param dim   the dim to index
     * @param index the indices, each in range
     * @return a tensor whose {@code dim} has {@code index.length} entries
     */
    Tensor indexSelect(int dim, int... index);

    /**
     * Pads with a constant, as {@code torch.nn.functional.pad}: {@code padding} holds
     * (before, after) pairs starting from the last dim.
     *
     * @param padding pairs of non-negative amounts, for up to {@code rank} dims
     * @param value   the fill value
     * @return the padded tensor
     */
    Tensor pad(int[] padding, float value);

    // ------------------------------------------------------------------ images (N, C, H, W)

    /**
     * Returns the 2-D cross-correlation of this {@code (N, C, H, W)} input with a
     * {@code (O, C / groups, KH, KW)} weight, without bias.
     *
     * @param weight  the filters
     * @param stride  the step, both directions
     * @param padding zero padding, all four sides
     * @param groups  channel groups, dividing C and O
     * @return the {@code (N, O, OH, OW)} output
     */
    Tensor conv2d(Tensor weight, int stride, int padding, int groups);

    /**
     * Repeats each pixel into a {@code factor x factor} block of an {@code (N, C, H, W)} tensor.
     *
     * @param factor the scale, at least 1
     * @return the {@code (N, C, H * factor, W * factor)} tensor
     */
    Tensor upsampleNearest(int factor);

    /**
     * Averages {@code kernel x kernel} windows every {@code stride} pixels of an
     * {@code (N, C, H, W)} tensor, without padding.
     *
     * @param kernel the window size
     * @param stride the step
     * @return the pooled tensor
     */
    Tensor avgPool2d(int kernel, int stride);
}
