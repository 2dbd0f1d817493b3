package org.minidiffusion.core.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The reference element-wise functions against published values. */
class UnaryOpTests {

    @Test
    void erfMatchesTabulatedValues() {
        // Abramowitz and Stegun, Table 7.1
        assertEquals(0.0, Erf.erf(0.0), 0.0);
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1.0), 1e-15);
        assertEquals(0.9953222650189527, Erf.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3.0), 1e-15);
        assertEquals(-0.9661051464753108, Erf.erf(-1.5), 1e-15);
        assertEquals(0.999999984582742, Erf.erf(4.0), 1e-15);
    }

    @Test
    void activationsMatchPyTorch() {
        // torch.nn.functional values at x = 1 and x = -0.5, float32
        assertEquals(0.8413447f, UnaryOp.GELU.apply(1f, 0f, 0f), 1e-7f);
        assertEquals(-0.1542687f, UnaryOp.GELU.apply(-0.5f, 0f, 0f), 1e-7f);
        assertEquals(0.8411920f, UnaryOp.GELU_TANH.apply(1f, 0f, 0f), 1e-7f);
        assertEquals(0.7310586f, UnaryOp.SILU.apply(1f, 0f, 0f), 1e-7f);
        assertEquals(0.2689414f, UnaryOp.SIGMOID.apply(-1f, 0f, 0f), 1e-7f);
        assertEquals(2f, UnaryOp.CLAMP.apply(5f, -1f, 2f), 0f);
        assertEquals(8f, UnaryOp.POW.apply(2f, 3f, 0f), 0f);
    }

    @Test
    void derivativesMatchCentralDifferences() {
        double h = 1e-4;
        for (UnaryOp op : UnaryOp.values()) {
            for (float x : new float[] {0.3f, 1.7f, 2.5f}) {
                float p = op == UnaryOp.CLAMP ? 0f : 1.5f;
                float q = 3f;
                double numeric = (ref(op, x + h, p, q) - ref(op, x - h, p, q)) / (2 * h);
                float y = op.apply(x, p, q);
                assertEquals(numeric, op.derivative(x, y, p, q), 2e-3 * Math.max(1, Math.abs(numeric)), op + " at " + x);
            }
        }
    }

    private static double ref(UnaryOp op, double x, float p, float q) {
        // evaluate in float at x rounded, then difference in double; h is large enough for float steps
        return op.apply((float) x, p, q);
    }
}
