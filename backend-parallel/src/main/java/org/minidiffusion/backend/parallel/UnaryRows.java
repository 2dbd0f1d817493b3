package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.UnaryOp;

/**
 * A range of a {@link UnaryOp} or of its backward, with the op chosen once per range.
 *
 * <p>The ops a network runs most have their own loop, with the formula of {@link UnaryOp#apply}
 * or {@link UnaryOp#derivative} copied verbatim so that results stay bit-identical; the rest call
 * the reference. A loop without a switch per element is cheaper, and the JIT can vectorise the
 * simple ones.
 */
final class UnaryRows {

    private UnaryRows() {
    }

    /** Computes {@code out[i] = op.apply(x[i], p, q)} for {@code from <= i < to}. */
    static void map(UnaryOp op, float p, float q, float[] x, float[] out, int from, int to) {
        switch (op) {
            case SILU:
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    out[i] = (float) (v / (1.0 + Math.exp(-v)));
                }
                break;
            case SQRT:
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.sqrt(x[i]);
                }
                break;
            case NEG:
                for (int i = from; i < to; i++) {
                    out[i] = -x[i];
                }
                break;
            case ADD_SCALAR:
                for (int i = from; i < to; i++) {
                    out[i] = x[i] + p;
                }
                break;
            case MUL_SCALAR:
                for (int i = from; i < to; i++) {
                    out[i] = x[i] * p;
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    out[i] = op.apply(x[i], p, q);
                }
        }
    }

    /** Computes {@code gradX[i] = gradY[i] * op.derivative(x[i], y[i], p, q)} for {@code from <= i < to}. */
    static void backward(UnaryOp op, float p, float q, float[] x, float[] y, float[] gradY, float[] gradX,
                         int from, int to) {
        switch (op) {
            case SILU:
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    double s = 1.0 / (1.0 + Math.exp(-v));
                    gradX[i] = gradY[i] * (float) (s * (1.0 + v * (1.0 - s)));
                }
                break;
            case MUL_SCALAR:
                for (int i = from; i < to; i++) {
                    gradX[i] = gradY[i] * p;
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    gradX[i] = gradY[i] * op.derivative(x[i], y[i], p, q);
                }
        }
    }
}
