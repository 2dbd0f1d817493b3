package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.Arrays;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Image ops on {@code (N, C, H, W)} tensors, each forward beside its backward: conv2d, average
 * pooling, nearest upsampling, and constant padding of any trailing dims.
 */
final class ImageOps {
    private ImageOps() {
    }

    static DenseTensor conv2d(DenseTensor x, Tensor weight, int stride, int padding, int groups) {
        DenseTensor w = x.cast(weight, "conv2d");
        int[] dims = x.dims;
        if (dims.length != 4 || w.dims.length != 4) {
            throw new ShapeException("conv2d", "needs an (N, C, H, W) input and an (O, C/groups, KH, KW) weight",
                    x.shape, w.shape);
        }
        if (stride < 1 || padding < 0 || groups < 1) {
            throw new ShapeException("conv2d", "needs stride >= 1, padding >= 0 and groups >= 1, got stride "
                    + stride + ", padding " + padding + ", groups " + groups, x.shape, w.shape);
        }
        int c = dims[1];
        int o = w.dims[0];
        if (c % groups != 0 || o % groups != 0 || w.dims[1] * groups != c) {
            throw new ShapeException("conv2d", "channels do not fit groups=" + groups
                    + " (input channels " + c + ", weight (O, C/groups) = (" + o + ", " + w.dims[1] + "))",
                    x.shape, w.shape);
        }
        Conv2dGeometry g = new Conv2dGeometry(dims[0], c, dims[2], dims[3], o, w.dims[2], w.dims[3],
                stride, stride, padding, padding, groups);
        if (dims[2] + 2 * padding < w.dims[2] || dims[3] + 2 * padding < w.dims[3]) {
            throw new ShapeException("conv2d", "the kernel is larger than the padded input", x.shape, w.shape);
        }
        int[] outDims = {g.batch(), o, g.outHeight(), g.outWidth()};
        float[] xv = x.values();
        float[] wv = w.values();
        float[] out = BufferPool.allocate(DenseTensor.product(outDims, 0, 4));
        if (out.length > 0) {
            x.k().conv2d(g, xv, wv, out);
        }
        return x.result("conv2d", out, outDims, gy -> {
            float[] gyv = gy.values();
            DenseTensor gx = null;
            DenseTensor gw = null;
            if (x.requiresGrad) {
                float[] v = BufferPool.allocate(xv.length);
                x.k().conv2dBackwardInput(g, gyv, wv, v);
                gx = x.leaf(v, dims);
            }
            if (w.requiresGrad) {
                float[] v = BufferPool.allocate(wv.length);
                x.k().conv2dBackwardWeight(g, xv, gyv, v);
                gw = x.leaf(v, w.dims);
            }
            return grads(gx, gw);
        }, x, w);
    }

    private static void checkImage(DenseTensor x, String op) {
        if (x.dims.length != 4) {
            throw new ShapeException(op, "needs an (N, C, H, W) tensor", x.shape);
        }
    }

    static DenseTensor upsampleNearest(DenseTensor x, int factor) {
        checkImage(x, "upsampleNearest");
        if (factor < 1) {
            throw new ShapeException("upsampleNearest", "factor must be at least 1, got " + factor, x.shape);
        }
        int[] dims = x.dims;
        int planes = dims[0] * dims[1];
        int h = dims[2];
        int w = dims[3];
        int[] outDims = {dims[0], dims[1], h * factor, w * factor};
        float[] out = BufferPool.allocate(DenseTensor.product(outDims, 0, 4));
        if (out.length > 0) {
            x.k().upsampleNearest(x.values(), planes, h, w, factor, out);
        }
        return x.result("upsampleNearest", out, outDims, g -> {
            // each input pixel fed factor^2 outputs: the gradient is their sum, an average pool times factor^2
            float[] gx = BufferPool.allocate(planes * h * w);
            x.k().avgPool2d(g.values(), planes, h * factor, w * factor, factor, factor, gx);
            return grads(x.leaf(gx, dims).mul((float) factor * factor));
        }, x);
    }

    static DenseTensor avgPool2d(DenseTensor x, int kernel, int stride) {
        checkImage(x, "avgPool2d");
        int[] dims = x.dims;
        int h = dims[2];
        int w = dims[3];
        if (kernel < 1 || stride < 1 || kernel > h || kernel > w) {
            throw new ShapeException("avgPool2d", "needs 1 <= kernel <= H, W and stride >= 1, got kernel "
                    + kernel + ", stride " + stride, x.shape);
        }
        int planes = dims[0] * dims[1];
        int[] outDims = {dims[0], dims[1], (h - kernel) / stride + 1, (w - kernel) / stride + 1};
        float[] out = BufferPool.allocate(DenseTensor.product(outDims, 0, 4));
        if (out.length > 0) {
            x.k().avgPool2d(x.values(), planes, h, w, kernel, stride, out);
        }
        return x.result("avgPool2d", out, outDims, g -> {
            float[] gx = BufferPool.allocate(planes * h * w);
            x.k().avgPool2dBackward(g.values(), planes, h, w, kernel, stride, gx);
            return grads(x.leaf(gx, dims));
        }, x);
    }

    /** Pads the trailing dims, last dim first, with {@code (before, after)} pairs of {@code value}. */
    static DenseTensor pad(DenseTensor x, int[] padding, float value) {
        int[] dims = x.dims;
        if (padding == null || padding.length % 2 != 0 || padding.length / 2 > dims.length) {
            throw new ShapeException("pad", "padding must hold (before, after) pairs for at most " + dims.length
                    + " dims, got " + (padding == null ? "null" : Arrays.toString(padding)), x.shape);
        }
        int[] nd = dims.clone();
        int[] start = new int[dims.length];
        for (int p = 0; p < padding.length / 2; p++) {
            int d = dims.length - 1 - p;
            int before = padding[2 * p];
            int after = padding[2 * p + 1];
            if (before < 0 || after < 0) {
                throw new ShapeException("pad", "negative padding in " + Arrays.toString(padding), x.shape);
            }
            nd[d] = dims[d] + before + after;
            start[d] = before;
        }
        int size = DenseTensor.product(nd, 0, nd.length);
        float[] out = value == 0f ? BufferPool.allocateZeroed(size) : BufferPool.allocate(size); // borders stay
        if (value != 0f) {
            Arrays.fill(out, value);
        }
        int[] outStrides = DenseTensor.rowMajorStrides(nd);
        int dst = 0;
        for (int i = 0; i < nd.length; i++) {
            dst += start[i] * outStrides[i];
        }
        if (x.shape.numel() > 0) {
            x.k().copy(dims, x.data(), x.offset, x.strides, out, dst, outStrides);
        }
        return x.result("pad", out, nd, g -> {
            DenseTensor inner = g;
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] != g.dims[i]) {
                    inner = inner.narrow(i, start[i], dims[i]);
                }
            }
            return grads(inner);
        }, x);
    }
}
