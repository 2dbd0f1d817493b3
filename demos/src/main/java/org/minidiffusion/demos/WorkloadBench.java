package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.ref.Reference;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
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
import org.minidiffusion.dit.JointTransformerBlock;
import org.minidiffusion.dit.SD3Transformer2DModel;
import org.minidiffusion.dit.SD3Transformer2DModelConfig;
import org.minidiffusion.io.Json;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5Config;
import org.minidiffusion.transformer.t5.T5EncoderModel;

/**
 * The workloads of the performance issue, timed on the current backend: sgemm, a 3x3 convolution,
 * the benchmark U-Net's forward pass and training step, 50-step DDIM sampling with the memory it
 * takes, the forward pass at several batch sizes and resolutions, and the transformer workloads of
 * text-to-image training: one MMDiT block and a small MMDiT (forward and training step with AdamW),
 * and a CLIP and a T5 text encoder (forward). The U-Net's and the small MMDiT's training steps also
 * get the heap bytes one step allocates, over all threads ({@link #allocatedMiB}). {@code tools/bench_torch.py} runs the same workloads
 * in PyTorch and prints both side by side.
 *
 * <p>The transformer sizes, small enough for a two-core machine to train, all at batch
 * {@value #TRANSFORMER_BATCH}: width 64 (2 heads of 32), 16 text tokens of 64 features, a pooled
 * text embedding of 64; the small MMDiT takes a 4-channel 8x8 latent (a 32x32 image after the
 * autoencoder's 4x downsampling) in 2x2 patches, so 16 image tokens, through 4 joint blocks with
 * RMS-normalised queries and keys (SD3.5's {@code qk_norm}); the block row is one such block (not the
 * last, so both streams have a feed-forward); the text encoders have 2 layers of width 64, 2 heads,
 * a feed-forward of 256, a vocabulary of 1000 and 16 tokens.
 */
final class WorkloadBench {
    static final String SGEMM = "sgemm 512x512x512 (GFLOP/s)";
    static final String CONV = "conv2d 3x3 64->64, batch 4, 32x32 (GFLOP/s)";
    static final String FORWARD = "U-Net forward, batch 4 (ms)";
    static final String TRAIN = "U-Net training step, batch 4 (ms)";
    static final String TRAIN_ALLOCATION = "allocation per U-Net training step, batch 4 (MiB)";
    static final String DDIM = "DDIM 50 steps, 4 images (s)";
    static final String PEAK_RSS = "peak RSS of the process, up to the end of DDIM (MiB)";
    static final String HEAP_PEAK = "Java heap used during DDIM, peak (MiB)";
    static final String HEAP_LIVE = "Java heap live after DDIM, after a full GC (MiB)";
    static final String MMDIT_BLOCK_FORWARD = "MMDiT block forward, 16+16 tokens, batch 16 (ms)";
    static final String MMDIT_BLOCK_TRAIN = "MMDiT block training step, 16+16 tokens, batch 16 (ms)";
    static final String MMDIT_FORWARD = "small MMDiT forward, 4 layers, 8x8 latent, batch 16 (ms)";
    static final String MMDIT_TRAIN = "small MMDiT training step, 4 layers, 8x8 latent, batch 16 (ms)";
    static final String MMDIT_TRAIN_ALLOCATION =
            "allocation per small MMDiT training step, 4 layers, 8x8 latent, batch 16 (MiB)";
    static final String CLIP_FORWARD = "CLIP text encoder forward, 16 tokens, batch 16 (ms)";
    static final String T5_FORWARD = "T5 encoder forward, 16 tokens, batch 16 (ms)";
    /** The batch of every transformer row. */
    static final int TRANSFORMER_BATCH = 16;
    /** The text tokens of every transformer row. */
    static final int TEXT_TOKENS = 16;
    /** The width of every transformer row: 2 heads of 32. */
    static final int WIDTH = 64;
    static final int[] SCALE_BATCHES = {1, 4, 16};
    /** How long {@link Timing#BEST} runs every workload before timing any. */
    static final int WARM_UP_SECONDS = 10;
    static final int[] SCALE_RESOLUTIONS = {32, 64};
    private static final double MIB = 1024.0 * 1024.0;

    /** The command line of {@code bench-model}. */
    static final CliCommand COMMAND = CliCommand.named("bench-model",
                    "Time the performance workloads on one backend: sgemm, conv2d, the benchmark U-Net's forward"
                            + " and training step, 50-step DDIM with its memory, the forward pass by batch and"
                            + " resolution, and the transformer rows (an MMDiT block, a small MMDiT, CLIP and T5).")
            .details("tools/bench_torch.py runs it beside PyTorch and writes bench/RESULTS.md.")
            .option("timing", "best|single", "best warms up and keeps the best of several runs; single warms up"
                    + " once and times one run, for the slow scalar backend (default: best)")
            .flag("skip-ddim", "leave out DDIM")
            .option("budget", "SECONDS", "skip the U-Net rows whose estimated time would end past SECONDS"
                    + " (default: no limit)")
            .flag("main-only", "stop after DDIM and its memory rows")
            .flag("json", "print the results as one JSON line (the progress goes to standard error)")
            .backend()
            .build();

    /** How each workload is timed. */
    enum Timing {
        /**
         * Run every workload for {@value WorkloadBench#WARM_UP_SECONDS} seconds, then warm up each
         * row (at least 3 runs and 3 seconds, which the JIT needs to compile the Vector API kernels)
         * and report the best of several runs.
         */
        BEST,
        /**
         * One untimed warm-up run (of each kernel, of the U-Net at batch 1, 32x32, and of each
         * transformer workload), then one timed run of each workload: for the scalar backend, where
         * one U-Net forward takes seconds.
         */
        SINGLE;

        /** The name on the command line. */
        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What to run.
     *
     * @param timing        how each workload is timed
     * @param ddim          whether to run DDIM sampling and the memory rows measured around it
     * @param budgetSeconds a U-Net row after the batch-4 forward is skipped if its estimated time
     *                      would end it later than this many seconds after the start; infinite
     *                      for no limit
     * @param mainOnly      whether to stop after DDIM and its memory rows, leaving out the scale and
     *                      transformer rows (a quicker run for the memory figures)
     */
    record Settings(Timing timing, boolean ddim, double budgetSeconds, boolean mainOnly) {
    }

    /**
     * The figures of one run.
     *
     * @param backend    the backend's id
     * @param timing     how the workloads were timed
     * @param maxHeapMiB the JVM's maximum heap ({@code -Xmx}, by default a quarter of the RAM)
     * @param rows       each measured row's figure, named as in the results table, in order
     * @param skipped    each row not measured, with the reason, in order
     */
    record Result(String backend, Timing timing, double maxHeapMiB, Map<String, Double> rows,
            Map<String, String> skipped) {
    }

    /** The benchmark U-Net: 3 channels, 32x32, base 64, multipliers (1, 2, 4), attention at 8x8. */
    static UNetConfig benchUNet(int imageSize) {
        return new UNetConfig(imageSize, 3, 3, 64, new int[] {1, 2, 4}, 1, Set.of(8), 32, 4, 0, 0f);
    }

    /**
     * The small MMDiT of the transformer rows: a 4x8x8 latent in 2x2 patches (16 tokens), 4 joint
     * blocks of width 64 (2 heads of 32) with RMS query-key norm, 16 text tokens of 64 features and a
     * pooled text embedding of 64.
     */
    static SD3Transformer2DModelConfig smallMmdit() {
        return new SD3Transformer2DModelConfig(8, 2, 4, 4, 32, 2, WIDTH, WIDTH, WIDTH, 4, 4, "rms_norm");
    }

    /** The CLIP text encoder of the transformer rows: 2 layers of width 64, 2 heads, MLP 256, 16 positions. */
    static ClipTextConfig smallClip() {
        return new ClipTextConfig(1000, WIDTH, 4 * WIDTH, 2, 2, TEXT_TOKENS, "quick_gelu", 1e-5f, WIDTH, 999);
    }

    /** The T5 encoder of the transformer rows: 2 layers of width 64, 2 heads of 32, gated-GELU feed-forward of 256. */
    static T5Config smallT5() {
        return new T5Config(1000, WIDTH, 32, 4 * WIDTH, 2, 2, 32, 128, 1e-6f, T5Config.GATED_GELU);
    }

    /**
     * The row name of the forward pass at one batch size and resolution.
     *
     * @param batch      the batch size
     * @param resolution the image side in pixels
     * @return the name
     */
    static String scaleRow(int batch, int resolution) {
        return "U-Net forward, batch " + batch + ", " + resolution + "x" + resolution + " (ms)";
    }

    private final Settings settings;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Map<String, Double> rows = new LinkedHashMap<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    /** The batch-4 U-Net forward of {@link #unet()}, in seconds, which the scale rows' estimates scale. */
    private double unetForwardSeconds;

    private WorkloadBench(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /**
     * Runs the workloads on the current backend.
     *
     * @param settings what to run
     * @param out      a line per row, as it is measured or skipped
     * @return the figures
     */
    static Result run(Settings settings, PrintStream out) {
        WorkloadBench bench = new WorkloadBench(settings, out);
        if (settings.timing() == Timing.BEST) {
            warmUp(WARM_UP_SECONDS);
            settle();
        }
        bench.kernels();
        bench.unet();
        if (!settings.mainOnly()) {
            bench.scaleRows();
            bench.transformers();
        }
        return new Result(Backends.current().id(), settings.timing(), Runtime.getRuntime().maxMemory() / MIB,
                bench.rows, bench.skipped);
    }

    /**
     * Runs sgemm, the convolution and the U-Net forward pass in turn for {@code seconds}, timing
     * nothing. The JIT compiles in the background on the same two cores, so without this the first
     * rows were up to 20% slower than the same work measured later. The training step is left out
     * on purpose: compiled while the inference paths were still warming up, it left the forward
     * pass about 30% slower for the rest of the run (146 vs 106 ms, measured).
     */
    private static void warmUp(int seconds) {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        Tensor a = Tensor.randn(new Rng(1), 512, 512);
        Tensor w = Tensor.randn(new Rng(4), 64, 64, 3, 3);
        Tensor image = Tensor.randn(new Rng(3), 4, 64, 32, 32);
        UNet net = new UNet(benchUNet(32), new Rng(0));
        Tensor x = Tensor.randn(new Rng(5), 4, 3, 32, 32);
        int[] t = {10, 250, 500, 999};
        try (Autograd.Scope scope = Autograd.noGrad()) {
            while (System.nanoTime() < until) {
                a.matmul(a).toArray();
                image.conv2d(w, 1, 1, 1).toArray();
                net.forward(x, t, null).toArray();
            }
        }
    }

    /**
     * Collects the garbage and waits (at most 10 s) until the JIT has stopped compiling, so that
     * neither a concurrent GC cycle nor a compiler thread takes one of the two cores from the
     * next timed row. Measured: sgemm right after a warm-up with training steps swung between 105
     * and 180 GFLOP/s from one batch of runs to the next, and held 177-180 after this.
     */
    private static void settle() {
        System.gc();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long last = -1;
        for (int i = 0; i < 50 && jit.getTotalCompilationTime() != last; i++) {
            last = jit.getTotalCompilationTime();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** sgemm and the 3x3 convolution, in GFLOP/s. */
    private void kernels() {
        try (Autograd.Scope scope = Autograd.noGrad()) {
            Tensor a = Tensor.randn(new Rng(1), 512, 512);
            Tensor b = Tensor.randn(new Rng(2), 512, 512);
            put(SGEMM, 2.0 * 512 * 512 * 512 / time(() -> a.matmul(b), 10, 1) / 1e9);
            Tensor x = Tensor.randn(new Rng(3), 4, 64, 32, 32);
            Tensor w = Tensor.randn(new Rng(4), 64, 64, 3, 3);
            double flops = 2.0 * 4 * 64 * 32 * 32 * 64 * 9;
            put(CONV, flops / time(() -> x.conv2d(w, 1, 1, 1), 10, 1) / 1e9);
        }
    }

    /** The U-Net rows; every time estimate scales the batch-4 forward, measured first. */
    private void unet() {
        UNet net = new UNet(benchUNet(32), new Rng(0));
        Tensor x = Tensor.randn(new Rng(5), 4, 3, 32, 32);
        int[] t = {10, 250, 500, 999};
        double forward;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            if (settings.timing() == Timing.SINGLE) {
                Tensor x1 = Tensor.randn(new Rng(5), 1, 3, 32, 32);
                net.forward(x1, new int[] {10}, null).toArray(); // the one warm-up, at the smallest size
            }
            forward = time(() -> net.forward(x, t, null), 5, 0);
        }
        put(FORWARD, 1e3 * forward);

        // forward, backward and Adam: about 5 forward passes on the scalar backend
        if (fits(TRAIN, cost(5 * forward, 5))) {
            trainingStep(net, x, t);
        } else {
            skip(TRAIN_ALLOCATION, "not measured: it is measured after the training step's row, which was skipped");
        }
        if (!settings.ddim()) {
            skip(DDIM, "not run: --skip-ddim");
        }
        int ddimRuns = settings.timing() == Timing.SINGLE ? 1 : 2;
        if (settings.ddim() && fits(DDIM, ddimRuns * 50 * forward)) {
            ddim(net);
        } else {
            for (String row : new String[] {PEAK_RSS, HEAP_PEAK, HEAP_LIVE}) {
                skip(row, "not measured: it is measured around DDIM, which was not run");
            }
        }

        unetForwardSeconds = forward;
    }

    /** The U-Net forward pass by batch size and resolution, estimated from the batch-4 forward. */
    private void scaleRows() {
        double perPixel = unetForwardSeconds / (4 * 32 * 32); // seconds per image pixel, for the estimates
        for (int res : SCALE_RESOLUTIONS) {
            UNet n = new UNet(benchUNet(res), new Rng(0));
            for (int batch : SCALE_BATCHES) {
                String row = scaleRow(batch, res);
                if (!fits(row, cost(perPixel * batch * res * res, 3))) {
                    continue;
                }
                Tensor xs = Tensor.randn(new Rng(7), batch, 3, res, res);
                int[] ts = new int[batch];
                try (Autograd.Scope scope = Autograd.noGrad()) {
                    put(row, 1e3 * time(() -> n.forward(xs, ts, null), 3, 0));
                }
            }
        }
    }

    /**
     * The transformer rows (sizes in the class comment). Each forward is timed first; a training step
     * (forward, backward and AdamW) is run if about 5 forward passes fit the budget.
     */
    private void transformers() {
        int b = TRANSFORMER_BATCH;
        Tensor x = Tensor.randn(new Rng(11), b, TEXT_TOKENS, WIDTH);   // (B, 16 image tokens, D)
        Tensor c = Tensor.randn(new Rng(12), b, TEXT_TOKENS, WIDTH);   // (B, 16 text tokens, D)
        Tensor temb = Tensor.randn(new Rng(13), b, WIDTH);             // (B, D)
        JointTransformerBlock block = new JointTransformerBlock(WIDTH, 2, 32, false, true, new Rng(14));
        double forward;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            forward = time(() -> block.forward(x, c, temb).image(), 10, 1);
        }
        put(MMDIT_BLOCK_FORWARD, 1e3 * forward);
        if (fits(MMDIT_BLOCK_TRAIN, cost(5 * forward, 5))) {
            Adam adamW = Adam.adamW(block.parameters(), 1e-4f, 0.01f);
            put(MMDIT_BLOCK_TRAIN, 1e3 * time(() -> {
                adamW.zeroGrad();
                JointTransformerBlock.Output out = block.forward(x, c, temb);
                Tensor dx = out.image().sub(x);
                Tensor dc = out.context().sub(c);
                Tensor loss = dx.mul(dx).mean().add(dc.mul(dc).mean());
                loss.backward();
                adamW.step();
                return loss;
            }, 5, 1));
            adamW.zeroGrad();
        }

        SD3Transformer2DModel mmdit = new SD3Transformer2DModel(smallMmdit(), new Rng(15));
        Tensor latents = Tensor.randn(new Rng(16), b, 4, 8, 8);       // (B, C, H, W)
        Tensor pooled = Tensor.randn(new Rng(17), b, WIDTH);           // (B, pooled)
        float[] steps = new float[b];
        for (int i = 0; i < b; i++) {
            steps[i] = 1000f * (i + 0.5f) / b;                         // SD3's 1000·sigma
        }
        Tensor t = Tensor.of(steps, b);
        try (Autograd.Scope scope = Autograd.noGrad()) {
            forward = time(() -> mmdit.forward(latents, c, pooled, t), 10, 1);
        }
        put(MMDIT_FORWARD, 1e3 * forward);
        if (fits(MMDIT_TRAIN, cost(5 * forward, 5))) {
            Adam adamW = Adam.adamW(mmdit.parameters(), 1e-4f, 0.01f);
            Supplier<Tensor> step = () -> {
                adamW.zeroGrad();
                Tensor diff = mmdit.forward(latents, c, pooled, t).sub(latents);
                Tensor loss = diff.mul(diff).mean();
                loss.backward();
                adamW.step();
                return loss;
            };
            put(MMDIT_TRAIN, 1e3 * time(step, 5, 1));
            putAllocation(MMDIT_TRAIN_ALLOCATION, step);
            adamW.zeroGrad();
        } else {
            skip(MMDIT_TRAIN_ALLOCATION, "not measured: it is measured after the training step's row, which was skipped");
        }

        float[] idValues = new float[b * TEXT_TOKENS];
        for (int i = 0; i < idValues.length; i++) {
            idValues[i] = (i * 37 + 11) % 998; // below 999, CLIP's end token here
        }
        Tensor ids = Tensor.of(idValues, b, TEXT_TOKENS);                // (B, L)
        ClipTextModel clip = new ClipTextModel(smallClip(), true, new Rng(18));
        T5EncoderModel t5 = new T5EncoderModel(smallT5(), new Rng(19));
        try (Autograd.Scope scope = Autograd.noGrad()) {
            put(CLIP_FORWARD, 1e3 * time(() -> clip.forward(ids), 10, 1));
            put(T5_FORWARD, 1e3 * time(() -> t5.forward(ids), 10, 1));
        }
    }

    /**
     * Times one training step and measures its allocation, in its own method, so that Adam's state
     * is garbage once it returns.
     */
    private void trainingStep(UNet net, Tensor x, int[] t) {
        Adam adam = Adam.adam(net.parameters(), 1e-4f);
        Supplier<Tensor> step = () -> {
            adam.zeroGrad(); // as PyTorch's opt.zero_grad()
            Tensor diff = net.forward(x, t, null).sub(x);
            Tensor loss = diff.mul(diff).mean();
            loss.backward();
            adam.step();
            return loss;
        };
        put(TRAIN, 1e3 * time(step, 5, 0));
        putAllocation(TRAIN_ALLOCATION, step);
        adam.zeroGrad();
    }

    /**
     * Measures the allocation of one run of {@code work}, already warmed up by its timed row: the
     * median of 3 runs, or 1 run with {@link Timing#SINGLE}.
     */
    private void putAllocation(String row, Supplier<Tensor> work) {
        double mib = allocatedMiB(work, settings.timing() == Timing.SINGLE ? 1 : 3);
        if (Double.isNaN(mib)) {
            skip(row, "not measured: this JVM does not count the bytes each thread allocates");
        } else {
            put(row, mib);
        }
    }

    /**
     * Returns the median, over {@code runs} runs, of the bytes one run of {@code work} allocates on
     * the heap, in MiB, summed over every live thread (the fork-join workers of the parallel
     * backend included): {@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes} before
     * and after each run. The work must have run before (the timed row), so that lazily created
     * state (Adam's moments, the JIT's first compilations) is not counted; a thread that ends
     * during a run loses its bytes, which the common pool's workers, idle for 60 s before they
     * end, do not.
     *
     * @param work the work, one training step
     * @param runs how many runs to take the median of
     * @return the median allocation in MiB; NaN if the JVM cannot measure it
     */
    static double allocatedMiB(Supplier<Tensor> work, int runs) {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported()) {
            return Double.NaN;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        double[] mib = new double[runs];
        for (int r = 0; r < runs; r++) {
            Map<Long, Long> before = allocatedByThread(threads);
            work.get().toArray();
            long bytes = 0;
            for (Map.Entry<Long, Long> e : allocatedByThread(threads).entrySet()) {
                bytes += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
            mib[r] = bytes / MIB;
        }
        Arrays.sort(mib);
        return mib[runs / 2];
    }

    /** Returns the bytes each live thread has allocated so far, by thread id. */
    private static Map<Long, Long> allocatedByThread(com.sun.management.ThreadMXBean threads) {
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        Map<Long, Long> byThread = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) { // -1: the thread ended in between
                byThread.put(ids[i], bytes[i]);
            }
        }
        return byThread;
    }

    /**
     * Times 50-step DDIM of 4 images (with {@link Timing#BEST}, one warm-up run and one timed run,
     * as the PyTorch side does) and measures memory: the heap pools' peaks, reset after a full GC so
     * that they cover the DDIM runs only; the live heap after another full GC, which holds the
     * model's weights; and the process's peak RSS, which covers every row so far.
     */
    private void ddim(UNet net) {
        DdimSampler ddim = new DdimSampler(NoiseSchedule.of(BetaSchedule.COSINE, 1000), PredictionType.EPSILON, false, 0f);
        System.gc();
        resetHeapPeaks();
        int warmRuns = settings.timing() == Timing.SINGLE ? 0 : 1;
        put(DDIM, best(() -> ddim.sample(net, SampleRequest.of(50, 4, 3, 32, 32), new Rng(6)), 1, warmRuns, 0));
        OptionalDouble rss = peakRssMiB();
        if (rss.isPresent()) {
            put(PEAK_RSS, rss.getAsDouble());
        } else {
            skip(PEAK_RSS, "not measured: no VmHWM in /proc/self/status (not Linux?)");
        }
        put(HEAP_PEAK, peakHeapMiB());
        System.gc();
        put(HEAP_LIVE, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / MIB);
        Reference.reachabilityFence(net); // the weights count as live
    }

    /**
     * Returns the estimated seconds that {@link #time} takes for a workload of {@code seconds} per
     * run, warm-up included.
     */
    private double cost(double seconds, int repeats) {
        return settings.timing() == Timing.SINGLE ? seconds : Math.max(3 * seconds, 3.0) + repeats * seconds;
    }

    /** Returns whether a row's estimated cost fits the time budget, and records the reason if not. */
    private boolean fits(String row, double estimate) {
        double used = (System.nanoTime() - start) / 1e9;
        if (used + estimate <= settings.budgetSeconds()) {
            return true;
        }
        skip(row, String.format(Locale.ROOT, "skipped: estimated %.0f s, which would pass the --budget of %.0f s "
                + "(%.0f s used)", estimate, settings.budgetSeconds(), used));
        return false;
    }

    private void put(String row, double value) {
        rows.put(row, value);
        out.printf(Locale.ROOT, "[%s] %-52s %10.1f%n", Backends.current().id(), row, value);
    }

    private void skip(String row, String reason) {
        skipped.put(row, reason);
        out.printf(Locale.ROOT, "[%s] %-52s %10s  %s%n", Backends.current().id(), row, "—", reason);
    }

    /**
     * Returns the wall time in seconds of a workload: with {@link Timing#BEST}, the best of
     * {@code repeats} runs after the usual warm-up; with {@link Timing#SINGLE}, one run after
     * {@code singleWarmUps} untimed ones.
     */
    private double time(Supplier<Tensor> work, int repeats, int singleWarmUps) {
        return settings.timing() == Timing.SINGLE ? best(work, 1, singleWarmUps, 0) : best(work, repeats, 3, 3);
    }

    /**
     * Returns the best wall time in seconds of {@code repeats} runs, after warming up: at least
     * {@code warmRuns} runs and {@code warmSeconds} seconds (at most 100 runs).
     */
    private static double best(Supplier<Tensor> work, int repeats, int warmRuns, int warmSeconds) {
        long warmUntil = System.nanoTime() + warmSeconds * 1_000_000_000L;
        int warm = 0;
        while (warm < warmRuns || (warm < 100 && System.nanoTime() < warmUntil)) {
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

    /** Sets each heap pool's peak usage to its current usage. */
    static void resetHeapPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /**
     * Returns the peak of used heap since the JVM started or {@link #resetHeapPeaks()}, summed over
     * the heap pools (the pools may peak at different times, so this is an upper bound), in MiB.
     */
    static double peakHeapMiB() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / MIB;
    }

    /**
     * Returns the process's peak resident set size so far ({@code VmHWM} in {@code /proc/self/status},
     * the figure {@code getrusage}'s {@code ru_maxrss} reports on Linux), in MiB.
     */
    static OptionalDouble peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return OptionalDouble.of(Long.parseLong(parts[0]) / 1024.0); // kB
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // not Linux, or no procfs: no figure
        }
        return OptionalDouble.empty();
    }

    /**
     * Returns a result as one line of JSON, for {@code tools/bench_torch.py}: {@code backend},
     * {@code timing}, {@code max heap (MiB)}, {@code rows} (name to number) and {@code skipped}
     * (name to reason).
     *
     * @param result the figures
     * @return one line of JSON
     */
    static String json(Result result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("backend", result.backend());
        json.put("timing", result.timing().id());
        json.put("max heap (MiB)", result.maxHeapMiB());
        json.put("rows", result.rows());
        json.put("skipped", result.skipped());
        return Json.write(json);
    }
}
