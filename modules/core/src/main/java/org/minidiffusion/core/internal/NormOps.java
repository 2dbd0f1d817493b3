package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.ArrayList;
import java.util.List;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Normalisation, forward beside backward, each a fused kernel of the backend in both directions:
 * group normalisation (Wu and He, 2018, eq. 1 and 3), layer normalisation over the last dim (Ba,
 * Kiros and Hinton 2016, eq. 4) and RMS normalisation over the last dim (Zhang and Sennrich 2019,
 * eq. 4).
 *
 * <p>The forward kernels write the statistics (mean and reciprocal standard deviation) the backward
 * kernels read, so the backward pass allocates only the gradients it returns.
 */
final class NormOps {
    private NormOps() {
    }

    // ================================================================== group norm

    static DenseTensor groupNorm(DenseTensor x, int groups, Tensor weight, Tensor bias, float eps) {
        String op = "groupNorm";
        DenseTensor w = weight == null ? null : x.cast(weight, op);
        DenseTensor b = bias == null ? null : x.cast(bias, op);
        checkGroupNorm(x, op, groups, w, b, eps);
        int[] dims = x.dims;
        int batch = dims[0];
        int channels = dims[1];
        int spatial = DenseTensor.product(dims, 2, dims.length);
        float[] xv = x.values();                        // (N, C, S)
        float[] y = BufferPool.allocate(xv.length);
        float[] mean = BufferPool.allocate(batch * groups);
        float[] rstd = BufferPool.allocate(batch * groups);
        if (xv.length > 0) {
            x.k().groupNorm(xv, batch, channels, spatial, groups, w == null ? null : w.values(),
                    b == null ? null : b.values(), eps, y, mean, rstd);
        }
        return x.result(op, y, dims, g -> {
            // Wu and He 2018, eq. 1 and 3, differentiated in one kernel (see Kernels.groupNormBackward)
            float[] gx = x.requiresGrad ? BufferPool.allocate(xv.length) : null;
            float[] gw = w != null && w.requiresGrad ? BufferPool.allocateZeroed(channels) : null;
            float[] gb = b != null && b.requiresGrad ? BufferPool.allocateZeroed(channels) : null;
            if (xv.length > 0) {
                x.k().groupNormBackward(xv, g.values(), batch, channels, spatial, groups,
                        w == null ? null : w.values(), mean, rstd, gx, gw, gb);
            }
            return perInput(x, gx, w, gw, b, gb);
        }, inputs(x, w, b));
    }

    private static void checkGroupNorm(DenseTensor x, String op, int groups, DenseTensor w, DenseTensor b, float eps) {
        int[] dims = x.dims;
        if (dims.length < 2) {
            throw new ShapeException(op, "needs an (N, C, ...) input of rank >= 2", x.shape);
        }
        if (groups < 1 || dims[1] % groups != 0) {
            throw new ShapeException(op, "groups=" + groups + " must be >= 1 and divide the " + dims[1] + " channels",
                    x.shape);
        }
        checkAffine(x, op, dims[1], w, b);
        checkEps(op, eps);
    }

    // ================================================================== layer norm and RMS norm, over the last dim

    static DenseTensor layerNorm(DenseTensor x, Tensor weight, Tensor bias, float eps) {
        String op = "layerNorm";
        DenseTensor w = weight == null ? null : x.cast(weight, op);
        DenseTensor b = bias == null ? null : x.cast(bias, op);
        int features = checkLastDim(x, op, w, b, eps);
        int[] dims = x.dims;
        float[] xv = x.values();                        // (R, D)
        int rows = xv.length / features;
        float[] y = BufferPool.allocate(xv.length);
        float[] mean = BufferPool.allocate(rows);
        float[] rstd = BufferPool.allocate(rows);
        if (xv.length > 0) {
            x.k().layerNorm(xv, rows, features, w == null ? null : w.values(), b == null ? null : b.values(), eps, y,
                    mean, rstd);
        }
        return x.result(op, y, dims, g -> {
            // eq. 4 differentiated in one kernel: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = γ·dy
            float[] gx = x.requiresGrad ? BufferPool.allocate(xv.length) : null;
            float[] gw = w != null && w.requiresGrad ? BufferPool.allocateZeroed(features) : null;
            float[] gb = b != null && b.requiresGrad ? BufferPool.allocateZeroed(features) : null;
            if (xv.length > 0) {
                x.k().layerNormBackward(xv, g.values(), rows, features, w == null ? null : w.values(), mean, rstd,
                        gx, gw, gb);
            }
            return perInput(x, gx, w, gw, b, gb);
        }, inputs(x, w, b));
    }

    static DenseTensor rmsNorm(DenseTensor x, Tensor weight, float eps) {
        String op = "rmsNorm";
        DenseTensor w = weight == null ? null : x.cast(weight, op);
        int features = checkLastDim(x, op, w, null, eps);
        int[] dims = x.dims;
        float[] xv = x.values();                        // (R, D)
        int rows = xv.length / features;
        float[] y = BufferPool.allocate(xv.length);
        float[] rstd = BufferPool.allocate(rows);
        if (xv.length > 0) {
            x.k().rmsNorm(xv, rows, features, w == null ? null : w.values(), eps, y, rstd);
        }
        return x.result(op, y, dims, g -> {
            // eq. 4 differentiated in one kernel: dx = rstd·(dx̂ − x̂·mean(dx̂·x̂)), x̂ = x·rstd, dx̂ = γ·dy
            float[] gx = x.requiresGrad ? BufferPool.allocate(xv.length) : null;
            float[] gw = w != null && w.requiresGrad ? BufferPool.allocateZeroed(features) : null;
            if (xv.length > 0) {
                x.k().rmsNormBackward(xv, g.values(), rows, features, w == null ? null : w.values(), rstd, gx, gw);
            }
            return perInput(x, gx, w, gw, null, null);
        }, inputs(x, w, null));
    }

    /** Checks a last-dim norm's arguments and returns the size of the last dim. */
    private static int checkLastDim(DenseTensor x, String op, DenseTensor w, DenseTensor b, float eps) {
        if (x.dims.length == 0) {
            throw new ShapeException(op, "needs an input of rank >= 1, normalised over its last dim", x.shape);
        }
        int features = x.dims[x.dims.length - 1];
        if (features == 0) {
            throw new ShapeException(op, "cannot normalise over an empty last dim", x.shape);
        }
        checkAffine(x, op, features, w, b);
        checkEps(op, eps);
        return features;
    }

    // ================================================================== shared

    private static void checkAffine(DenseTensor x, String op, int size, DenseTensor w, DenseTensor b) {
        for (DenseTensor p : new DenseTensor[] {w, b}) {
            if (p != null && (p.dims.length != 1 || p.dims[0] != size)) {
                throw new ShapeException(op, "weight and bias must have shape (" + size + ")", x.shape, p.shape);
            }
        }
    }

    private static void checkEps(String op, float eps) {
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    /** Returns the op's inputs: {@code x}, then the weight and the bias when present. */
    private static DenseTensor[] inputs(DenseTensor x, DenseTensor w, DenseTensor b) {
        List<DenseTensor> in = new ArrayList<>(List.of(x));
        if (w != null) {
            in.add(w);
        }
        if (b != null) {
            in.add(b);
        }
        return in.toArray(new DenseTensor[0]);
    }

    /**
     * Returns the gradients in the order of {@link #inputs}: that of {@code x}, then those of the
     * weight and the bias when present; null where a gradient was not computed.
     */
    private static DenseTensor[] perInput(DenseTensor x, float[] gx, DenseTensor w, float[] gw, DenseTensor b,
                                          float[] gb) {
        List<DenseTensor> out = new ArrayList<>();
        out.add(gx == null ? null : x.leaf(gx, x.dims));
        if (w != null) {
            out.add(gw == null ? null : x.leaf(gw, w.dims));
        }
        if (b != null) {
            out.add(gb == null ? null : x.leaf(gb, b.dims));
        }
        return grads(out.toArray(new DenseTensor[0]));
    }
}
