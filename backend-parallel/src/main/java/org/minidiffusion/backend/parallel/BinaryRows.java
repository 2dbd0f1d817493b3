package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.BinaryOp;

/**
 * One row of a broadcasting {@link BinaryOp}, with a loop specialised for the op and the layout.
 *
 * <p>A row of {@code out} is contiguous; each operand steps through the row with stride 1, with
 * stride 0 (a value broadcast along the row, as a per-channel bias is along its plane), or with
 * another stride. The op is chosen once per row rather than per element, which leaves the common
 * loops simple enough for the JIT to vectorise. Each element is still {@code a op b} in
 * {@code float}, exactly the formula of {@link BinaryOp#apply}, so results are bit-identical.
 */
final class BinaryRows {

    private BinaryRows() {
    }

    /**
     * Computes {@code out[oi + j] = op(a[ai + j * as], b[bi + j * bs])} for {@code 0 <= j < length}.
     *
     * @param op     the op
     * @param length the number of elements
     * @param a      the left operand's storage
     * @param ai     the left operand's first index
     * @param as     the left operand's step
     * @param b      the right operand's storage
     * @param bi     the right operand's first index
     * @param bs     the right operand's step
     * @param out    the result's storage, written contiguously
     * @param oi     the result's first index
     */
    static void row(BinaryOp op, int length, float[] a, int ai, int as, float[] b, int bi, int bs,
                    float[] out, int oi) {
        if (op == BinaryOp.EQ) {
            strided(op, length, a, ai, as, b, bi, bs, out, oi);
        } else if (as == 1 && bs == 1) {
            contiguous(op, length, a, ai, b, bi, out, oi);
        } else if (as == 1 && bs == 0) {
            rightConstant(op, length, a, ai, b[bi], out, oi);
        } else if (as == 0 && bs == 1) {
            leftConstant(op, length, a[ai], b, bi, out, oi);
        } else {
            strided(op, length, a, ai, as, b, bi, bs, out, oi);
        }
    }

    /** Computes {@code out[oi + j] = a[ai + j] op b[bi + j]}. */
    private static void contiguous(BinaryOp op, int length, float[] a, int ai, float[] b, int bi,
                                   float[] out, int oi) {
        switch (op) {
            case ADD:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] + b[bi + j];
                }
                break;
            case SUB:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] - b[bi + j];
                }
                break;
            case MUL:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] * b[bi + j];
                }
                break;
            case DIV:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] / b[bi + j];
                }
                break;
            default:
                strided(op, length, a, ai, 1, b, bi, 1, out, oi);
        }
    }

    /** Computes {@code out[oi + j] = a[ai + j] op s}. */
    private static void rightConstant(BinaryOp op, int length, float[] a, int ai, float s, float[] out,
                                      int oi) {
        switch (op) {
            case ADD:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] + s;
                }
                break;
            case SUB:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] - s;
                }
                break;
            case MUL:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] * s;
                }
                break;
            case DIV:
                // a / s, not a * (1 / s), which would round differently
                for (int j = 0; j < length; j++) {
                    out[oi + j] = a[ai + j] / s;
                }
                break;
            default:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = op.apply(a[ai + j], s);
                }
        }
    }

    /** Computes {@code out[oi + j] = s op b[bi + j]}. */
    private static void leftConstant(BinaryOp op, int length, float s, float[] b, int bi, float[] out,
                                     int oi) {
        switch (op) {
            case ADD:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = s + b[bi + j];
                }
                break;
            case SUB:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = s - b[bi + j];
                }
                break;
            case MUL:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = s * b[bi + j];
                }
                break;
            case DIV:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = s / b[bi + j];
                }
                break;
            default:
                for (int j = 0; j < length; j++) {
                    out[oi + j] = op.apply(s, b[bi + j]);
                }
        }
    }

    /** Computes {@code out[oi + j] = op.apply(a[ai + j * as], b[bi + j * bs])}, the general case. */
    private static void strided(BinaryOp op, int length, float[] a, int ai, int as, float[] b, int bi,
                                int bs, float[] out, int oi) {
        for (int j = 0; j < length; j++) {
            out[oi + j] = op.apply(a[ai + j * as], b[bi + j * bs]);
        }
    }
}
