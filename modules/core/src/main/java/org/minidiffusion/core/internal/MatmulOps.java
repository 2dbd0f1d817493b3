package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.Arrays;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Batched matrix multiplication with numpy's rules, forward beside backward.
 *
 * <p>Rank-1 operands are promoted to matrices and the added dim is squeezed afterwards; batch
 * dims broadcast. The kernel reads row-major and transposed (column-major) matrices in place, so
 * the {@code transpose(-1, -2)} views of the backward are not copied.
 */
final class MatmulOps {
    private MatmulOps() {
    }

    static DenseTensor matmul(DenseTensor x, Tensor other) {
        DenseTensor b = x.cast(other, "matmul");
        if (x.dims.length == 0 || b.dims.length == 0) {
            throw new ShapeException("matmul", "needs operands of rank 1 or more", x.shape, b.shape);
        }
        DenseTensor a2 = x.dims.length == 1 ? x.unsqueeze(0) : x;    // (k) -> (1, k)
        DenseTensor b2 = b.dims.length == 1 ? b.unsqueeze(1) : b;    // (k) -> (k, 1)
        if (a2.size(-1) != b2.size(-2)) {
            throw new ShapeException("matmul", "inner dims differ (" + a2.size(-1) + " vs " + b2.size(-2) + ")",
                    x.shape, b.shape);
        }
        Shape aBatch = Shape.of(Arrays.copyOf(a2.dims, a2.dims.length - 2));
        Shape bBatch = Shape.of(Arrays.copyOf(b2.dims, b2.dims.length - 2));
        int[] batch;
        try {
            batch = ShapeOps.broadcastShapes("matmul", aBatch, bBatch);
        } catch (ShapeException e) {
            throw new ShapeException("matmul", "batch dims do not broadcast", x.shape, b.shape);
        }
        DenseTensor out = batched(a2, b2, batch);
        if (x.dims.length == 1) {
            out = out.squeeze(-2);
        }
        if (b.dims.length == 1) {
            out = out.squeeze(-1);
        }
        return out;
    }

    /** {@code (..., m, k) @ (..., k, n)} with batch dims already broadcast-compatible. */
    private static DenseTensor batched(DenseTensor self, DenseTensor b, int[] batch) {
        DenseTensor a = matrixOperand(self);
        DenseTensor bm = matrixOperand(b);
        int m = a.size(-2);
        int kk = a.size(-1);
        int n = bm.size(-1);
        int count = DenseTensor.product(batch, 0, batch.length);
        int[] outDims = Arrays.copyOf(batch, batch.length + 2);
        outDims[batch.length] = m;
        outDims[batch.length + 1] = n;
        float[] c = kk > 0 ? BufferPool.allocate(count * m * n) : BufferPool.allocateZeroed(count * m * n);
        if (c.length > 0) {
            if (kk > 0) { // an empty contraction leaves zeros
                self.k().matmul(count, a.data(), batchOffsets(a, batch), isTransposedMatrix(a),
                        bm.data(), batchOffsets(bm, batch), isTransposedMatrix(bm), c, m, kk, n);
            }
        }
        // d(AB)/dA = G Bᵀ, d(AB)/dB = Aᵀ G, summed over broadcast batch dims
        return self.result("matmul", c, outDims, g -> grads(
                self.requiresGrad ? ShapeOps.sumTo(g.matmul(b.transpose(-1, -2)), self.shape) : null,
                b.requiresGrad ? ShapeOps.sumTo(self.transpose(-1, -2).matmul(g), b.shape) : null),
                self, b);
    }

    /** Returns t if its last two dims are row-major or column-major, else a contiguous copy. */
    private static DenseTensor matrixOperand(DenseTensor t) {
        return isRowMajorMatrix(t) || isTransposedMatrix(t) ? t : t.contiguous();
    }

    private static boolean isRowMajorMatrix(DenseTensor t) {
        int[] dims = t.dims;
        int r = dims[dims.length - 2];
        int c = dims[dims.length - 1];
        return (c == 1 || t.strides[dims.length - 1] == 1) && (r == 1 || t.strides[dims.length - 2] == c);
    }

    private static boolean isTransposedMatrix(DenseTensor t) {
        if (isRowMajorMatrix(t)) {
            return false;
        }
        int[] dims = t.dims;
        int r = dims[dims.length - 2];
        int c = dims[dims.length - 1];
        return (r == 1 || t.strides[dims.length - 2] == 1) && (c == 1 || t.strides[dims.length - 1] == r);
    }

    /** Returns the first element of each matrix of {@code t} for every index of the broadcast batch shape. */
    private static int[] batchOffsets(DenseTensor t, int[] batch) {
        int[] dims = t.dims;
        int[] bs = new int[batch.length];
        int lead = batch.length - (dims.length - 2);
        for (int i = 0; i < dims.length - 2; i++) {
            bs[lead + i] = dims[i] == 1 ? 0 : t.strides[i];
        }
        int count = DenseTensor.product(batch, 0, batch.length);
        int[] offsets = new int[count];
        int[] idx = new int[batch.length];
        for (int i = 0; i < count; i++) {
            int off = t.offset;
            for (int d = 0; d < batch.length; d++) {
                off += idx[d] * bs[d];
            }
            offsets[i] = off;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return offsets;
    }
}
