package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * Checks that element-wise ops and non-GEMM sums agree with the scalar backend bit for bit, as the
 * kernels promise, on the layouts their specialised loops serve: contiguous operands, a broadcast
 * scalar, per-channel broadcasts on either side, rows long enough to be split and vectorised, and
 * axes longer than one sum block ({@code ReduceOp.SUM_BLOCK}), whose blocks run on several cores.
 */
class BitIdentityTests {

    /** An (N, C, H, W) shape whose planes are long rows with a ragged end. */
    private static final int[] IMAGES = {3, 5, 19, 21};

    private final Backend parallel = Backends.get("parallel");
    private final Backend scalar = Backends.get("scalar");

    /** Add, sub, mul and div, on every broadcast layout with a loop of its own and on a strided one. */
    @Test
    void binaryOpsAreBitIdentical() {
        int[][] rights = {IMAGES, {1, 5, 1, 1}, {3, 5, 1, 1}, {}, {1, 1, 1, 21}};
        for (int op = 0; op < 4; op++) {
            int o = op;
            for (int[] right : rights) {
                check("op " + op + " right " + right.length, b -> binary(o, input(b, 1, IMAGES), input(b, 2, right)));
                check("op " + op + " left " + right.length, b -> binary(o, input(b, 2, right), input(b, 1, IMAGES)));
            }
            check("op " + op + " transposed", b -> binary(o, input(b, 1, IMAGES).transpose(2, 3),
                    input(b, 2, 1, 5, 21, 1)));
        }
    }

    /** SILU, sqrt, neg and the scalar ops, forward, and the backward of SILU and of a scalar product. */
    @Test
    void unaryOpsAreBitIdentical() {
        check("silu", b -> input(b, 1, IMAGES).silu());
        check("sqrt", b -> input(b, 1, IMAGES).mul(input(b, 1, IMAGES)).sqrt());
        check("neg", b -> input(b, 1, IMAGES).neg());
        check("add scalar", b -> input(b, 1, IMAGES).add(0.3f));
        check("mul scalar", b -> input(b, 1, IMAGES).mul(1.7f));
        checkGrad("silu backward", x -> x.silu().mul(x));
        checkGrad("mul scalar backward", x -> x.mul(0.3f).mul(x));
    }

    /** Sums over a last dim, as GroupNorm takes them, for row counts that are and are not multiples of four. */
    @Test
    void rowSumsAreBitIdentical() {
        check("sum planes", b -> input(b, 1, IMAGES).sum(new int[] {2, 3}, false));
        check("sum channels and planes", b -> input(b, 1, IMAGES).sum(new int[] {1, 2, 3}, true));
        check("mean rows", b -> input(b, 1, 7, 4099).mean(new int[] {1}, true));
        check("sum short rows", b -> input(b, 1, 9, 3).sum(new int[] {1}, false));
    }

    /** Sums over axes of several blocks: one long row, a few, many, and columns; each with a ragged last block. */
    @Test
    void blockedSumsAreBitIdentical() {
        check("sum() of one long row", b -> input(b, 4, 3 * 4096 + 77).sum());
        check("sum() of 2^20 + 1", b -> input(b, 4, (1 << 20) + 1).sum());
        check("sum of 3 long rows", b -> input(b, 5, 3, 5 * 4096 + 1).sum(new int[] {1}, false));
        check("sum of 9 rows of two blocks", b -> input(b, 5, 9, 8192).sum(new int[] {1}, false));
        check("sum of long columns", b -> input(b, 6, 2, 4096 + 300, 70).sum(new int[] {1}, false));
        check("mean of one long column pair", b -> input(b, 6, 9001, 2).mean(new int[] {0}, false));
        check("sum of wide columns with a ragged end", b -> input(b, 6, 5000, 1027).sum(new int[] {0}, true));
    }

    /** Variances of rows and columns, and softmax denominators along rows and columns. */
    @Test
    void variancesAndSoftmaxAreBitIdentical() {
        check("var of rows", b -> input(b, 7, 5, 6001).var(new int[] {1}, false, 1));
        check("var of columns", b -> input(b, 7, 3, 513, 70).var(new int[] {1}, true, 0));
        check("var of scattered dims", b -> input(b, 7, 3, 4, 5, 6).var(new int[] {0, 2}, false, 1));
        check("var near 1e6", b -> input(b, 8, 2, 4096).add(1e6f).var(new int[] {1}, false, 1));
        check("softmax of rows", b -> input(b, 9, 33, 700).softmax(-1));
        check("logSoftmax of columns", b -> input(b, 9, 700, 33).logSoftmax(0));
        checkGrad("var backward", x -> x.var(new int[] {1, 3}, true, 1));
    }

    private static Tensor binary(int op, Tensor a, Tensor b) {
        switch (op) {
            case 0: return a.add(b);
            case 1: return a.sub(b);
            case 2: return a.mul(b);
            default: return a.div(b);
        }
    }

    /** Returns normal values, shifted away from zero so that divisions stay finite. */
    private static Tensor input(Backend b, long seed, int... shape) {
        return b.randn(new Rng(seed), shape).add(0.05f);
    }

    private void check(String what, Function<Backend, Tensor> f) {
        float[] want = scalar.call(() -> f.apply(scalar).toArray());
        float[] got = parallel.call(() -> f.apply(parallel).toArray());
        assertArrayEquals(bits(want), bits(got), what);
    }

    private void checkGrad(String what, UnaryOperator<Tensor> f) {
        check(what, b -> {
            Tensor x = input(b, 3, IMAGES).requireGrad();
            f.apply(x).sum().backward();
            return x.grad();
        });
    }

    private static int[] bits(float[] v) {
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            bits[i] = Float.floatToIntBits(v[i]);
        }
        return bits;
    }
}
