package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.ArrayList;
import java.util.List;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Normalisation, forward beside backward: group normalisation (Wu and He, 2018, eq. 1), which is
 * also layer norm with one group and instance norm with one group per channel.
 */
final class NormOps {
    private NormOps() {
    }

    static DenseTensor groupNorm(DenseTensor x, int groups, Tensor weight, Tensor bias, float eps) {
        String op = "groupNorm";
        DenseTensor w = weight == null ? null : x.cast(weight, op);
        DenseTensor b = bias == null ? null : x.cast(bias, op);
        checkGroupNorm(x, op, groups, w, b, eps);
        int[] dims = x.dims;
        int batch = dims[0];
        int channels = dims[1];
        float[] xv = x.values();
        float[] y = BufferPool.allocate(xv.length);
        float[] mean = BufferPool.allocate(batch * groups);
        float[] rstd = BufferPool.allocate(batch * groups);
        if (xv.length > 0) {
            x.k().groupNorm(xv, batch, channels, xv.length / Math.max(1, batch * channels), groups,
                    w == null ? null : w.values(), b == null ? null : b.values(), eps, y, mean, rstd);
        }
        DenseTensor in = x.leaf(xv, dims);
        List<DenseTensor> inputs = new ArrayList<>(List.of(x));
        if (w != null) {
            inputs.add(w);
        }
        if (b != null) {
            inputs.add(b);
        }
        boolean needW = w != null && w.requiresGrad;
        boolean needB = b != null && b.requiresGrad;
        return x.result(op, y, dims, g -> {
            DenseTensor[] all = backward(in, g, groups, w, x.leaf(mean, new int[] {batch, groups, 1}),
                    x.leaf(rstd, new int[] {batch, groups, 1}), x.requiresGrad, needW, needB);
            List<DenseTensor> perInput = new ArrayList<>(); // in the order of inputs
            perInput.add(all[0]);
            if (w != null) {
                perInput.add(all[1]);
            }
            if (b != null) {
                perInput.add(all[2]);
            }
            return perInput.toArray(new DenseTensor[0]);
        }, inputs.toArray(new DenseTensor[0]));
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
        for (DenseTensor p : new DenseTensor[] {w, b}) {
            if (p != null && (p.dims.length != 1 || p.dims[0] != dims[1])) {
                throw new ShapeException(op, "weight and bias must have shape (" + dims[1] + ")", x.shape, p.shape);
            }
        }
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    /**
     * Returns the gradients of {@link #groupNorm} for the input {@code x}, the weight and the
     * bias, given the group means and reciprocal standard deviations {@code (N, G, 1)} of the
     * forward pass.
     */
    private static DenseTensor[] backward(DenseTensor x, DenseTensor g, int groups, DenseTensor w, DenseTensor mean,
                                          DenseTensor rstd, boolean needX, boolean needW, boolean needB) {
        int batch = x.dims[0];
        int channels = x.dims[1];
        DenseTensor xHat = x.reshape(batch, groups, -1).sub(mean).mul(rstd);     // (N, G, C/G·S)
        DenseTensor gy = g.reshape(batch, channels, -1);                         // (N, C, S)
        DenseTensor gXHat = (w == null ? gy : gy.mul(w.reshape(1, channels, 1))).reshape(batch, groups, -1);
        // through μ and σ of eq. 1: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), per (n, g)
        int[] set = {2};
        DenseTensor gx = !needX ? null : gXHat.sub(gXHat.mean(set, true))
                .sub(xHat.mul(gXHat.mul(xHat).mean(set, true))).mul(rstd).reshape(x.dims);
        int[] perChannel = {0, 2};
        DenseTensor gw = !needW ? null : gy.mul(xHat.reshape(batch, channels, -1)).sum(perChannel, false); // (C)
        DenseTensor gb = !needB ? null : gy.sum(perChannel, false);                                     // (C)
        return grads(gx, gw, gb);
    }
}
