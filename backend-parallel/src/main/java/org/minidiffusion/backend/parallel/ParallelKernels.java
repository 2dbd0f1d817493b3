package org.minidiffusion.backend.parallel;

import java.util.Arrays;

import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Conv2dGeometry;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.core.spi.ReduceOp;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * The multi-threaded kernels, split over elements, rows, planes or outer indices with
 * {@link Parallel}.
 *
 * <p>Each task writes its own elements only. Element-wise kernels evaluate the formulas of the
 * reference {@link UnaryOp#apply}, {@link UnaryOp#derivative} and {@link BinaryOp#apply}, in loops
 * specialised per op ({@link UnaryRows}, {@link BinaryRows}). Reductions ({@link Reductions}) and
 * softmax denominators are accumulated in {@code double} in the order the reference uses, pooling
 * windows in {@code float} in the order of a plain loop, so those results are bit-identical to the
 * scalar backend; matrix products, convolutions and group-norm statistics differ by rounding only.
 */
final class ParallelKernels implements Kernels {

    /** Scalar operations below which a block of work is not split further. */
    private static final int GRAIN = 1 << 15;

    /**
     * Elements of an optimiser update below which it is not split further: each element costs about
     * a dozen operations, a square root and a division among them, over four arrays.
     */
    private static final int OPTIMIZER_GRAIN = GRAIN / 4;

    /**
     * Whether products and convolutions run on the Vector API, through {@link PackedGemm}, column
     * sums through {@link SimdSums}, and the optimiser kernels through {@link SimdOptimizer}.
     */
    private final boolean simd;

    /** A loop body over one outer index and a chunk {@code [j0, j1)} of inner indices. */
    @FunctionalInterface
    interface ChunkBody {
        /** Runs the body for outer index {@code o} and inner indices {@code j0 <= j < j1}. */
        void run(int o, int j0, int j1);
    }

    /**
     * Creates the kernels.
     *
     * @param simd whether matrix products, convolutions and column sums use the Vector API; only when
     *             {@link Simd#status()} is active
     */
    ParallelKernels(boolean simd) {
        this.simd = simd;
    }

    /**
     * Returns whether matrix products and convolutions run on the Vector API.
     *
     * @return whether the SIMD path is used
     */
    boolean simd() {
        return simd;
    }

    @Override
    public void map(UnaryOp op, float p, float q, float[] x, float[] out, int n) {
        Parallel.parallelRange(n, grain(op), (from, to) -> UnaryRows.map(op, p, q, x, out, from, to));
    }

    @Override
    public void mapBackward(UnaryOp op, float p, float q, float[] x, float[] y, float[] gradY,
                            float[] gradX, int n) {
        // dL/dx = dL/dy * f'(x)
        Parallel.parallelRange(n, grain(op),
                (from, to) -> UnaryRows.backward(op, p, q, x, y, gradY, gradX, from, to));
    }

    @Override
    public void binary(BinaryOp op, int[] shape, float[] a, int aOffset, int[] aStrides,
                       float[] b, int bOffset, int[] bStrides, float[] out) {
        Strided loop = Strided.of(shape, new int[] {aOffset, bOffset, 0},
                aStrides, bStrides, contiguousStrides(shape));
        if (loop == null) {
            return; // no elements
        }
        int as = loop.innerStride(0);
        int bs = loop.innerStride(1);
        // the output is contiguous, so its inner stride is 1
        loop.forEachRow((length, start) -> BinaryRows.row(op, length, a, start[0], as, b, start[1], bs,
                out, start[2]));
    }

    @Override
    public void copy(int[] shape, float[] src, int srcOffset, int[] srcStrides,
                     float[] dst, int dstOffset, int[] dstStrides) {
        Strided loop = Strided.of(shape, new int[] {srcOffset, dstOffset}, srcStrides, dstStrides);
        if (loop == null) {
            return; // no elements
        }
        int ss = loop.innerStride(0);
        int ds = loop.innerStride(1);
        loop.forEachRow((length, start) -> {
            if (ss == 1 && ds == 1) {
                System.arraycopy(src, start[0], dst, start[1], length);
            } else {
                for (int j = 0; j < length; j++) {
                    dst[start[1] + j * ds] = src[start[0] + j * ss];
                }
            }
        });
    }

    @Override
    public void reduce(ReduceOp op, float[] x, int outer, int length, int inner, float[] out) {
        Reductions.reduce(op, x, outer, length, inner, out, simd);
    }

    @Override
    public void variance(float[] x, int outer, int length, int inner, int correction, float[] out) {
        Reductions.variance(x, outer, length, inner, correction, out);
    }

    @Override
    public void groupNorm(float[] x, int batch, int channels, int spatial, int groups, float[] gamma, float[] beta,
                          float eps, float[] out, float[] mean, float[] rstd) {
        GroupNormKernel.run(x, batch, channels, spatial, groups, gamma, beta, eps, out, mean, rstd);
    }

    // ---------------------------------------- fused normalisation and softmax backward; layer and RMS norm

    @Override
    public void groupNormBackward(float[] x, float[] gradY, int batch, int channels, int spatial, int groups,
                                  float[] gamma, float[] mean, float[] rstd, float[] gradX, float[] gradGamma,
                                  float[] gradBeta) {
        GroupNormKernel.backward(x, gradY, batch, channels, spatial, groups, gamma, mean, rstd, gradX, gradGamma,
                gradBeta, simdUse());
    }

    @Override
    public void layerNorm(float[] x, int rows, int features, float[] gamma, float[] beta, float eps, float[] out,
                          float[] mean, float[] rstd) {
        RowNormKernel.forward(x, rows, features, gamma, beta, eps, out, mean, rstd, simdUse());
    }

    @Override
    public void layerNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] mean,
                                  float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta) {
        RowNormKernel.backward(x, gradY, rows, features, gamma, mean, rstd, gradX, gradGamma, gradBeta, simdUse());
    }

    @Override
    public void rmsNorm(float[] x, int rows, int features, float[] gamma, float eps, float[] out, float[] rstd) {
        RowNormKernel.forward(x, rows, features, gamma, null, eps, out, null, rstd, simdUse());
    }

    @Override
    public void rmsNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] rstd,
                                float[] gradX, float[] gradGamma) {
        RowNormKernel.backward(x, gradY, rows, features, gamma, null, rstd, gradX, gradGamma, null, simdUse());
    }

    @Override
    public void softmaxBackward(float[] y, float[] gradY, int outer, int length, int inner, boolean log,
                                float[] gradX) {
        SoftmaxBackwardKernel.run(y, gradY, outer, length, inner, log, gradX, simdUse());
    }

    /**
     * Returns {@link #simd}, counting a use of the Vector API path when it is set; the norm and softmax
     * loops run on {@link SimdNorms} then.
     */
    private boolean simdUse() {
        if (simd) {
            Simd.recordUse();
        }
        return simd;
    }

    @Override
    public void softmax(float[] x, int outer, int length, int inner, boolean log, float[] out) {
        // y_l = exp(x_l - m) / sum_k exp(x_k - m), m = max_k x_k; log y_l = x_l - m - log(sum)
        if (length == 0) {
            return; // no elements
        }
        if (inner == 1) {
            Parallel.parallelRange(outer, Math.max(1, GRAIN / (8 * length)), (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    softmaxRow(x, o * length, length, log, out);
                }
            });
        } else {
            outerInner(outer, inner, 8 * length,
                    (o, j0, j1) -> softmaxColumns(x, o, length, inner, j0, j1, log, out));
        }
    }

    @Override
    public void matmul(int batch, float[] a, int[] aOffsets, boolean transA,
                       float[] b, int[] bOffsets, boolean transB, float[] c, int m, int k, int n) {
        if (simd && PackedGemm.suits(m, n)) {
            PackedGemm.batched(batch, a, aOffsets, transA, b, bOffsets, transB, c, m, k, n);
        } else {
            Gemm.batched(batch, a, aOffsets, transA, b, bOffsets, transB, c, m, k, n);
        }
    }

    @Override
    public void conv2d(Conv2dGeometry g, float[] x, float[] w, float[] out) {
        if (Winograd.suits(g)) {
            Winograd.forward(g, x, w, out, simd);
        } else if (simd) {
            PackedConvolution.forward(g, x, w, out);
        } else {
            Convolution.forward(g, x, w, out);
        }
    }

    @Override
    public void conv2dBackwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX) {
        if (Winograd.suitsBackwardInput(g)) {
            Winograd.backwardInput(g, gradY, w, gradX, simd);
        } else if (simd) {
            PackedConvolution.backwardInput(g, gradY, w, gradX);
        } else {
            Convolution.backwardInput(g, gradY, w, gradX);
        }
    }

    @Override
    public void conv2dBackwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW) {
        if (simd) {
            PackedConvolution.backwardWeight(g, x, gradY, gradW);
        } else {
            Convolution.backwardWeight(g, x, gradY, gradW);
        }
    }

    @Override
    public void upsampleNearest(float[] x, int planes, int h, int w, int factor, float[] out) {
        // out[p][i][j] = x[p][i / factor][j / factor], in parallel over output rows (p, i)
        int oh = h * factor;
        int ow = w * factor;
        Parallel.parallelRange(planes * oh, Math.max(1, GRAIN / ow), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int dst = r * ow;
                if (r > r0 && r % oh % factor != 0) {
                    System.arraycopy(out, dst - ow, out, dst, ow); // the same source row as row r - 1
                    continue;
                }
                int src = (r / oh * h + r % oh / factor) * w;
                for (int j = 0; j < w; j++) {
                    float v = x[src + j];
                    for (int f = 0; f < factor; f++) {
                        out[dst + j * factor + f] = v;
                    }
                }
            }
        });
    }

    @Override
    public void avgPool2d(float[] x, int planes, int h, int w, int kernel, int stride, float[] out) {
        // out[p][oy][ox] = (1 / kernel^2) sum_{ky, kx} x[p][oy*stride + ky][ox*stride + kx],
        // in parallel over output rows (p, oy)
        int oh = (h - kernel) / stride + 1;
        int ow = (w - kernel) / stride + 1;
        Parallel.parallelRange(planes * oh, Math.max(1, GRAIN / (ow * kernel * kernel)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int top = (r / oh * h + r % oh * stride) * w; // x[p][oy * stride][0]
                for (int ox = 0; ox < ow; ox++) {
                    float acc = 0f;
                    for (int ky = 0; ky < kernel; ky++) {
                        for (int kx = 0; kx < kernel; kx++) {
                            acc += x[top + ky * w + ox * stride + kx];
                        }
                    }
                    out[r * ow + ox] = acc / (kernel * kernel);
                }
            }
        });
    }

    @Override
    public void avgPool2dBackward(float[] gradY, int planes, int h, int w, int kernel, int stride,
                                  float[] gradX) {
        // gradX[p][iy][ix] = sum over the windows (oy, ox) covering (iy, ix) of gradY[p][oy][ox] / kernel^2.
        // Gathered per input row (p, iy), so no two tasks write one element; the windows are visited
        // in (oy, ox) order, the order in which a scatter loop would add them.
        int oh = (h - kernel) / stride + 1;
        int ow = (w - kernel) / stride + 1;
        Parallel.parallelRange(planes * h, Math.max(1, GRAIN / (w * kernel * kernel)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int p = r / h;
                int iy = r % h;
                int oyLast = Math.min(oh - 1, iy / stride);
                for (int ix = 0; ix < w; ix++) {
                    int oxLast = Math.min(ow - 1, ix / stride);
                    float acc = 0f;
                    for (int oy = firstWindow(iy, kernel, stride); oy <= oyLast; oy++) {
                        for (int ox = firstWindow(ix, kernel, stride); ox <= oxLast; ox++) {
                            acc += gradY[(p * oh + oy) * ow + ox] / (kernel * kernel);
                        }
                    }
                    gradX[r * w + ix] = acc;
                }
            }
        });
    }

    @Override
    public void gather(float[] x, int outer, int length, int inner, int[] index, float[] out) {
        // out[o][i][:] = x[o][index[i]][:], in parallel over rows (o, i)
        int count = index.length;
        Parallel.parallelRange(outer * count, Math.max(1, GRAIN / Math.max(1, inner)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                System.arraycopy(x, (r / count * length + index[r % count]) * inner, out, r * inner, inner);
            }
        });
    }

    @Override
    public void scatterAdd(float[] gradY, int outer, int length, int inner, int[] index, float[] gradX) {
        // gradX[o][index[i]][j] += gradY[o][i][j], in parallel over (o, chunk of j) and, within a
        // task, in order of i, so that repeated indices add up in the order of a plain loop
        int count = index.length;
        outerInner(outer, inner, count, (o, j0, j1) -> {
            for (int l = 0; l < length; l++) {
                int dst = (o * length + l) * inner;
                Arrays.fill(gradX, dst + j0, dst + j1, 0f);
            }
            for (int i = 0; i < count; i++) {
                int src = (o * count + i) * inner;
                int dst = (o * length + index[i]) * inner;
                for (int j = j0; j < j1; j++) {
                    gradX[dst + j] += gradY[src + j];
                }
            }
        });
    }

    @Override
    public void adamStep(float[] p, float[] grad, float[] m, float[] v, int n, float lr, float beta1, float beta2,
                         float c1, float c2, float eps, float weightDecay, float gradScale) {
        // The reference's formulas element by element, over chunks of elements; a parameter smaller
        // than a chunk (a bias, a norm's scale) runs on the calling thread without a task.
        if (simd) {
            Simd.recordUse();
        }
        if (n <= OPTIMIZER_GRAIN) {
            adamRange(p, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale, 0, n);
        } else {
            Parallel.parallelRange(n, OPTIMIZER_GRAIN, (from, to) ->
                    adamRange(p, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale, from, to));
        }
    }

    private void adamRange(float[] p, float[] grad, float[] m, float[] v, float lr, float beta1, float beta2,
                           float c1, float c2, float eps, float weightDecay, float gradScale, int from, int to) {
        if (simd) {
            SimdOptimizer.adam(p, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale, from, to);
        } else {
            OptimizerRows.adam(p, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale, from, to);
        }
    }

    @Override
    public void movingAverage(float[] average, float[] x, int n, float decay) {
        // average = decay average + (1 - decay) x, over chunks of elements, like adamStep
        if (simd) {
            Simd.recordUse();
        }
        if (n <= OPTIMIZER_GRAIN) {
            movingAverageRange(average, x, decay, 0, n);
        } else {
            Parallel.parallelRange(n, OPTIMIZER_GRAIN, (from, to) -> movingAverageRange(average, x, decay, from, to));
        }
    }

    private void movingAverageRange(float[] average, float[] x, float decay, int from, int to) {
        if (simd) {
            SimdOptimizer.movingAverage(average, x, decay, from, to);
        } else {
            OptimizerRows.movingAverage(average, x, decay, from, to);
        }
    }

    /** Returns how many elements of {@code op} are worth a task: fewer for transcendental functions. */
    private static int grain(UnaryOp op) {
        switch (op) {
            case EXP:
            case LOG:
            case SILU:
            case GELU:
            case GELU_TANH:
            case SIGMOID:
            case TANH:
            case POW:
                return GRAIN / 16;
            default:
                return GRAIN;
        }
    }

    /** Returns the row-major strides of a contiguous tensor of {@code shape}. */
    private static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /**
     * Runs {@code body} over every outer index and chunk of inner indices, in parallel; {@code work}
     * estimates the scalar operations per {@code (o, j)} pair. The inner axis is split only when the
     * outer one is too short to keep every core busy, into chunks of at least 64 for SIMD.
     */
    static void outerInner(int outer, int inner, int work, ChunkBody body) {
        if (outer == 0 || inner == 0) {
            return;
        }
        int perOuter = Math.min(Parallel.ceilDiv(inner, 64), Parallel.ceilDiv(4 * Parallel.CORES, outer));
        int chunk = Parallel.ceilDiv(inner, perOuter);
        int chunks = Parallel.ceilDiv(inner, chunk);
        int grain = (int) Math.max(1, GRAIN / ((long) chunk * Math.max(1, work)));
        Parallel.parallelRange(outer * chunks, grain, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int j0 = t % chunks * chunk;
                body.run(t / chunks, j0, Math.min(inner, j0 + chunk));
            }
        });
    }

    /** Computes the softmax of the contiguous row {@code x[from .. from + length)} into {@code out}. */
    private static void softmaxRow(float[] x, int from, int length, boolean log, float[] out) {
        float m = x[from];
        for (int l = 1; l < length; l++) {
            m = Math.max(m, x[from + l]);
        }
        double sum = 0;
        for (int l = from; l < from + length; l++) {
            float e = (float) Math.exp(x[l] - m);
            out[l] = e;
            sum += e;
        }
        if (log) {
            double logSum = Math.log(sum);
            for (int l = from; l < from + length; l++) {
                out[l] = (float) (x[l] - m - logSum);
            }
        } else {
            for (int l = from; l < from + length; l++) {
                out[l] = (float) (out[l] / sum);
            }
        }
    }

    /**
     * Computes the softmax of columns {@code [j0, j1)} of {@code x[o]}, an {@code (length, inner)}
     * matrix, over its rows, sweeping a row at a time so the loops over j are unit-stride.
     */
    private static void softmaxColumns(float[] x, int o, int length, int inner, int j0, int j1, boolean log,
                                       float[] out) {
        int base = o * length * inner;
        int width = j1 - j0;
        float[] max = Arrays.copyOfRange(x, base + j0, base + j1);
        for (int l = 1; l < length; l++) {
            for (int j = 0, at = base + l * inner + j0; j < width; j++, at++) {
                max[j] = Math.max(max[j], x[at]);
            }
        }
        double[] sum = new double[width];
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner + j0; j < width; j++, at++) {
                float e = (float) Math.exp(x[at] - max[j]);
                out[at] = e;
                sum[j] += e;
            }
        }
        if (log) {
            for (int j = 0; j < width; j++) {
                sum[j] = Math.log(sum[j]); // now log(sum)
            }
        }
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner + j0; j < width; j++, at++) {
                out[at] = (float) (log ? x[at] - max[j] - sum[j] : out[at] / sum[j]);
            }
        }
    }

    /**
     * Returns the first pooling window, {@code kernel} wide every {@code stride}, that covers pixel
     * {@code i}: window {@code o} covers {@code [o * stride, o * stride + kernel)}.
     */
    private static int firstWindow(int i, int kernel, int stride) {
        int from = i - kernel + 1; // the lowest start of a window that still reaches i
        return from <= 0 ? 0 : Parallel.ceilDiv(from, stride);
    }
}
