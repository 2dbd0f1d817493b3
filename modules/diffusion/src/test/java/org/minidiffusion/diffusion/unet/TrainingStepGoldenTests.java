package org.minidiffusion.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.nn.optim.Adam;

/**
 * Three training steps of a small U-Net (forward, MSE loss, backward, Adam) compute exactly what
 * they computed before the tape reused buffers: each step's loss and a CRC-32 of every parameter
 * gradient's bits, against figures recorded with main at 8b02064, just before that change (the fused
 * GroupNorm backward merged before it changed the gradients' last bits from the second step on, once
 * the norms' weights are no longer exactly 1, so the figures of 22626ab no longer apply).
 * The scalar reference's figures hold on any machine. The parallel backend's depend on its core
 * count and vector size, so they are checked where they were recorded; anywhere, a second run in
 * the same JVM, on buffers the first run's backward passes gave back filled with NaN, must give
 * the same figures.
 */
class TrainingStepGoldenTests {
    /** The config: 8x8, 3 channels, base 16, levels (1, 2), attention at 4x4, GroupNorm(4), 2 heads. */
    private static final UNetConfig CONFIG = new UNetConfig(8, 3, 3, 16, new int[] {1, 2}, 1, Set.of(4), 4, 2, 0, 0f);

    /** Per step: the loss in hex, and the CRC-32 of all gradients' bits in parameter order, recorded at 8b02064. */
    private static final List<String> SCALAR = List.of(
            "0x1.23034cp0 4f13c7b7", "0x1.2017d4p0 7d50ca07", "0x1.1cb894p0 e2cdce85");
    /** The same on the parallel backend, by the backend description they were recorded with. */
    private static final Map<String, List<String>> PARALLEL = Map.of(
            "parallel streams over 2 cores, plain-Java GEMM (start with --add-modules jdk.incubator.vector for SIMD)",
            List.of("0x1.23034cp0 6ba94f0b", "0x1.2017dp0 d4c44dd9", "0x1.1cb884p0 8a7487c3"));

    /** Returns one line per training step: the loss in hex and the CRC-32 of the gradients, in hex. */
    static List<String> fingerprint(Backend b) {
        return b.call(() -> {
            UNet net = new UNet(CONFIG, new Rng(3));
            Tensor x = b.randn(new Rng(5), 2, 3, 8, 8);
            Tensor target = b.randn(new Rng(6), 2, 3, 8, 8);
            int[] t = {10, 500};
            Adam adam = Adam.adam(net.parameters(), 1e-3f);
            List<String> steps = new ArrayList<>();
            for (int step = 0; step < 3; step++) {
                adam.zeroGrad();
                Tensor diff = net.forward(x, t, null).sub(target);
                Tensor loss = diff.mul(diff).mean();
                loss.backward();
                CRC32 crc = new CRC32();
                net.parameters().forEach((name, p) -> {
                    for (float f : p.grad().toArray()) {
                        int bits = Float.floatToRawIntBits(f);
                        crc.update(bits);
                        crc.update(bits >>> 8);
                        crc.update(bits >>> 16);
                        crc.update(bits >>> 24);
                    }
                });
                steps.add(Float.toHexString(loss.item()) + " " + Long.toHexString(crc.getValue()));
                adam.step();
            }
            return steps;
        });
    }

    /** Returns the fingerprint with every buffer a backward pass gives back filled with NaN. */
    private static List<String> onNaNFilledBuffers(Backend b) {
        String before = System.getProperty(Workspace.DEBUG_PROPERTY);
        System.setProperty(Workspace.DEBUG_PROPERTY, "true");
        try {
            fingerprint(b); // gives back its buffers, NaN-filled, for the next run to take
            return fingerprint(b);
        } finally {
            if (before == null) {
                System.clearProperty(Workspace.DEBUG_PROPERTY);
            } else {
                System.setProperty(Workspace.DEBUG_PROPERTY, before);
            }
        }
    }

    @Test
    void theScalarReferenceMatchesTheFiguresFromBeforeBufferReuse() {
        Backend scalar = Backends.get("scalar");
        assertEquals(SCALAR, fingerprint(scalar), "loss and gradient CRC per step, scalar");
        assertEquals(SCALAR, onNaNFilledBuffers(scalar), "the same on NaN-filled reused buffers, scalar");
    }

    @Test
    void theParallelBackendMatchesItselfOnReusedBuffersAndItsRecordedFigures() {
        Backend parallel = Backends.get("parallel");
        List<String> first = fingerprint(parallel);
        assertEquals(first, onNaNFilledBuffers(parallel), "a second run on NaN-filled reused buffers, parallel");
        List<String> recorded = PARALLEL.get(parallel.description());
        Assumptions.assumeTrue(recorded != null, "the parallel figures were recorded on " + PARALLEL.keySet()
                + ", this is '" + parallel.description() + "'");
        assertEquals(recorded, first, "loss and gradient CRC per step, parallel");
    }
}
