package org.minidiffusion.demos;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.DdimSampler;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.nn.optim.Adam;

/**
 * The workloads of the performance issue, timed on the current backend: sgemm, a 3x3 convolution,
 * the benchmark U-Net's forward pass and training step, 50-step DDIM sampling, peak heap, and the
 * forward pass at several batch sizes and resolutions. {@code tools/bench_torch.py} runs the same
 * workloads in PyTorch and prints both side by side.
 */
final class WorkloadBench {
    /** The benchmark U-Net: 3 channels, 32x32, base 64, multipliers (1, 2, 4), attention at 8x8. */
    static UNetConfig benchUNet(int imageSize) {
        return new UNetConfig(imageSize, 3, 3, 64, new int[] {1, 2, 4}, 1, Set.of(8), 32, 4, 0, 0f);
    }

    private WorkloadBench() {
    }

    /**
     * Runs the workloads and returns each row's figure, named as in the results table.
     *
     * @param quick only the sgemm and convolution rows (for the slow reference backend)
     * @param out   progress lines
     * @return the figures, in order
     */
    static Map<String, Double> run(boolean quick, PrintStream out) {
        Map<String, Double> rows = new LinkedHashMap<>();
        try (Autograd.Scope scope = Autograd.noGrad()) {
            Tensor a = Tensor.randn(new Rng(1), 512, 512);
            Tensor b = Tensor.randn(new Rng(2), 512, 512);
            rows.put("sgemm 512x512x512 (GFLOP/s)", 2.0 * 512 * 512 * 512 / best(() -> a.matmul(b), 10) / 1e9);
            Tensor x = Tensor.randn(new Rng(3), 4, 64, 32, 32);
            Tensor w = Tensor.randn(new Rng(4), 64, 64, 3, 3);
            double flops = 2.0 * 4 * 64 * 32 * 32 * 64 * 9;
            rows.put("conv2d 3x3 64->64, batch 4, 32x32 (GFLOP/s)", flops / best(() -> x.conv2d(w, 1, 1, 1), 10) / 1e9);
        }
        print(out, rows);
        if (quick) {
            return rows;
        }
        UNet net = new UNet(benchUNet(32), new Rng(0));
        Tensor x = Tensor.randn(new Rng(5), 4, 3, 32, 32);
        int[] t = {10, 250, 500, 999};
        try (Autograd.Scope scope = Autograd.noGrad()) {
            rows.put("U-Net forward, batch 4 (ms)", 1e3 * best(() -> net.forward(x, t, null), 5));
        }
        Adam adam = Adam.adam(net.parameters(), 1e-4f);
        rows.put("U-Net training step, batch 4 (ms)", 1e3 * best(() -> {
            Tensor diff = net.forward(x, t, null).sub(x);
            Tensor loss = diff.mul(diff).mean();
            loss.backward();
            adam.step();
            return loss;
        }, 3));
        DdimSampler ddim = new DdimSampler(NoiseSchedule.of(BetaSchedule.COSINE, 1000), PredictionType.EPSILON, false, 0f);
        rows.put("DDIM 50 steps, 4 images (s)",
                best(() -> ddim.sample(net, SampleRequest.of(50, 4, 3, 32, 32), new Rng(6)), 1));
        rows.put("peak memory (MiB)", peakHeapMiB());
        print(out, rows);
        for (int res : new int[] {32, 64}) {
            UNet n = new UNet(benchUNet(res), new Rng(0));
            for (int batch : new int[] {1, 4, 16}) {
                Tensor xs = Tensor.randn(new Rng(7), batch, 3, res, res);
                int[] ts = new int[batch];
                try (Autograd.Scope scope = Autograd.noGrad()) {
                    rows.put("U-Net forward, batch " + batch + ", " + res + "x" + res + " (ms)",
                            1e3 * best(() -> n.forward(xs, ts, null), 3));
                }
            }
        }
        print(out, rows);
        return rows;
    }

    /**
     * Returns the best wall time in seconds of {@code repeats} runs, after warming up: at least 3
     * runs and 3 seconds (at most 100 runs), which the JIT needs to compile the Vector API kernels.
     */
    private static double best(Supplier<Tensor> work, int repeats) {
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        int warm = 0;
        while (warm < 3 || (warm < 100 && System.nanoTime() < warmUntil)) {
            work.get().toArray();
            warm++;
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            work.get().toArray();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /** Returns the peak of used heap, summed over the heap pools, in MiB. */
    static double peakHeapMiB() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / (1024.0 * 1024.0);
    }

    private static void print(PrintStream out, Map<String, Double> rows) {
        out.println("[" + Backends.current().id() + "] " + rows.size() + " rows so far");
    }

    /**
     * Returns the figures as a JSON object, for {@code tools/bench_torch.py}.
     *
     * @param rows the figures
     * @return one line of JSON
     */
    static String json(Map<String, Double> rows) {
        StringBuilder sb = new StringBuilder("{");
        rows.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v));
        return sb.append('}').toString();
    }
}
