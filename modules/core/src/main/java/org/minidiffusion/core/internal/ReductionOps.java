package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.Arrays;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.spi.ReduceOp;

/**
 * Softmax and the reductions (sum, mean, max, var), each forward beside its backward.
 *
 * <p>A reduction over several dims reduces them one at a time, innermost first, with the
 * backend's {@link ReduceOp} kernel; its gradient is broadcast back over the reduced dims.
 */
final class ReductionOps {
    private ReductionOps() {
    }

    /** Returns softmax (or log-softmax) along {@code dim}. */
    static DenseTensor softmax(DenseTensor x, String op, int dim, boolean log) {
        int d = x.shape.axis(op, dim);
        int outer = DenseTensor.product(x.dims, 0, d);
        int inner = DenseTensor.product(x.dims, d + 1, x.dims.length);
        float[] y = BufferPool.allocate(x.shape.numel());
        if (y.length > 0) {
            x.k().softmax(x.values(), outer, x.dims[d], inner, log, y);
        }
        int length = x.dims[d];
        return x.result(op, y, x.dims, g -> {
            // one kernel: d/dx softmax = y * (g - sum(g * y)), d/dx log_softmax = g - exp(y) * sum(g)
            float[] gx = BufferPool.allocate(y.length);
            if (y.length > 0) {
                x.k().softmaxBackward(y, g.values(), outer, length, inner, log, gx);
            }
            return grads(x.leaf(gx, x.dims));
        }, x);
    }

    /** Validates and sorts reduction dims. */
    private static int[] reduceDims(DenseTensor x, String op, int[] reduce) {
        if (reduce == null || reduce.length == 0) {
            throw new ShapeException(op, "needs at least one dim to reduce", x.shape);
        }
        int[] ds = new int[reduce.length];
        for (int i = 0; i < reduce.length; i++) {
            ds[i] = x.shape.axis(op, reduce[i]);
        }
        Arrays.sort(ds);
        for (int i = 1; i < ds.length; i++) {
            if (ds[i] == ds[i - 1]) {
                throw new ShapeException(op, "dim " + ds[i] + " is listed twice in " + Arrays.toString(reduce), x.shape);
            }
        }
        return ds;
    }

    private static int[] reducedDims(DenseTensor x, int[] ds, boolean keepDim) {
        int[] keep = x.dims.clone();
        for (int d : ds) {
            keep[d] = 1;
        }
        if (keepDim) {
            return keep;
        }
        int[] out = new int[x.dims.length - ds.length];
        for (int i = 0, j = 0; i < x.dims.length; i++) {
            if (Arrays.binarySearch(ds, i) < 0) {
                out[j++] = x.dims[i];
            }
        }
        return out;
    }

    /** Reduces the sorted dims one at a time, innermost first; returns keepDim-shaped values. */
    private static float[] reduceValues(DenseTensor x, String op, ReduceOp kind, int[] ds) {
        float[] v = x.values();
        int[] cur = x.dims.clone();
        for (int i = ds.length - 1; i >= 0; i--) {
            int d = ds[i];
            if (cur[d] == 0) {
                throw new ShapeException(op, "cannot reduce the empty dim " + d, x.shape);
            }
            int outer = DenseTensor.product(cur, 0, d);
            int inner = DenseTensor.product(cur, d + 1, cur.length);
            float[] r = BufferPool.allocate(outer * inner);
            x.k().reduce(kind, v, outer, cur[d], inner, r);
            cur[d] = 1;
            v = r;
        }
        return v;
    }

    static DenseTensor sum(DenseTensor x) {
        return x.dims.length == 0 ? x.reshape() : x.sum(ShapeOps.allDims(x), false);
    }

    static DenseTensor sum(DenseTensor x, int[] reduce, boolean keepDim) {
        int[] ds = reduceDims(x, "sum", reduce);
        int[] keep = reducedDims(x, ds, true);
        float[] v = reduceValues(x, "sum", ReduceOp.SUM, ds);
        Shape in = x.shape;
        return x.result("sum", v, reducedDims(x, ds, keepDim),
                g -> grads(g.reshape(keep).broadcastTo(in.toArray())), x);
    }

    static DenseTensor mean(DenseTensor x) {
        return x.dims.length == 0 ? x.reshape() : x.mean(ShapeOps.allDims(x), false);
    }

    static DenseTensor mean(DenseTensor x, int[] reduce, boolean keepDim) {
        int[] ds = reduceDims(x, "mean", reduce);
        int count = 1;
        for (int d : ds) {
            count *= x.dims[d];
        }
        return x.sum(ds, keepDim).div(count);
    }

    static DenseTensor max(DenseTensor x, int[] reduce, boolean keepDim) {
        int[] ds = reduceDims(x, "max", reduce);
        int[] keep = reducedDims(x, ds, true);
        float[] v = reduceValues(x, "max", ReduceOp.MAX, ds);
        DenseTensor maxKeep = x.leaf(v, keep);
        return x.result("max", v, reducedDims(x, ds, keepDim), g -> {
            // the gradient goes to the maxima, shared equally among ties (as torch.amax)
            DenseTensor mask = x.detach().eq(maxKeep);
            DenseTensor count = mask.sum(ds, true);
            return grads(g.reshape(keep).div(count).mul(mask));
        }, x);
    }

    static DenseTensor var(DenseTensor x, int[] reduce, boolean keepDim, int correction) {
        int[] ds = reduceDims(x, "var", reduce);
        int count = 1;
        for (int d : ds) {
            count *= x.dims[d];
        }
        if (correction < 0 || count - correction <= 0) {
            throw new ShapeException("var", "correction " + correction + " needs more than " + correction
                    + " elements per reduction, got " + count, x.shape);
        }
        // the kernel reduces one run of adjacent dims: scattered dims are moved to the end first
        DenseTensor in = x;
        int first = ds[0];
        if (ds[ds.length - 1] - ds[0] != ds.length - 1) {
            int[] order = new int[x.dims.length];
            int k = 0;
            for (int i = 0; i < x.dims.length; i++) {
                if (Arrays.binarySearch(ds, i) < 0) {
                    order[k++] = i;
                }
            }
            first = k;
            for (int d : ds) {
                order[k++] = d;
            }
            in = x.detach().permute(order);
        }
        int outer = DenseTensor.product(in.dims, 0, first);
        int inner = DenseTensor.product(in.dims, first + ds.length, in.dims.length);
        float[] v = BufferPool.allocate(outer * inner);
        if (v.length > 0) {
            x.k().variance(in.values(), outer, count, inner, correction, v); // two passes in double
        }
        int[] keep = reducedDims(x, ds, true);
        int divisor = count - correction;
        return x.result("var", v, reducedDims(x, ds, keepDim), g -> {
            // the gradient of sum((x - mean)^2) / divisor, composed: gc - mean(gc), gc = 2 g (x - mean) / divisor
            DenseTensor centered = x.detach().sub(x.detach().mean(ds, true));
            DenseTensor gc = g.reshape(keep).div(divisor).mul(centered).mul(2f);
            return grads(gc.sub(gc.mean(ds, true)));
        }, x);
    }
}
