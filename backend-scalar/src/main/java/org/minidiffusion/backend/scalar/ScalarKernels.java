package org.minidiffusion.backend.scalar;

import java.util.Arrays;

import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Conv2dGeometry;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.core.spi.ReduceOp;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * The reference kernels: single-threaded plain loops that follow the definitions in {@link Kernels}.
 *
 * <p>Reductions, softmax denominators and normalisation statistics are accumulated in
 * {@code double}, in ascending index order (sums in the blocks {@link ReduceOp#SUM} defines);
 * matrix products, convolutions and pooling windows in {@code float}. Nothing here is tuned; the
 * point is that each method can be checked against the math by reading it.
 */
final class ScalarKernels implements Kernels {

    @Override
    public void map(UnaryOp op, float p, float q, float[] x, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = op.apply(x[i], p, q);
        }
    }

    @Override
    public void mapBackward(UnaryOp op, float p, float q, float[] x, float[] y, float[] gradY,
                            float[] gradX, int n) {
        // dL/dx = dL/dy * f'(x)
        for (int i = 0; i < n; i++) {
            gradX[i] = gradY[i] * op.derivative(x[i], y[i], p, q);
        }
    }

    @Override
    public void binary(BinaryOp op, int[] shape, float[] a, int aOffset, int[] aStrides,
                       float[] b, int bOffset, int[] bStrides, float[] out) {
        if (isEmpty(shape)) {
            return;
        }
        int[] idx = new int[shape.length];
        int i = 0;
        do {
            out[i++] = op.apply(a[offset(aOffset, aStrides, idx)], b[offset(bOffset, bStrides, idx)]);
        } while (next(idx, shape));
    }

    @Override
    public void copy(int[] shape, float[] src, int srcOffset, int[] srcStrides,
                     float[] dst, int dstOffset, int[] dstStrides) {
        if (isEmpty(shape)) {
            return;
        }
        int[] idx = new int[shape.length];
        do {
            dst[offset(dstOffset, dstStrides, idx)] = src[offset(srcOffset, srcStrides, idx)];
        } while (next(idx, shape));
    }

    @Override
    public void reduce(ReduceOp op, float[] x, int outer, int length, int inner, float[] out) {
        // x: (outer, length, inner) -> out: (outer, inner)
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * length * inner + j;
                float acc;
                switch (op) {
                    case SUM:
                        acc = (float) sum(x, base, length, inner);
                        break;
                    case MAX:
                        acc = x[base];
                        for (int l = 1; l < length; l++) {
                            acc = Math.max(acc, x[base + l * inner]); // Math.max propagates NaN
                        }
                        break;
                    default:
                        throw new AssertionError(op);
                }
                out[o * inner + j] = acc;
            }
        }
    }

    /**
     * Returns {@code Σ_l x[base + l * inner]} for {@code l < length} in double, in the order
     * {@link ReduceOp#SUM} fixes: blocks of {@link ReduceOp#SUM_BLOCK} in axis order, then the
     * block sums in order.
     */
    private static double sum(float[] x, int base, int length, int inner) {
        double total = 0;
        for (int from = 0, to; from < length; from = to) {
            to = from + Math.min(ReduceOp.SUM_BLOCK, length - from);
            double block = 0;
            for (int l = from; l < to; l++) {
                block += x[base + l * inner];
            }
            total += block;
        }
        return total;
    }

    @Override
    public void variance(float[] x, int outer, int length, int inner, int correction, float[] out) {
        // two passes in double: mu = sum(x) / n, then sum((x - mu)^2) / (n - correction)
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * length * inner + j;
                double sum = 0;
                for (int l = 0; l < length; l++) {
                    sum += x[base + l * inner];
                }
                double mu = sum / length;
                double squares = 0;
                for (int l = 0; l < length; l++) {
                    double d = x[base + l * inner] - mu;
                    squares += d * d;
                }
                out[o * inner + j] = (float) (squares / (length - correction));
            }
        }
    }

    @Override
    public void softmax(float[] x, int outer, int length, int inner, boolean log, float[] out) {
        // y_l = exp(x_l - m) / sum_k exp(x_k - m), m = max_k x_k; log y_l = x_l - m - log(sum)
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * length * inner + j;
                float m = x[base];
                for (int l = 1; l < length; l++) {
                    m = Math.max(m, x[base + l * inner]);
                }
                double sum = 0;
                for (int l = 0; l < length; l++) {
                    sum += (float) Math.exp(x[base + l * inner] - m);
                }
                double logSum = Math.log(sum);
                for (int l = 0; l < length; l++) {
                    int at = base + l * inner;
                    out[at] = (float) (log ? x[at] - m - logSum : (float) Math.exp(x[at] - m) / sum);
                }
            }
        }
    }

    @Override
    public void groupNorm(float[] x, int batch, int channels, int spatial, int groups, float[] gamma, float[] beta,
                          float eps, float[] out, float[] mean, float[] rstd) {
        // Wu and He 2018, eq. 1: each (n, g) set is normalised by its own mean and variance
        int perGroup = channels / groups;
        int size = perGroup * spatial;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                int from = (n * channels + g * perGroup) * spatial; // the set is contiguous
                double sum = 0;
                for (int i = 0; i < size; i++) {
                    sum += x[from + i];
                }
                double mu = sum / size;
                double squares = 0;
                for (int i = 0; i < size; i++) {
                    double d = x[from + i] - mu;
                    squares += d * d;
                }
                float r = (float) (1 / Math.sqrt(squares / size + eps)); // biased variance, as PyTorch
                mean[n * groups + g] = (float) mu;
                rstd[n * groups + g] = r;
                for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                    // eq. 3: y = gamma * x̂ + beta, per channel
                    float scale = gamma == null ? 1f : gamma[c];
                    float shift = beta == null ? 0f : beta[c];
                    int at = (n * channels + c) * spatial;
                    for (int i = 0; i < spatial; i++) {
                        out[at + i] = (float) ((x[at + i] - mu) * r) * scale + shift;
                    }
                }
            }
        }
    }

    // ---------------------------------------- fused normalisation and softmax backward; layer and RMS norm

    @Override
    public void groupNormBackward(float[] x, float[] gradY, int batch, int channels, int spatial, int groups,
                                  float[] gamma, float[] mean, float[] rstd, float[] gradX, float[] gradGamma,
                                  float[] gradBeta) {
        // Wu and He 2018, eq. 1 and 3, differentiated: with x̂ = (x − μ)·rstd and dx̂ = γ·dy over the set
        // of M values of (n, g), dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))
        int perGroup = channels / groups;
        int size = perGroup * spatial;
        if (gradX != null) {
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < groups; g++) {
                    int from = (n * channels + g * perGroup) * spatial; // the set is contiguous
                    double mu = mean[n * groups + g];
                    double r = rstd[n * groups + g];
                    double sumDxHat = 0;       // Σ dx̂
                    double sumDxHatXHat = 0;   // Σ dx̂·x̂
                    for (int i = 0; i < size; i++) {
                        double dxHat = (gamma == null ? 1.0 : gamma[g * perGroup + i / spatial]) * gradY[from + i];
                        sumDxHat += dxHat;
                        sumDxHatXHat += dxHat * (x[from + i] - mu) * r;
                    }
                    for (int i = 0; i < size; i++) {
                        double dxHat = (gamma == null ? 1.0 : gamma[g * perGroup + i / spatial]) * gradY[from + i];
                        double xHat = (x[from + i] - mu) * r;
                        gradX[from + i] = (float) (r * (dxHat - sumDxHat / size - xHat * sumDxHatXHat / size));
                    }
                }
            }
        }
        // eq. 3, y = γ·x̂ + β: dγ[c] = Σ dy·x̂ and dβ[c] = Σ dy over the batch and the positions of channel c
        for (int c = 0; c < channels; c++) {
            double sumDyXHat = 0;
            double sumDy = 0;
            for (int n = 0; n < batch; n++) {
                double mu = mean[n * groups + c / perGroup];
                double r = rstd[n * groups + c / perGroup];
                int at = (n * channels + c) * spatial;
                for (int i = 0; i < spatial; i++) {
                    sumDyXHat += gradY[at + i] * ((x[at + i] - mu) * r);
                    sumDy += gradY[at + i];
                }
            }
            if (gradGamma != null) {
                gradGamma[c] = (float) sumDyXHat;
            }
            if (gradBeta != null) {
                gradBeta[c] = (float) sumDy;
            }
        }
    }

    @Override
    public void layerNorm(float[] x, int rows, int features, float[] gamma, float[] beta, float eps, float[] out,
                          float[] mean, float[] rstd) {
        // Ba, Kiros and Hinton 2016, eq. 4: each row is normalised by its own mean and variance
        for (int r = 0; r < rows; r++) {
            int from = r * features;
            double sum = 0;
            for (int j = 0; j < features; j++) {
                sum += x[from + j];
            }
            double mu = sum / features;
            double squares = 0;
            for (int j = 0; j < features; j++) {
                double d = x[from + j] - mu;
                squares += d * d;
            }
            float s = (float) (1 / Math.sqrt(squares / features + eps)); // biased variance, as PyTorch
            mean[r] = (float) mu;
            rstd[r] = s;
            for (int j = 0; j < features; j++) {
                float scale = gamma == null ? 1f : gamma[j];
                float shift = beta == null ? 0f : beta[j];
                out[from + j] = (float) ((x[from + j] - mu) * s) * scale + shift;
            }
        }
    }

    @Override
    public void layerNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] mean,
                                  float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta) {
        // eq. 4 differentiated, per row: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = γ·dy
        normBackward(x, gradY, rows, features, gamma, mean, rstd, gradX, gradGamma, gradBeta);
    }

    @Override
    public void rmsNorm(float[] x, int rows, int features, float[] gamma, float eps, float[] out, float[] rstd) {
        // Zhang and Sennrich 2019, eq. 4: y = x / RMS(x) · g, RMS(x) = sqrt(mean(x²) + eps)
        for (int r = 0; r < rows; r++) {
            int from = r * features;
            double squares = 0;
            for (int j = 0; j < features; j++) {
                squares += (double) x[from + j] * x[from + j];
            }
            float s = (float) (1 / Math.sqrt(squares / features + eps));
            rstd[r] = s;
            for (int j = 0; j < features; j++) {
                out[from + j] = x[from + j] * s * (gamma == null ? 1f : gamma[j]);
            }
        }
    }

    @Override
    public void rmsNormBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] rstd,
                                float[] gradX, float[] gradGamma) {
        // layer norm's gradient with μ = 0 and no mean(dx̂) term: dx = rstd·(dx̂ − x̂·mean(dx̂·x̂))
        normBackward(x, gradY, rows, features, gamma, null, rstd, gradX, gradGamma, null);
    }

    /**
     * The backward of layer norm, or of RMS norm when {@code mean} is null (then {@code μ = 0} and the
     * input does not feed the mean, so the {@code mean(dx̂)} term is absent).
     */
    private static void normBackward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] mean,
                                     float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta) {
        if (gradX != null) {
            for (int r = 0; r < rows; r++) {
                int from = r * features;
                double mu = mean == null ? 0 : mean[r];
                double s = rstd[r];
                double sumDxHat = 0;
                double sumDxHatXHat = 0;
                for (int j = 0; j < features; j++) {
                    double dxHat = (gamma == null ? 1.0 : gamma[j]) * gradY[from + j];
                    sumDxHat += dxHat;
                    sumDxHatXHat += dxHat * (x[from + j] - mu) * s;
                }
                double meanDxHat = mean == null ? 0 : sumDxHat / features;
                for (int j = 0; j < features; j++) {
                    double dxHat = (gamma == null ? 1.0 : gamma[j]) * gradY[from + j];
                    double xHat = (x[from + j] - mu) * s;
                    gradX[from + j] = (float) (s * (dxHat - meanDxHat - xHat * sumDxHatXHat / features));
                }
            }
        }
        // y = γ·x̂ + β: dγ[j] = Σ_rows dy·x̂, dβ[j] = Σ_rows dy
        for (int j = 0; j < features; j++) {
            double sumDyXHat = 0;
            double sumDy = 0;
            for (int r = 0; r < rows; r++) {
                double mu = mean == null ? 0 : mean[r];
                sumDyXHat += gradY[r * features + j] * ((x[r * features + j] - mu) * rstd[r]);
                sumDy += gradY[r * features + j];
            }
            if (gradGamma != null) {
                gradGamma[j] = (float) sumDyXHat;
            }
            if (gradBeta != null) {
                gradBeta[j] = (float) sumDy;
            }
        }
    }

    @Override
    public void softmaxBackward(float[] y, float[] gradY, int outer, int length, int inner, boolean log,
                                float[] gradX) {
        // softmax: dx_l = y_l·(dy_l − Σ_k dy_k·y_k); log-softmax: dx_l = dy_l − exp(y_l)·Σ_k dy_k
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * length * inner + j;
                double sum = 0;
                for (int l = 0; l < length; l++) {
                    int at = base + l * inner;
                    sum += log ? gradY[at] : (double) gradY[at] * y[at];
                }
                for (int l = 0; l < length; l++) {
                    int at = base + l * inner;
                    gradX[at] = (float) (log ? gradY[at] - Math.exp(y[at]) * sum : y[at] * (gradY[at] - sum));
                }
            }
        }
    }

    @Override
    public void matmul(int batch, float[] a, int[] aOffsets, boolean transA,
                       float[] b, int[] bOffsets, boolean transB, float[] c, int m, int k, int n) {
        // C[bt][i][j] = sum_l op(A)[i][l] * op(B)[l][j]
        for (int bt = 0; bt < batch; bt++) {
            int aOff = aOffsets[bt];
            int bOff = bOffsets[bt];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int l = 0; l < k; l++) {
                        float aij = transA ? a[aOff + l * m + i] : a[aOff + i * k + l]; // (k, m) or (m, k)
                        float bij = transB ? b[bOff + j * k + l] : b[bOff + l * n + j]; // (n, k) or (k, n)
                        acc += aij * bij;
                    }
                    c[(bt * m + i) * n + j] = acc;
                }
            }
        }
    }

    @Override
    public void conv2d(Conv2dGeometry g, float[] x, float[] w, float[] out) {
        // out[n][o][oy][ox] = sum_{ci, ky, kx} x[n][grp(o) * Cg + ci][oy*sH - pH + ky][ox*sW - pW + kx]
        //                                      * w[o][ci][ky][kx], out-of-bounds x counting as 0
        int cg = g.inPerGroup();
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int o = 0; o < g.outChannels(); o++) {
                int group = o / g.outPerGroup();
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = 0f;
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int ky = 0; ky < g.kernelH(); ky++) {
                                int iy = oy * g.strideH() - g.padH() + ky;
                                for (int kx = 0; kx < g.kernelW(); kx++) {
                                    int ix = ox * g.strideW() - g.padW() + kx;
                                    if (iy >= 0 && iy < g.height() && ix >= 0 && ix < g.width()) {
                                        acc += x[xIndex(g, n, c, iy, ix)] * w[wIndex(g, o, ci, ky, kx)];
                                    }
                                }
                            }
                        }
                        out[yIndex(g, n, o, oy, ox)] = acc;
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX) {
        // The adjoint of conv2d in x: gradX[n][c][iy][ix] += gradY[n][o][oy][ox] * w[o][ci][ky][kx]
        Arrays.fill(gradX, 0, g.batch() * g.inChannels() * g.height() * g.width(), 0f);
        int cg = g.inPerGroup();
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int o = 0; o < g.outChannels(); o++) {
                int group = o / g.outPerGroup();
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float gy = gradY[yIndex(g, n, o, oy, ox)];
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int ky = 0; ky < g.kernelH(); ky++) {
                                int iy = oy * g.strideH() - g.padH() + ky;
                                for (int kx = 0; kx < g.kernelW(); kx++) {
                                    int ix = ox * g.strideW() - g.padW() + kx;
                                    if (iy >= 0 && iy < g.height() && ix >= 0 && ix < g.width()) {
                                        gradX[xIndex(g, n, c, iy, ix)] += gy * w[wIndex(g, o, ci, ky, kx)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW) {
        // The adjoint of conv2d in w: gradW[o][ci][ky][kx] += x[n][c][iy][ix] * gradY[n][o][oy][ox]
        Arrays.fill(gradW, 0, g.outChannels() * g.inPerGroup() * g.kernelH() * g.kernelW(), 0f);
        int cg = g.inPerGroup();
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int o = 0; o < g.outChannels(); o++) {
                int group = o / g.outPerGroup();
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float gy = gradY[yIndex(g, n, o, oy, ox)];
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int ky = 0; ky < g.kernelH(); ky++) {
                                int iy = oy * g.strideH() - g.padH() + ky;
                                for (int kx = 0; kx < g.kernelW(); kx++) {
                                    int ix = ox * g.strideW() - g.padW() + kx;
                                    if (iy >= 0 && iy < g.height() && ix >= 0 && ix < g.width()) {
                                        gradW[wIndex(g, o, ci, ky, kx)] += x[xIndex(g, n, c, iy, ix)] * gy;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void upsampleNearest(float[] x, int planes, int h, int w, int factor, float[] out) {
        // out[p][i][j] = x[p][i / factor][j / factor]
        int oh = h * factor;
        int ow = w * factor;
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    out[(p * oh + i) * ow + j] = x[(p * h + i / factor) * w + j / factor];
                }
            }
        }
    }

    @Override
    public void avgPool2d(float[] x, int planes, int h, int w, int kernel, int stride, float[] out) {
        // out[p][oy][ox] = (1 / kernel^2) sum_{ky, kx} x[p][oy*stride + ky][ox*stride + kx]
        int oh = (h - kernel) / stride + 1;
        int ow = (w - kernel) / stride + 1;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float acc = 0f;
                    for (int ky = 0; ky < kernel; ky++) {
                        for (int kx = 0; kx < kernel; kx++) {
                            acc += x[(p * h + oy * stride + ky) * w + ox * stride + kx];
                        }
                    }
                    out[(p * oh + oy) * ow + ox] = acc / (kernel * kernel);
                }
            }
        }
    }

    @Override
    public void avgPool2dBackward(float[] gradY, int planes, int h, int w, int kernel, int stride,
                                  float[] gradX) {
        // gradX[p][oy*stride + ky][ox*stride + kx] += gradY[p][oy][ox] / kernel^2
        Arrays.fill(gradX, 0, planes * h * w, 0f);
        int oh = (h - kernel) / stride + 1;
        int ow = (w - kernel) / stride + 1;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float share = gradY[(p * oh + oy) * ow + ox] / (kernel * kernel);
                    for (int ky = 0; ky < kernel; ky++) {
                        for (int kx = 0; kx < kernel; kx++) {
                            gradX[(p * h + oy * stride + ky) * w + ox * stride + kx] += share;
                        }
                    }
                }
            }
        }
    }

    @Override
    public void gather(float[] x, int outer, int length, int inner, int[] index, float[] out) {
        // out[o][i][j] = x[o][index[i]][j]
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < index.length; i++) {
                for (int j = 0; j < inner; j++) {
                    out[(o * index.length + i) * inner + j] = x[(o * length + index[i]) * inner + j];
                }
            }
        }
    }

    @Override
    public void scatterAdd(float[] gradY, int outer, int length, int inner, int[] index, float[] gradX) {
        // gradX[o][index[i]][j] += gradY[o][i][j]
        Arrays.fill(gradX, 0, outer * length * inner, 0f);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < index.length; i++) {
                for (int j = 0; j < inner; j++) {
                    gradX[(o * length + index[i]) * inner + j] += gradY[(o * index.length + i) * inner + j];
                }
            }
        }
    }

    @Override
    public void adamStep(float[] p, float[] grad, float[] m, float[] v, int n, float lr, float beta1, float beta2,
                         float c1, float c2, float eps, float weightDecay, float gradScale) {
        // Kingma and Ba 2015, Algorithm 1; the decay of p is AdamW's (Loshchilov and Hutter 2019,
        // Algorithm 2, line 12), decoupled from the gradient
        float decay = 1f - lr * weightDecay;
        float invC1 = 1f / c1;
        float invC2 = 1f / c2;
        for (int i = 0; i < n; i++) {
            float g = grad[i] * gradScale;
            m[i] = m[i] * beta1 + g * (1f - beta1);          // m_t = beta1 m_(t-1) + (1 - beta1) g_t
            v[i] = v[i] * beta2 + g * g * (1f - beta2);      // v_t = beta2 v_(t-1) + (1 - beta2) g_t^2
            float mHat = m[i] * invC1;                       // m_t / (1 - beta1^t)
            float vHat = v[i] * invC2;                       // v_t / (1 - beta2^t)
            p[i] = p[i] * decay - mHat / ((float) Math.sqrt(vHat) + eps) * lr;
        }
    }

    @Override
    public void movingAverage(float[] average, float[] x, int n, float decay) {
        float rest = 1f - decay;
        for (int i = 0; i < n; i++) {
            average[i] = average[i] * decay + x[i] * rest;
        }
    }

    /** Returns whether {@code shape} has no elements, that is, some size is 0. */
    private static boolean isEmpty(int[] shape) {
        for (int size : shape) {
            if (size == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Advances the row-major multi-index {@code idx} within {@code shape} like an odometer, the last
     * dim fastest; returns {@code false}, with {@code idx} back at all zeros, after the last index.
     * A rank-0 shape has exactly one index, so this returns {@code false} at once.
     */
    private static boolean next(int[] idx, int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                return true;
            }
            idx[d] = 0;
        }
        return false;
    }

    /** Returns {@code offset + sum_d idx[d] * strides[d]}. */
    private static int offset(int offset, int[] strides, int[] idx) {
        int at = offset;
        for (int d = 0; d < idx.length; d++) {
            at += idx[d] * strides[d];
        }
        return at;
    }

    /** Returns the flat index of {@code x[n][c][y][x]} in an {@code (N, C, H, W)} input. */
    private static int xIndex(Conv2dGeometry g, int n, int c, int y, int x) {
        return ((n * g.inChannels() + c) * g.height() + y) * g.width() + x;
    }

    /** Returns the flat index of {@code w[o][ci][ky][kx]} in an {@code (O, C / groups, KH, KW)} weight. */
    private static int wIndex(Conv2dGeometry g, int o, int ci, int ky, int kx) {
        return ((o * g.inPerGroup() + ci) * g.kernelH() + ky) * g.kernelW() + kx;
    }

    /** Returns the flat index of {@code y[n][o][oy][ox]} in an {@code (N, O, OH, OW)} output. */
    private static int yIndex(Conv2dGeometry g, int n, int o, int oy, int ox) {
        return ((n * g.outChannels() + o) * g.outHeight() + oy) * g.outWidth() + ox;
    }
}
