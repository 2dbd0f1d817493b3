#!/usr/bin/python3
"""Side-by-side benchmark: mini-diffusion (Java) against PyTorch on the CPU, in one session.

Run from the repository root, after ``mvn -B -q package -DskipTests``, with the system Python that
has PyTorch (``apt-get install python3-torch libopenblas0-pthread``):

    /usr/bin/python3 tools/bench_torch.py [--out FILE] [--scalar-budget SECONDS] [--java-runs N] [--torch-only]
                                          [--java-opts=OPTIONS] [--backend ID] [--main-only]

It measures, with PyTorch limited to 2 threads:

* sgemm 512x512x512 (GFLOP/s);
* conv2d 3x3, 64 -> 64 channels, batch 4, 32x32, stride 1, padding 1 (GFLOP/s);
* the benchmark U-Net (3 channels in and out, 32x32, batch 4, base 64, multipliers (1, 2, 4), one
  ResBlock per level, GroupNorm(32), self-attention at 8x8): forward (ms) and one training step,
  forward + backward + Adam (ms);
* 50-step DDIM sampling of 4 images (s), then the peak resident memory of the process so far
  (``VmHWM`` of ``/proc/self/status``, MiB);
* the U-Net forward at batch 1, 4, 16 and resolution 32, 64 (the scale table);
* the transformer workloads, all at batch 16 with width 64 (2 heads of 32) and 16 text tokens of 64
  features: one MMDiT joint block (16 image and 16 text tokens, RMS query-key norm) and a small MMDiT
  (SD3Transformer2DModel: a 4-channel 8x8 latent in 2x2 patches, 4 joint blocks, pooled text 64), each
  forward (ms) and training step, forward + backward + AdamW (ms); a CLIP text encoder and a T5 encoder
  forward (2 layers, width 64, 2 heads, feed-forward 256, 16 tokens) (ms). The modules are the mirrors
  in ``tools/golden_dit.py`` and ``tools/golden_transformers.py``, with the shapes of WorkloadBench.java.

then runs the Java ``bench-model`` command of the demos on every backend jar that the build made,
with the same workloads: ``parallel`` in full, in ``--java-runs`` separate JVMs (3) whose median it reports,
``scalar`` (the readable reference, 100-200 times
slower) with one warm-up and single timed runs, without DDIM, and within ``--scalar-budget``
seconds (it takes about 10 minutes on two cores). It writes ``bench/RESULTS.md`` (or ``--out``): the main
table with the ratio Java/PyTorch for each row, the transformer table, the scale table with the growth per image and per
resolution, and notes that define each figure, with the date, the JDK and the CPU model. The U-Net
is the mirror of ``unet/UNet.java`` defined in ``tools/golden_layers.py``.

``--java-opts`` passes JVM options to every Java run (for example the launcher's heap and GC settings,
``--java-opts=-XX:+UseSerialGC``; with ``=``, since argparse takes a separate value starting with
``-`` for an option), ``--backend`` runs one backend only, and ``--main-only``
runs only the main table's rows (sgemm, conv2d, the U-Net forward and training step, DDIM and the memory
rows) on both sides, a few minutes in all; a ``--main-only`` run prints its table and writes no file
unless ``--out`` names one.
"""
import argparse
import datetime
import importlib.util
import json
import math
import os
import pathlib
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BACKENDS = ("parallel", "scalar")
DEFAULT_SCALAR_BUDGET = 1200  # seconds; the scalar rows take about 10 minutes on two cores
DEFAULT_JAVA_RUNS = 3  # JVM runs of the parallel backend; its rows vary by up to 25% from one JVM to the next

# Row names, as WorkloadBench.java writes them.
SGEMM = "sgemm 512x512x512 (GFLOP/s)"
CONV = "conv2d 3x3 64->64, batch 4, 32x32 (GFLOP/s)"
FORWARD = "U-Net forward, batch 4 (ms)"
TRAIN = "U-Net training step, batch 4 (ms)"
TRAIN_ALLOCATION = "allocation per U-Net training step, batch 4 (MiB)"
DDIM = "DDIM 50 steps, 4 images (s)"
PEAK_RSS = "peak RSS of the process, up to the end of DDIM (MiB)"
HEAP_PEAK = "Java heap used during DDIM, peak (MiB)"
HEAP_LIVE = "Java heap live after DDIM, after a full GC (MiB)"
MAIN_ROWS = (SGEMM, CONV, FORWARD, TRAIN, TRAIN_ALLOCATION, DDIM, PEAK_RSS, HEAP_PEAK, HEAP_LIVE)
MMDIT_BLOCK_FORWARD = "MMDiT block forward, 16+16 tokens, batch 16 (ms)"
MMDIT_BLOCK_TRAIN = "MMDiT block training step, 16+16 tokens, batch 16 (ms)"
MMDIT_FORWARD = "small MMDiT forward, 4 layers, 8x8 latent, batch 16 (ms)"
MMDIT_TRAIN = "small MMDiT training step, 4 layers, 8x8 latent, batch 16 (ms)"
MMDIT_TRAIN_ALLOCATION = "allocation per small MMDiT training step, 4 layers, 8x8 latent, batch 16 (MiB)"
CLIP_FORWARD = "CLIP text encoder forward, 16 tokens, batch 16 (ms)"
T5_FORWARD = "T5 encoder forward, 16 tokens, batch 16 (ms)"
TRANSFORMER_ROWS = (MMDIT_BLOCK_FORWARD, MMDIT_BLOCK_TRAIN, MMDIT_FORWARD, MMDIT_TRAIN, MMDIT_TRAIN_ALLOCATION,
                    CLIP_FORWARD, T5_FORWARD)
TRANSFORMER_BATCH = 16
TEXT_TOKENS = 16
WIDTH = 64  # 2 heads of 32
JAVA_ONLY_ROWS = (HEAP_PEAK, HEAP_LIVE, TRAIN_ALLOCATION, MMDIT_TRAIN_ALLOCATION)
SCALE_BATCHES = (1, 4, 16)
SCALE_RESOLUTIONS = (32, 64)


def scale_row(batch, res):
    return f"U-Net forward, batch {batch}, {res}x{res} (ms)"


def die(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def java_jars():
    """Returns {backend: jar} for the backend jars the build made; exits with a hint if the build is missing."""
    if shutil.which("java") is None:
        die("no `java` on PATH; the benchmark needs JDK 17")
    lib = ROOT / "demos" / "target" / "lib"
    jars = {b: ROOT / f"backend-{b}" / "target" / f"backend-{b}.jar" for b in BACKENDS}
    jars = {b: jar for b, jar in jars.items() if jar.is_file()}
    if not any(lib.glob("minidiffusion-demos-*.jar")) or not jars:
        die(f"the Java build is missing ({lib.relative_to(ROOT)}/minidiffusion-demos-*.jar or "
            "backend-*/target/backend-*.jar); "
            "run `mvn -B -q package -DskipTests` in the repository root first")
    return jars


def peak_rss_mib():
    """The peak resident set size of this process so far, as Java reads it: VmHWM of /proc/self/status."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the same figure, in kB, on Linux


def best_of(fn, repeats, warmup=2):
    """Returns the best wall time of fn() in seconds, after warm-up runs."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def load_torch():
    """Imports PyTorch and the U-Net mirror; globals, so that a missing Java build is reported first."""
    global torch, F, golden, golden_dit, golden_tf, BENCH_UNET
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, str(ROOT / "tools"))  # golden_dit and golden_transformers import golden_layers
    import golden_layers as golden
    import golden_dit
    import golden_transformers as golden_tf
    sinusoid = golden_dit.timestep_sinusoid  # float64 for the golden files; float32 here, as the Java side
    golden_dit.timestep_sinusoid = lambda t, dim=256, max_period=10000.0: sinusoid(t, dim, max_period).float()
    golden_tf.NEG = torch.finfo(torch.float32).min  # the masked score, as Hugging Face's in float32
    torch.set_default_dtype(torch.float32)  # golden_layers switches to float64 for its references
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(2)
    BENCH_UNET = dict(image_size=32, in_channels=3, out_channels=3, base_channels=64, channel_mults=[1, 2, 4],
                      blocks_per_level=1, attention_resolutions=[8], groups=32, heads=4, num_classes=0, dropout=0.0)


def unet(config):
    net = golden.UNet(config).float()
    net.eval()
    return net


def inputs(config, batch):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, config["in_channels"], config["image_size"], config["image_size"], generator=g)
    t = torch.randint(0, 1000, (batch,), generator=g)
    return x, t


def ddim_sample(net, batch, steps):
    """DDIM, eta = 0 (Song et al. 2021, eq. 12), cosine schedule, trailing spacing: the same
    number of U-Net evaluations as the Java sampler."""
    T = 1000
    s = 0.008
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # Nichol & Dhariwal, eq. 17
    betas = torch.tensor([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)])
    alpha_bar = torch.cumprod(1 - betas, 0)
    timesteps = [round(T - i * T / steps) - 1 for i in range(steps)]
    x = torch.randn(batch, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for i, t in enumerate(timesteps):
            eps = net(x, torch.full((batch,), t), None)
            ab = alpha_bar[t]
            ab_prev = alpha_bar[timesteps[i + 1]] if i + 1 < steps else torch.tensor(1.0)
            x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
    return x


SMALL_MMDIT = dict(sample_size=8, patch_size=2, in_channels=4, num_layers=4, attention_head_dim=32,
                   num_attention_heads=2, joint_attention_dim=WIDTH, caption_projection_dim=WIDTH,
                   pooled_projection_dim=WIDTH, out_channels=4, pos_embed_max_size=4, qk_norm="rms_norm")
SMALL_CLIP = dict(vocab_size=1000, hidden_size=WIDTH, intermediate_size=4 * WIDTH, num_hidden_layers=2,
                  num_attention_heads=2, max_position_embeddings=TEXT_TOKENS, hidden_act="quick_gelu",
                  layer_norm_eps=1e-5, projection_dim=WIDTH, eos_token_id=999)
SMALL_T5 = dict(vocab_size=1000, d_model=WIDTH, d_kv=32, d_ff=4 * WIDTH, num_layers=2, num_heads=2,
                relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
                feed_forward_proj="gated-gelu")


def adamw_step(module, loss_fn):
    """A training step closure: zero_grad, loss, backward and AdamW (lr 1e-4, weight decay 0.01), as the Java side."""
    opt = torch.optim.AdamW(module.parameters(), lr=1e-4, weight_decay=0.01)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    return step


def transformer_rows():
    """The transformer rows, with the shapes of WorkloadBench.java; best of 10 forwards, 5 training steps."""
    rows = {}
    b = TRANSFORMER_BATCH
    g = torch.Generator().manual_seed(0)
    x = torch.randn(b, TEXT_TOKENS, WIDTH, generator=g)  # (B, 16 image tokens, D)
    c = torch.randn(b, TEXT_TOKENS, WIDTH, generator=g)  # (B, 16 text tokens, D)
    temb = torch.randn(b, WIDTH, generator=g)
    block = golden_dit.JointTransformerBlock(WIDTH, heads=2, head_dim=32, context_pre_only=False,
                                          qk_norm=True).float()
    with torch.no_grad():
        rows[MMDIT_BLOCK_FORWARD] = 1e3 * best_of(lambda: block(x, c, temb), 10, warmup=3)

    def block_loss():
        c_out, x_out = block(x, c, temb)
        return (x_out - x).pow(2).mean() + (c_out - c).pow(2).mean()
    rows[MMDIT_BLOCK_TRAIN] = 1e3 * best_of(adamw_step(block, block_loss), 5)

    mmdit = golden_dit.SD3Transformer2DModel(SMALL_MMDIT).float()  # f32(): its position table is float64
    latents = torch.randn(b, 4, 8, 8, generator=g)
    pooled = torch.randn(b, WIDTH, generator=g)
    t = 1000 * (torch.arange(b) + 0.5) / b  # SD3's 1000 sigma
    with torch.no_grad():
        rows[MMDIT_FORWARD] = 1e3 * best_of(lambda: mmdit(latents, c, pooled, t), 10, warmup=3)
    rows[MMDIT_TRAIN] = 1e3 * best_of(
        adamw_step(mmdit, lambda: (mmdit(latents, c, pooled, t) - latents).pow(2).mean()), 5)

    ids = (torch.arange(b * TEXT_TOKENS) * 37 + 11).remainder(998).reshape(b, TEXT_TOKENS)  # as the Java ids
    clip = golden_tf.CLIPTextModelWithProjection(SMALL_CLIP).float()
    t5 = golden_tf.T5EncoderModel(SMALL_T5).float()
    mask = [[1] * TEXT_TOKENS] * b  # no padding: the same work as the Java side's unmasked forward
    with torch.no_grad():
        rows[CLIP_FORWARD] = 1e3 * best_of(lambda: clip(ids), 10, warmup=3)
        rows[T5_FORWARD] = 1e3 * best_of(lambda: t5(ids, mask), 10, warmup=3)
    return rows


def torch_rows(main_only=False):
    rows = {}
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    rows[SGEMM] = 2 * 512 ** 3 / best_of(lambda: a @ b, 20) / 1e9
    x, w = torch.randn(4, 64, 32, 32), torch.randn(64, 64, 3, 3)
    flops = 2 * 4 * 64 * 32 * 32 * 64 * 9
    rows[CONV] = flops / best_of(lambda: F.conv2d(x, w, padding=1), 20) / 1e9

    net = unet(BENCH_UNET)
    x, t = inputs(BENCH_UNET, 4)
    with torch.no_grad():
        rows[FORWARD] = 1e3 * best_of(lambda: net(x, t, None), 15, warmup=3)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def train_step():
        opt.zero_grad()
        loss = (net(x, t, None) - x).pow(2).mean()
        loss.backward()
        opt.step()
    rows[TRAIN] = 1e3 * best_of(train_step, 5)
    net.eval()
    rows[DDIM] = best_of(lambda: ddim_sample(net, 4, 50), 1, warmup=1)
    rows[PEAK_RSS] = peak_rss_mib()  # read at the same point as the Java side: right after DDIM
    if main_only:
        return rows
    for res in SCALE_RESOLUTIONS:
        for batch in SCALE_BATCHES:
            cfg = dict(BENCH_UNET, image_size=res)
            n = unet(cfg)
            xs, ts = inputs(cfg, batch)
            with torch.no_grad():
                rows[scale_row(batch, res)] = 1e3 * best_of(lambda: n(xs, ts, None), 7, 2)
    rows.update(transformer_rows())
    return rows


def java_run(backend, jar, scalar_budget, java_opts=(), main_only=False):
    """Runs bench-model on one backend, its progress on our stderr; returns its JSON and the wall time."""
    lib = ROOT / "demos" / "target" / "lib"
    cmd = ["java", *java_opts, "--add-modules", "jdk.incubator.vector", "--module-path", f"{lib}{os.pathsep}{jar}",
           "-m", "org.minidiffusion.demos/org.minidiffusion.demos.Demos", "bench-model", "--json"]
    if main_only:
        cmd.append("--main-only")
    if backend == "scalar":
        # the reference backend: one warm-up, single runs, no DDIM (50 forwards), bounded time
        cmd += ["--timing", "single", "--skip-ddim", "--budget", str(scalar_budget)]
    print(f"running {' '.join(cmd[cmd.index('bench-model'):])} on backend {backend}"
          + (f" with {' '.join(java_opts)}" if java_opts else ""), file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        die(f"the Java benchmark on backend {backend} failed with exit code {proc.returncode} (its messages are above)")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        die(f"the Java benchmark on backend {backend} printed no JSON line; its output was:\n{proc.stdout}")
    result = json.loads(lines[-1])
    result["seconds"] = seconds
    result["args"] = " ".join(cmd[cmd.index("bench-model"):])
    result["java_opts"] = " ".join(java_opts)
    return result


def median_of_runs(runs):
    """Combines several bench-model runs of one backend: the median of each row, and its range."""
    result = dict(runs[0])
    result["rows"] = {}
    result["spread"] = {}
    for row in runs[0]["rows"]:
        values = sorted(r["rows"][row] for r in runs if row in r["rows"])
        result["rows"][row] = statistics.median(values)
        result["spread"][row] = (values[0], values[-1])
    result["seconds"] = sum(r["seconds"] for r in runs)
    result["runs"] = len(runs)
    return result


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def fmt(v):
    return f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"


def fmt_ratio(r):
    return f"{r:.3g}" if r < 1000 else f"{r:.0f}"


class Notes:
    """Footnotes for the cells that hold no figure, numbered in order of first use, one per distinct text."""

    def __init__(self):
        self.texts = []

    def mark(self, text):
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def lines(self):
        return [f"{i + 1}. {text}" for i, text in enumerate(self.texts)]


def java_cell(java, backend, row, notes):
    """A Java figure, or a dash with a note saying why there is none."""
    result = java[backend]
    if row in result["rows"] and result["rows"][row] is not None:
        return fmt(result["rows"][row])
    reason = result["skipped"].get(row, "not measured")
    if row == DDIM and FORWARD in result["rows"]:
        estimate = 50 * result["rows"][FORWARD] / 1e3
        reason += (f"; 50 U-Net evaluations would take about {estimate / 60:.0f} min (estimated as 50 x the "
                   f"batch-4 forward, {estimate:.0f} s; an estimate, not a measurement)")
    return "— " + notes.mark(f"{backend}: {reason}.")


def ratio_cell(java, backend, row, reference):
    value = java[backend]["rows"].get(row)
    return fmt_ratio(value / reference) if value is not None and reference else "—"


def main_table(torch_results, java, notes, rows=MAIN_ROWS):
    names = list(java)
    lines = [
        "| workload | PyTorch | " + " | ".join(names) + " | " + " | ".join(f"ratio {b}" for b in names) + " |",
        "|---|---|" + "---|" * (2 * len(names)),
    ]
    for row in rows:
        reference = torch_results.get(row)
        torch_cell = fmt(reference) if reference is not None else "n/a"
        cells = [java_cell(java, b, row, notes) for b in names]
        ratios = [ratio_cell(java, b, row, reference) for b in names]
        lines.append(f"| {row} | {torch_cell} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return lines


def scale_tables(torch_results, java, notes):
    """The forward time at each batch and resolution, then how it grows: per image and from 32 to 64 pixels."""
    names = list(java)
    lines = [
        "| batch | resolution | PyTorch (ms) | " + " | ".join(f"{b} (ms)" for b in names) + " | "
        + " | ".join(f"ratio {b}" for b in names) + " |",
        "|---|---|---|" + "---|" * (2 * len(names)),
    ]
    for res in SCALE_RESOLUTIONS:
        for batch in SCALE_BATCHES:
            row = scale_row(batch, res)
            reference = torch_results[row]
            cells = [java_cell(java, b, row, notes) for b in names]
            ratios = [ratio_cell(java, b, row, reference) for b in names]
            lines.append(f"| {batch} | {res}x{res} | {fmt(reference)} | " + " | ".join(cells) + " | "
                         + " | ".join(ratios) + " |")

    sources = {"PyTorch": torch_results, **{b: java[b]["rows"] for b in names}}

    def get(source, batch, res):
        return sources[source].get(scale_row(batch, res))

    lines += [
        "",
        "Growth, computed from the table above: the time per image (forward time / batch, ms) at each batch, "
        "and the factor from 32x32 to 64x64 at the same batch. 64x64 has 4x the pixels, but not 4x the work of "
        "every layer: the config keeps attention at 8x8, a size that the 64x64 U-Net (levels 64, 32, 16) never "
        "reaches, so its levels have no attention blocks, while its middle attention runs over 16x16 = 256 "
        "tokens instead of 64 (16x the attention matrix).",
        "",
        "| growth | " + " | ".join(sources) + " |",
        "|---|" + "---|" * len(sources),
    ]
    for res in SCALE_RESOLUTIONS:
        for batch in SCALE_BATCHES:
            cells = [get(s, batch, res) for s in sources]
            lines.append(f"| per image, batch {batch}, {res}x{res} (ms) | "
                         + " | ".join(fmt(c / batch) if c is not None else "—" for c in cells) + " |")
    for batch in SCALE_BATCHES:
        cells = [(get(s, batch, 64), get(s, batch, 32)) for s in sources]
        lines.append(f"| 64x64 / 32x32, batch {batch} | "
                     + " | ".join(f"{a / b:.2f}" if a is not None and b is not None else "—" for a, b in cells)
                     + " |")
    summary = []
    for s in sources:
        one, sixteen = get(s, 1, 32), get(s, 16, 32)
        if one is not None and sixteen is not None:
            summary.append(f"{s} {one / (sixteen / 16):.2f}x")
    if summary:
        lines += ["", "Batching gain at 32x32 (time per image at batch 1 / at batch 16): " + ", ".join(summary) + "."]
    return lines


def definitions(java, torch_threads, java_opts=""):
    lines = [
        "Notes on the measurements:",
        "",
        f"- PyTorch ({torch_threads} threads): best of 20 runs after 2 warm-up runs for sgemm and conv2d, best of 15 "
        "after 3 for the forward pass, best of 5 after 2 for the training step, one run after one warm-up for DDIM, "
        "best of 7 after 2 for each forward of the scale table.",
    ]
    for backend, result in java.items():
        minutes = result["seconds"] / 60
        if result["timing"] == "single":
            how = ("one untimed run of each kernel and one untimed U-Net forward at batch 1, 32x32, then a **single "
                   "timed run** of each workload, so its figures are noisier than the others and include any JIT "
                   "compilation still pending")
        else:
            how = ("a 10 s warm-up running sgemm, conv2d and the forward pass, then a full GC and a wait until the JIT "
                   "is idle; then, "
                   "for each row, a warm-up of at least 3 runs and 3 s (the JIT compiles the Vector API kernels in the "
                   "background, on the same two cores), then the best of 10 runs for sgemm and conv2d, 5 for the "
                   "forward pass and the training step, 3 for each forward of the scale table; DDIM is one run after "
                   "one warm-up, as in PyTorch")
        lines.append(f"- {backend} (`{result['args']}`, {minutes:.1f} min in all): {how}.")
        if result.get("runs", 1) > 1:
            spread = "; ".join(f"{row}: {fmt(lo)} to {fmt(hi)}" for row, (lo, hi) in result["spread"].items())
            lines.append(f"- {backend}: every figure is the median of {result['runs']} runs, each in a new JVM, since "
                         "the JIT's compilation choices and the GC's timing differ from one JVM to the next; the range "
                         f"over the runs was {spread}.")
    lines += [
        f"- {PEAK_RSS}: `VmHWM` of `/proc/self/status`, read in each process right after the DDIM row: the most "
        "resident memory the process has had so far, so it also covers the rows above, the training step's "
        "autograd graph and Adam state included, and the runtime itself (the JVM, or Python with libtorch). It "
        "measures the same thing on both sides"
        + (f"; the JVMs ran with `{java_opts}` (maximum heap "
           + ", ".join(f"{b}: {r['max heap (MiB)']:.0f} MiB" for b, r in java.items()) + ")." if java_opts else
           ", but on the Java side it is mostly heap that G1 grew towards its maximum ("
           + ", ".join(f"{b}: {r['max heap (MiB)']:.0f} MiB" for b, r in java.items())
           + "; a quarter of the RAM unless `-Xmx` says otherwise) and that still holds garbage: it is the "
           "footprint with the JVM's default settings, not what the workload needs (the `minidiffusion` launcher's "
           "settings: run with `--java-opts`)."),
        f"- {HEAP_PEAK}: after a full GC (`System.gc()`), every heap pool's peak is reset "
        "(`MemoryPoolMXBean.resetPeakUsage()`); after the DDIM runs the pools' peaks are summed. It includes "
        "garbage not yet collected, so it mostly shows how large G1 let the young generation grow.",
        f"- {HEAP_LIVE}: used heap after another full GC at the end of DDIM: the model's weights and whatever else "
        "is still referenced (the training step's gradients and Adam state are garbage by then). It is the lower "
        "bound of the Java side's need; PyTorch has no comparable figure (n/a), since it frees tensors by "
        "reference counting and its peak RSS is the only measure of its own.",
        f"- {TRAIN_ALLOCATION} and {MMDIT_TRAIN_ALLOCATION}: the heap bytes one training step allocates "
        "(forward, backward and the optimiser), summed over every live thread with "
        "`com.sun.management.ThreadMXBean.getThreadAllocatedBytes` around the step, the median of 3 steps after the "
        "timed ones (1 with `--timing single`). PyTorch has no comparable figure (n/a).",
        "- Ratio is Java / PyTorch: for GFLOP/s higher is better, for times and memory lower is better.",
    ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="the results file (default: bench/RESULTS.md; none with --main-only)")
    parser.add_argument("--scalar-budget", type=int, default=DEFAULT_SCALAR_BUDGET, metavar="SECONDS",
                        help="time limit of the scalar backend's run; rows whose estimate would pass it are left "
                             f"out (default: {DEFAULT_SCALAR_BUDGET})")
    parser.add_argument("--torch-only", action="store_true",
                        help="run only the PyTorch workloads and print their figures as one line of JSON; "
                             "writes no results file")
    parser.add_argument("--java-runs", type=int, default=DEFAULT_JAVA_RUNS, metavar="N",
                        help="how many JVMs run the parallel backend's workloads; each figure is the median "
                             f"(default: {DEFAULT_JAVA_RUNS})")
    parser.add_argument("--java-opts", default="", metavar="OPTIONS",
                        help="JVM options for every Java run, such as the launcher's \"-XX:+UseSerialGC\"")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="run the Java workloads on this backend only (default: every backend jar built)")
    parser.add_argument("--main-only", action="store_true",
                        help="run only the main table's rows, up to DDIM and its memory, on both sides")
    args = parser.parse_args()
    if args.out is None and not args.main_only:
        args.out = ROOT / "bench" / "RESULTS.md"
    java_opts = shlex.split(args.java_opts)
    if args.scalar_budget < 1:
        parser.error("--scalar-budget needs a positive number of seconds")
    if args.java_runs < 1:
        parser.error("--java-runs needs a positive number")
    if args.torch_only:
        load_torch()
        print(json.dumps({"backend": "pytorch", "threads": torch.get_num_threads(),
                          "rows": torch_rows(args.main_only)}))
        return
    jars = java_jars()
    if args.backend is not None:
        if args.backend not in jars:
            die(f"no backend-{args.backend}/target/backend-{args.backend}.jar; run `mvn -B -q package -DskipTests`")
        jars = {args.backend: jars[args.backend]}
    load_torch()
    print("running the PyTorch workloads", file=sys.stderr, flush=True)
    torch_results = torch_rows(args.main_only)
    java = {}
    for backend, jar in jars.items():
        runs = args.java_runs if backend == "parallel" else 1
        java[backend] = median_of_runs([java_run(backend, jar, args.scalar_budget, java_opts, args.main_only)
                                        for _ in range(runs)])
    jdk = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    command = "/usr/bin/python3 tools/bench_torch.py"
    if args.scalar_budget != DEFAULT_SCALAR_BUDGET:
        command += f" --scalar-budget {args.scalar_budget}"
    if args.java_runs != DEFAULT_JAVA_RUNS:
        command += f" --java-runs {args.java_runs}"
    if args.java_opts:
        # with '=': argparse takes a separate value that starts with '-' for an option of its own
        command += " " + shlex.quote(f"--java-opts={args.java_opts}")
    if args.backend is not None:
        command += f" --backend {args.backend}"
    if args.main_only:
        command += " --main-only"
    notes = Notes()
    measured = (f"Measured {datetime.date.today()} by `{command}` on {cpu_model()}, "
                f"{os.cpu_count()} cores; {jdk}; PyTorch {torch.__version__} with {torch.get_num_threads()} threads. "
                "Backends: " + ", ".join(java) + ".")
    if args.main_only:
        lines = [
            "# Benchmark: mini-diffusion against PyTorch, main rows",
            "",
            measured,
            "",
            *main_table(torch_results, java, notes),
            "",
            "## Notes",
            "",
            *(["Cells without a figure:", "", *notes.lines(), ""] if notes.texts else []),
            *definitions(java, torch.get_num_threads(), args.java_opts),
        ]
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text("\n".join(lines) + "\n")
            print(f"wrote {args.out}", file=sys.stderr)
        print("\n".join(lines))
        return
    lines = [
        "# Benchmark: mini-diffusion against PyTorch",
        "",
        measured,
        "",
        *main_table(torch_results, java, notes),
        "",
        "Where the training step spends its time and allocation (JFR, by phase and op family): "
        "[PROFILE.md](PROFILE.md).",
        "",
        "## Transformer workloads",
        "",
        "Batch 16, width 64 (2 heads of 32), 16 text tokens of 64 features. MMDiT block: one SD3 joint block "
        "(not the last, so both streams have a feed-forward) over 16 image and 16 text tokens, RMS query-key "
        "norm. Small MMDiT: SD3Transformer2DModel on a 4-channel 8x8 latent in 2x2 patches (16 tokens), 4 joint "
        "blocks, pooled text embedding 64. Training step: forward, mean squared error, backward, AdamW (lr 1e-4, "
        "weight decay 0.01). CLIP and T5: 2 layers, width 64, 2 heads, feed-forward 256 (T5: gated GELU), 16 "
        "tokens, no padding. PyTorch: best of 10 after 3 warm-ups for each forward, best of 5 after 2 for each "
        "training step; Java: the same per-row warm-up as the U-Net rows, then best of 10 for each forward and of 5 "
        "for each training step.",
        "",
        *main_table(torch_results, java, notes, TRANSFORMER_ROWS),
        "",
        "## Scale behaviour: U-Net forward by batch size and resolution",
        "",
        *scale_tables(torch_results, java, notes),
        "",
        "## Notes",
        "",
        *(["Cells without a figure:", "", *notes.lines(), ""] if notes.texts else []),
        *definitions(java, torch.get_num_threads(), args.java_opts),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
