package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * Element-wise ops and activations, each forward beside its backward.
 *
 * <p>Binary ops broadcast their operands and send the gradient back summed over the broadcast
 * dims; unary ops (activations, scalar arithmetic) take their value and derivative from
 * {@link UnaryOp}, where each is written side by side.
 */
final class ElementwiseOps {
    private ElementwiseOps() {
    }

    /** Returns {@code a kind other}, with the operands broadcast to a common shape. */
    static DenseTensor binary(DenseTensor a, String op, BinaryOp kind, Tensor other) {
        DenseTensor b = a.cast(other, op);
        int[] out = ShapeOps.broadcastShapes(op, a.shape, b.shape);
        float[] values = BufferPool.allocate(DenseTensor.product(out, 0, out.length));
        if (values.length > 0) {
            a.k().binary(kind, out, a.data(), a.offset, ShapeOps.broadcastStrides(a, out),
                    b.data(), b.offset, ShapeOps.broadcastStrides(b, out), values);
        }
        return a.result(op, values, out, g -> binaryBackward(kind, a, b, g), a, b);
    }

    /**
     * Adds {@code b} into {@code a}'s own buffer, for the tape's gradient sums: the same values as
     * {@code a.add(b)}, element by element, by the same kernel, without a new buffer. {@code a}
     * must cover its whole buffer row-major ({@link DenseTensor#isWhole}), nothing else may use
     * that buffer, and {@code b} must have {@code a}'s shape.
     */
    static void addInPlace(DenseTensor a, DenseTensor b) {
        float[] values = a.data();
        if (values.length > 0) {
            a.k().binary(BinaryOp.ADD, a.dims, values, a.offset, ShapeOps.broadcastStrides(a, a.dims),
                    b.data(), b.offset, ShapeOps.broadcastStrides(b, a.dims), values);
        }
    }

    private static DenseTensor[] binaryBackward(BinaryOp kind, DenseTensor a, DenseTensor b, DenseTensor g) {
        switch (kind) {
            case ADD:
                return grads(a.requiresGrad ? ShapeOps.sumTo(g, a.shape) : null,
                        b.requiresGrad ? ShapeOps.sumTo(g, b.shape) : null);
            case SUB:
                return grads(a.requiresGrad ? ShapeOps.sumTo(g, a.shape) : null,
                        b.requiresGrad ? ShapeOps.sumTo(g.neg(), b.shape) : null);
            case MUL:
                return grads(a.requiresGrad ? ShapeOps.sumTo(g.mul(b), a.shape) : null,
                        b.requiresGrad ? ShapeOps.sumTo(g.mul(a), b.shape) : null);
            case DIV:
                // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
                return grads(a.requiresGrad ? ShapeOps.sumTo(g.div(b), a.shape) : null,
                        b.requiresGrad ? ShapeOps.sumTo(g.mul(a).div(b.mul(b)).neg(), b.shape) : null);
            default:
                return grads(null, null);
        }
    }

    /** Returns 1 where {@code a == other} and 0 elsewhere; never recorded. */
    static DenseTensor eq(DenseTensor a, Tensor other) {
        try (Autograd.Scope scope = Autograd.noGrad()) {
            return binary(a, "eq", BinaryOp.EQ, other);
        }
    }

    /** Applies {@code kind} with parameters {@code p} and {@code q} to every element. */
    static DenseTensor map(DenseTensor t, String op, UnaryOp kind, float p, float q) {
        float[] x = t.values();
        float[] y = BufferPool.allocate(x.length);
        t.k().map(kind, p, q, x, y, x.length);
        return t.result(op, y, t.dims, g -> {
            float[] gx = BufferPool.allocate(x.length);
            t.k().mapBackward(kind, p, q, x, y, g.values(), gx, x.length);
            return grads(t.leaf(gx, t.dims));
        }, t);
    }

    /** Applies the parameterless {@code kind} (an activation, neg, abs, ...) to every element. */
    static DenseTensor unary(DenseTensor t, String op, UnaryOp kind) {
        return map(t, op, kind, 0f, 0f);
    }

    static DenseTensor clamp(DenseTensor t, float min, float max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min must be <= max, got " + min + " and " + max);
        }
        return map(t, "clamp", UnaryOp.CLAMP, min, max);
    }
}
