package org.minidiffusion.core.spi;

/**
 * The compute kernels a backend supplies.
 *
 * <p>Every method writes its whole output and never reads it first, unless it says it accumulates
 * or updates in place (the optimiser kernels {@link #adamStep} and {@link #movingAverage}).
 * Arguments have been validated by the core: sizes are positive and consistent, arrays are long
 * enough, and outputs do not alias inputs. Buffers are row-major; a "contiguous" buffer holds its
 * elements from index 0 in row-major order. Kernels must not keep references to the arrays.
 *
 * <p>Shapes passed as {@code (outer, length, inner)} describe a contiguous tensor viewed as three
 * axes, where {@code length} is the axis being reduced, normalised or indexed.
 */
public interface Kernels {

    /**
     * Applies an element-wise function: {@code out[i] = op.apply(x[i], p, q)} for {@code i < n}.
     *
     * @param op  the function
     * @param p   its first parameter
     * @param q   its second parameter
     * @param x   contiguous input
     * @param out contiguous output
     * @param n   the number of elements
     */
    void map(UnaryOp op, float p, float q, float[] x, float[] out, int n);

    /**
     * Back-propagates through an element-wise function:
     * {@code gradX[i] = gradY[i] * op.derivative(x[i], y[i], p, q)}.
     *
     * @param op    the function
     * @param p     its first parameter
     * @param q     its second parameter
     * @param x     the forward input
     * @param y     the forward output
     * @param gradY the gradient of the output
     * @param gradX receives the gradient of the input
     * @param n     the number of elements
     */
    void mapBackward(UnaryOp op, float p, float q, float[] x, float[] y, float[] gradY, float[] gradX, int n);

    /**
     * Applies a binary function to two strided operands: {@code out[i] = op.apply(a[..], b[..])}.
     *
     * <p>For the multi-index {@code idx} of {@code shape}, the operands are read at
     * {@code aOffset + sum(idx[d] * aStrides[d])} and likewise for {@code b}. A stride of 0 broadcasts.
     * The output is contiguous with the given shape. It may be {@code a} itself when {@code a} is
     * read row-major from index 0 (the core adds gradients in place so); it never overlaps {@code b}.
     *
     * @param op       the function
     * @param shape    the output shape
     * @param a        the left operand's storage
     * @param aOffset  the left operand's first element
     * @param aStrides the left operand's strides, one per output dim
     * @param b        the right operand's storage
     * @param bOffset  the right operand's first element
     * @param bStrides the right operand's strides, one per output dim
     * @param out      contiguous output
     */
    void binary(BinaryOp op, int[] shape, float[] a, int aOffset, int[] aStrides,
                float[] b, int bOffset, int[] bStrides, float[] out);

    /**
     * Copies a strided view into a strided destination; this makes tensors contiguous, pads,
     * concatenates and scatters slices.
     *
     * @param shape      the shape of the region copied
     * @param src        source storage
     * @param srcOffset  first source element
     * @param srcStrides source strides, one per dim
     * @param dst        destination storage
     * @param dstOffset  first destination element
     * @param dstStrides destination strides, one per dim; they never make two elements collide
     */
    void copy(int[] shape, float[] src, int srcOffset, int[] srcStrides,
              float[] dst, int dstOffset, int[] dstStrides);

    /**
     * Reduces the middle axis of a contiguous {@code (outer, length, inner)} tensor into
     * {@code out}, of shape {@code (outer, inner)}. A sum adds in {@code double}, in the order
     * {@link ReduceOp#SUM} fixes.
     *
     * @param op     the reduction
     * @param x      contiguous input
     * @param outer  the product of the dims before the axis
     * @param length the size of the reduced axis
     * @param inner  the product of the dims after the axis
     * @param out    contiguous output
     */
    void reduce(ReduceOp op, float[] x, int outer, int length, int inner, float[] out);

    /**
     * Computes variances along the middle axis of a contiguous {@code (outer, length, inner)} tensor
     * into {@code out}, of shape {@code (outer, inner)}, in two passes in {@code double}:
     * {@code μ = Σ x / length}, then {@code Σ (x − μ)² / (length − correction)}, each sum added in
     * axis order and the result rounded to float once.
     *
     * <p>Two passes keep the variance of values far from zero accurate to float precision, where the
     * one-pass {@code E[x²] − E[x]²} cancels catastrophically.
     *
     * @param x          contiguous input
     * @param outer      the product of the dims before the axis
     * @param length     the size of the reduced axis, more than {@code correction}
     * @param inner      the product of the dims after the axis
     * @param correction subtracted from {@code length} in the divisor: 0 for the population
     *                   variance, 1 for the sample variance
     * @param out        contiguous output
     */
    void variance(float[] x, int outer, int length, int inner, int correction, float[] out);

    /**
     * Computes a numerically stable softmax, or log-softmax, along the middle axis of a contiguous
     * {@code (outer, length, inner)} tensor: {@code y_j = exp(x_j - m) / sum_k exp(x_k - m)} with
     * {@code m = max_k x_k}. The denominator is accumulated in {@code double}, in axis order.
     *
     * @param x      contiguous input
     * @param outer  the product of the dims before the axis
     * @param length the size of the softmax axis
     * @param inner  the product of the dims after the axis
     * @param log    whether to return {@code log(softmax(x))}
     * @param out    contiguous output of the same shape
     */
    void softmax(float[] x, int outer, int length, int inner, boolean log, float[] out);

    /**
     * Normalises groups of channels (Wu and He 2018, eq. 1 and 3) of a contiguous
     * {@code (batch, channels, spatial)} tensor, then scales and shifts each channel.
     *
     * <p>For sample {@code n} and group {@code g}, the set {@code S} holds the
     * {@code channels / groups * spatial} values of channels {@code [g·C/G, (g+1)·C/G)}. With
     * {@code μ = mean(S)}, {@code σ² = mean((S − μ)²)} (biased, as PyTorch) and
     * {@code rstd = 1 / sqrt(σ² + eps)}: {@code out = (x − μ)·rstd·gamma[c] + beta[c]}. The mean
     * and {@code rstd} of each {@code (n, g)} are written for the backward pass. The statistics are
     * accumulated in {@code double}, and {@code μ} is subtracted before scaling, so a mean large
     * against the spread costs no accuracy.
     *
     * @param x        contiguous input {@code (batch, channels, spatial)}
     * @param batch    the number of samples
     * @param channels the number of channels, a multiple of {@code groups}
     * @param spatial  the product of the dims after the channel dim
     * @param groups   the number of groups
     * @param gamma    per-channel scale {@code (channels)}, or null for 1
     * @param beta     per-channel shift {@code (channels)}, or null for 0
     * @param eps      added to the variance
     * @param out      contiguous output of the input's shape
     * @param mean     receives {@code μ}, {@code (batch, groups)}
     * @param rstd     receives {@code 1 / sqrt(σ² + eps)}, {@code (batch, groups)}
     */
    void groupNorm(float[] x, int batch, int channels, int spatial, int groups, float[] gamma, float[] beta,
                   float eps, float[] out, float[] mean, float[] rstd);

    // ---------------------------------------- fused normalisation and softmax backward; layer and RMS norm

    /**
     * Computes the gradients of {@link #groupNorm} (Wu and He 2018, eq. 1 and 3) in one kernel, from
     * the mean and {@code rstd} its forward pass wrote.
     *
     * <p>With {@code x̂ = (x − μ)·rstd} and {@code dx̂ = gamma[c]·gradY}, per sample {@code n} and
     * group {@code g} of {@code M = channels / groups · spatial} values:
     * {@code gradX = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))}; per channel, summed over the batch and
     * the spatial positions, {@code gradGamma[c] = Σ gradY·x̂} and {@code gradBeta[c] = Σ gradY}.
     * The sums are accumulated in {@code double}.
     *
     * @param x         the forward input {@code (batch, channels, spatial)}, contiguous
     * @param gradY     the gradient of the output, contiguous, of the input's shape
     * @param batch     the number of samples
     * @param channels  the number of channels, a multiple of {@code groups}
     * @param spatial   the product of the dims after the channel dim
     * @param groups    the number of groups
     * @param gamma     per-channel scale {@code (channels)}, or null for 1
     * @param mean      {@code μ} of each {@code (n, g)}, {@code (batch, groups)}, as the forward wrote it
     * @param rstd      {@code 1 / sqrt(σ² + eps)} of each {@code (n, g)}, {@code (batch, groups)}
     * @param gradX     receives the gradient of the input, or null if it is not needed
     * @param gradGamma receives the gradient of {@code gamma} {@code (channels)}, or null if not needed
     * @param gradBeta  receives the gradient of {@code beta} {@code (channels)}, or null if not needed
     */
    void groupNormBackward(float[] x, float[] gradY, int batch, int channels, int spatial, int groups, float[] gamma,
                           float[] mean, float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta);

    /**
     * Normalises each row of a contiguous {@code (rows, features)} tensor over its features (Ba, Kiros
     * and Hinton 2016, eq. 4), then scales and shifts each feature:
     * {@code out = (x − μ)·rstd·gamma[j] + beta[j]}, with the row's {@code μ = mean(x)},
     * {@code σ² = mean((x − μ)²)} (biased, as PyTorch) and {@code rstd = 1 / sqrt(σ² + eps)}, both
     * accumulated in {@code double}. The mean and {@code rstd} of each row are written for the
     * backward pass.
     *
     * @param x        contiguous input {@code (rows, features)}
     * @param rows     the number of rows: the product of all dims but the last
     * @param features the size of the last dim
     * @param gamma    per-feature scale {@code (features)}, or null for 1
     * @param beta     per-feature shift {@code (features)}, or null for 0
     * @param eps      added to the variance
     * @param out      contiguous output of the input's shape
     * @param mean     receives {@code μ} of each row, {@code (rows)}
     * @param rstd     receives {@code 1 / sqrt(σ² + eps)} of each row, {@code (rows)}
     */
    void layerNorm(float[] x, int rows, int features, float[] gamma, float[] beta, float eps, float[] out,
                   float[] mean, float[] rstd);

    /**
     * Computes the gradients of {@link #layerNorm} in one kernel: per row, with {@code x̂ = (x − μ)·rstd}
     * and {@code dx̂ = gamma[j]·gradY}, {@code gradX = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))}; per
     * feature, summed over the rows, {@code gradGamma[j] = Σ gradY·x̂} and {@code gradBeta[j] = Σ gradY}.
     * The sums are accumulated in {@code double}.
     *
     * @param x         the forward input {@code (rows, features)}, contiguous
     * @param gradY     the gradient of the output, contiguous, of the input's shape
     * @param rows      the number of rows
     * @param features  the size of the last dim
     * @param gamma     per-feature scale {@code (features)}, or null for 1
     * @param mean      {@code μ} of each row, as the forward wrote it
     * @param rstd      {@code rstd} of each row, as the forward wrote it
     * @param gradX     receives the gradient of the input, or null if it is not needed
     * @param gradGamma receives the gradient of {@code gamma} {@code (features)}, or null if not needed
     * @param gradBeta  receives the gradient of {@code beta} {@code (features)}, or null if not needed
     */
    void layerNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] mean,
                           float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta);

    /**
     * Scales each row of a contiguous {@code (rows, features)} tensor by the reciprocal of its root
     * mean square (Zhang and Sennrich 2019, eq. 4), then each feature by {@code gamma[j]}:
     * {@code out = x·rstd·gamma[j]} with {@code rstd = 1 / sqrt(mean(x²) + eps)}, the mean square
     * accumulated in {@code double}. The {@code rstd} of each row is written for the backward pass.
     *
     * @param x        contiguous input {@code (rows, features)}
     * @param rows     the number of rows
     * @param features the size of the last dim
     * @param gamma    per-feature scale {@code (features)}, or null for 1
     * @param eps      added to the mean square
     * @param out      contiguous output of the input's shape
     * @param rstd     receives {@code 1 / sqrt(mean(x²) + eps)} of each row, {@code (rows)}
     */
    void rmsNorm(float[] x, int rows, int features, float[] gamma, float eps, float[] out, float[] rstd);

    /**
     * Computes the gradients of {@link #rmsNorm} in one kernel: per row, with {@code x̂ = x·rstd} and
     * {@code dx̂ = gamma[j]·gradY}, {@code gradX = rstd·(dx̂ − x̂·mean(dx̂·x̂))}; per feature, summed over
     * the rows, {@code gradGamma[j] = Σ gradY·x̂}. The sums are accumulated in {@code double}.
     *
     * @param x         the forward input {@code (rows, features)}, contiguous
     * @param gradY     the gradient of the output, contiguous, of the input's shape
     * @param rows      the number of rows
     * @param features  the size of the last dim
     * @param gamma     per-feature scale {@code (features)}, or null for 1
     * @param rstd      {@code rstd} of each row, as the forward wrote it
     * @param gradX     receives the gradient of the input, or null if it is not needed
     * @param gradGamma receives the gradient of {@code gamma} {@code (features)}, or null if not needed
     */
    void rmsNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] rstd,
                         float[] gradX, float[] gradGamma);

    /**
     * Computes the gradient of {@link #softmax} along the middle axis of a contiguous
     * {@code (outer, length, inner)} tensor from its output {@code y}: for the softmax
     * {@code gradX_l = y_l·(gradY_l − Σ_k gradY_k·y_k)}, for the log-softmax
     * {@code gradX_l = gradY_l − exp(y_l)·Σ_k gradY_k}. The sum is accumulated in {@code double}, in
     * axis order.
     *
     * @param y      the forward output, contiguous: probabilities, or log-probabilities when {@code log}
     * @param gradY  the gradient of the output, contiguous, of the same shape
     * @param outer  the product of the dims before the axis
     * @param length the size of the softmax axis
     * @param inner  the product of the dims after the axis
     * @param log    whether the forward pass was the log-softmax
     * @param gradX  receives the gradient of the input, of the same shape
     */
    void softmaxBackward(float[] y, float[] gradY, int outer, int length, int inner, boolean log, float[] gradX);

    /**
     * Multiplies a batch of matrices: {@code C[b] = op(A[b]) · op(B[b])}, with {@code C[b]} of
     * shape {@code (m, n)} stored contiguously at {@code b * m * n}.
     *
     * <p>{@code A[b]} starts at {@code aOffsets[b]}. It is stored row-major as {@code (m, k)}, or as
     * {@code (k, m)} when {@code transA} is set, in which case {@code op(A)} is its transpose. The same
     * holds for {@code B[b]}, stored as {@code (k, n)} or, when {@code transB}, as {@code (n, k)}.
     * Offsets may repeat, which is how broadcast batch dims are expressed.
     *
     * @param batch    the number of products
     * @param a        storage of the left matrices
     * @param aOffsets first element of each left matrix
     * @param transA   whether each left matrix is stored transposed
     * @param b        storage of the right matrices
     * @param bOffsets first element of each right matrix
     * @param transB   whether each right matrix is stored transposed
     * @param c        contiguous output {@code (batch, m, n)}
     * @param m        rows of each product
     * @param k        the contracted size
     * @param n        columns of each product
     */
    void matmul(int batch, float[] a, int[] aOffsets, boolean transA,
                float[] b, int[] bOffsets, boolean transB, float[] c, int m, int k, int n);

    /**
     * Computes a 2-D cross-correlation (PyTorch's {@code conv2d}) without bias.
     *
     * @param g   the geometry
     * @param x   input {@code (N, C, H, W)}
     * @param w   weight {@code (O, C / groups, KH, KW)}
     * @param out output {@code (N, O, OH, OW)}
     */
    void conv2d(Conv2dGeometry g, float[] x, float[] w, float[] out);

    /**
     * Computes the gradient of {@link #conv2d} with respect to its input.
     *
     * @param g     the geometry
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param w     weight {@code (O, C / groups, KH, KW)}
     * @param gradX receives the gradient of the input {@code (N, C, H, W)}
     */
    void conv2dBackwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX);

    /**
     * Computes the gradient of {@link #conv2d} with respect to its weight.
     *
     * @param g     the geometry
     * @param x     input {@code (N, C, H, W)}
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param gradW receives the gradient of the weight {@code (O, C / groups, KH, KW)}
     */
    void conv2dBackwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW);

    /**
     * Repeats every pixel of {@code planes} contiguous {@code (h, w)} planes into a
     * {@code factor x factor} block: {@code out[p][i][j] = x[p][i / factor][j / factor]}.
     *
     * @param x      input {@code (planes, h, w)}
     * @param planes the number of planes (batch times channels)
     * @param h      input height
     * @param w      input width
     * @param factor the scale factor
     * @param out    output {@code (planes, h * factor, w * factor)}
     */
    void upsampleNearest(float[] x, int planes, int h, int w, int factor, float[] out);

    /**
     * Averages {@code kernel x kernel} windows taken every {@code stride} pixels, without padding.
     *
     * @param x      input {@code (planes, h, w)}
     * @param planes the number of planes
     * @param h      input height
     * @param w      input width
     * @param kernel the window size
     * @param stride the step between windows
     * @param out    output {@code (planes, (h - kernel) / stride + 1, (w - kernel) / stride + 1)}
     */
    void avgPool2d(float[] x, int planes, int h, int w, int kernel, int stride, float[] out);

    /**
     * Computes the gradient of {@link #avgPool2d}: every window spreads {@code gradY / kernel^2}
     * over its pixels, and overlapping windows add up.
     *
     * @param gradY  gradient of the output
     * @param planes the number of planes
     * @param h      input height
     * @param w      input width
     * @param kernel the window size
     * @param stride the step between windows
     * @param gradX  receives the gradient of the input {@code (planes, h, w)}
     */
    void avgPool2dBackward(float[] gradY, int planes, int h, int w, int kernel, int stride, float[] gradX);

    /**
     * Gathers slices along the middle axis: {@code out[o][i][j] = x[o][index[i]][j]}.
     *
     * @param x      contiguous input {@code (outer, length, inner)}
     * @param outer  the product of the dims before the axis
     * @param length the size of the indexed axis
     * @param inner  the product of the dims after the axis
     * @param index  indices in {@code [0, length)}
     * @param out    output {@code (outer, index.length, inner)}
     */
    void gather(float[] x, int outer, int length, int inner, int[] index, float[] out);

    /**
     * Adds slices back along the middle axis, the gradient of {@link #gather}:
     * {@code gradX[o][index[i]][j] += gradY[o][i][j]}; {@code gradX} is zeroed first.
     *
     * @param gradY  gradient of the gathered output {@code (outer, index.length, inner)}
     * @param outer  the product of the dims before the axis
     * @param length the size of the indexed axis
     * @param inner  the product of the dims after the axis
     * @param index  the indices used by the gather; they may repeat
     * @param gradX  receives the gradient of the input {@code (outer, length, inner)}
     */
    void scatterAdd(float[] gradY, int outer, int length, int inner, int[] index, float[] gradX);

    /**
     * Takes one Adam step in place (Kingma and Ba 2015, Algorithm 1), with decoupled weight decay
     * (AdamW, Loshchilov and Hutter 2019, Algorithm 2, line 12). For {@code i < n}, in float32
     * and in exactly this order of operations:
     * <pre>
     * g    = gradScale · grad[i]
     * m[i] = beta1 · m[i] + (1 − beta1) · g                    biased first moment
     * v[i] = beta2 · v[i] + (1 − beta2) · (g · g)              biased second raw moment
     * m̂    = m[i] · (1 / c1),  v̂ = v[i] · (1 / c2)              bias corrections
     * p[i] = p[i] · (1 − lr · weightDecay) − (m̂ / (sqrt(v̂) + eps)) · lr
     * </pre>
     * where {@code 1 − beta1}, {@code 1 − beta2}, {@code 1 / c1}, {@code 1 / c2} and
     * {@code 1 − lr · weightDecay} are each rounded to float once. Without a fused multiply-add
     * every backend gets the same bits as the reference. Unlike the other kernels this one updates
     * {@code p}, {@code m} and {@code v} in place; {@code grad} is only read. The four arrays are
     * distinct and hold at least {@code n} elements each, from index 0.
     *
     * @param p           the parameter, updated in place
     * @param grad        its gradient
     * @param m           the first moment estimate, updated in place
     * @param v           the second raw moment estimate, updated in place
     * @param n           the number of elements
     * @param lr          the step size alpha
     * @param beta1       the decay of the first moment
     * @param beta2       the decay of the second moment
     * @param c1          the first bias correction, {@code 1 − beta1^t} at step {@code t}
     * @param c2          the second bias correction, {@code 1 − beta2^t}
     * @param eps         added to the root of the corrected second moment
     * @param weightDecay the decoupled weight decay lambda; 0 for plain Adam
     * @param gradScale   multiplies the gradient first, as gradient clipping by norm does; 1 for none
     */
    void adamStep(float[] p, float[] grad, float[] m, float[] v, int n, float lr, float beta1, float beta2,
                  float c1, float c2, float eps, float weightDecay, float gradScale);

    /**
     * Moves an exponential moving average towards {@code x} in place:
     * {@code average[i] = average[i] · decay + x[i] · (1 − decay)} for {@code i < n}, with
     * {@code 1 − decay} rounded to float once and no fused multiply-add, so every backend gets the
     * reference's bits. The two arrays are distinct.
     *
     * @param average the average, updated in place
     * @param x       the new values
     * @param n       the number of elements
     * @param decay   the weight of the old average
     */
    void movingAverage(float[] average, float[] x, int n, float decay);
}
