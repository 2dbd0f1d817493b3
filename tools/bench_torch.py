#!/usr/bin/python3
"""Side-by-side benchmark: mini-diffusion (Java) against PyTorch on the CPU, in one session.

Run from the repository root, after ``mvn -B -q package -DskipTests``, with the system Python that
has PyTorch (``apt-get install python3-torch libopenblas0-pthread``):

    /usr/bin/python3 tools/bench_torch.py

It measures, with PyTorch limited to 2 threads:

* sgemm 512x512x512 (GFLOP/s);
* conv2d 3x3, 64 -> 64 channels, batch 4, 32x32, stride 1, padding 1 (GFLOP/s);
* the benchmark U-Net (3 channels in and out, 32x32, batch 4, base 64, multipliers (1, 2, 4), one
  ResBlock per level, GroupNorm(32), self-attention at 8x8): forward (ms) and one training step,
  forward + backward + Adam (ms);
* 50-step DDIM sampling of 4 images (s);
* peak resident memory of the process (MiB);
* the U-Net forward at batch 1, 4, 16 and resolution 32, 64.

then runs the Java ``bench`` command of the demos on every backend with the same workloads, and
writes ``bench/RESULTS.md``: the table, the ratio Java/PyTorch for each row, the date, the JDK and
the CPU model. The U-Net is the mirror of ``unet/UNet.java`` defined in ``tools/golden_layers.py``.
"""
import datetime
import importlib.util
import json
import math
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("golden_layers", ROOT / "tools" / "golden_layers.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)
torch.set_default_dtype(torch.float32)  # golden_layers switches to float64 for its references
torch.use_deterministic_algorithms(False)
torch.set_num_threads(2)

BENCH_UNET = dict(image_size=32, in_channels=3, out_channels=3, base_channels=64, channel_mults=[1, 2, 4],
                  blocks_per_level=1, attention_resolutions=[8], groups=32, heads=4, num_classes=0, dropout=0.0)


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


def torch_rows():
    rows = {}
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    rows["sgemm 512x512x512 (GFLOP/s)"] = 2 * 512 ** 3 / best_of(lambda: a @ b, 20) / 1e9
    x, w = torch.randn(4, 64, 32, 32), torch.randn(64, 64, 3, 3)
    flops = 2 * 4 * 64 * 32 * 32 * 64 * 9
    rows["conv2d 3x3 64->64, batch 4, 32x32 (GFLOP/s)"] = flops / best_of(lambda: F.conv2d(x, w, padding=1), 20) / 1e9

    net = unet(BENCH_UNET)
    x, t = inputs(BENCH_UNET, 4)
    with torch.no_grad():
        rows["U-Net forward, batch 4 (ms)"] = 1e3 * best_of(lambda: net(x, t, None), 15, warmup=3)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def train_step():
        opt.zero_grad()
        loss = (net(x, t, None) - x).pow(2).mean()
        loss.backward()
        opt.step()
    rows["U-Net training step, batch 4 (ms)"] = 1e3 * best_of(train_step, 5)
    net.eval()
    rows["DDIM 50 steps, 4 images (s)"] = best_of(lambda: ddim_sample(net, 4, 50), 1, warmup=1)
    rows["peak memory (MiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for res in (32, 64):
        for batch in (1, 4, 16):
            cfg = dict(BENCH_UNET, image_size=res)
            n = unet(cfg)
            xs, ts = inputs(cfg, batch)
            with torch.no_grad():
                rows[f"U-Net forward, batch {batch}, {res}x{res} (ms)"] = 1e3 * best_of(lambda: n(xs, ts, None), 7, 2)
    return rows


def java_rows():
    """Runs the Java benchmark once per backend jar and returns {backend: {row: value}}."""
    lib = ROOT / "demos/target/lib"
    results = {}
    for backend in ("parallel", "scalar"):
        jar = ROOT / f"backend-{backend}/target/backend-{backend}.jar"
        cmd = ["java", "--add-modules", "jdk.incubator.vector", "--module-path", f"{lib}{os.pathsep}{jar}",
               "-m", "org.minidiffusion.demos/org.minidiffusion.demos.Demos", "bench-model", "--json"]
        if backend == "scalar":
            cmd += ["--quick"]  # the reference backend is only timed on the small rows
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        results[backend] = json.loads(out[out.index("{"):])
    return results


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    torch_results = torch_rows()
    java = java_rows()
    jdk = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    lower_is_better = lambda row: "(ms)" in row or "(s)" in row or "MiB" in row
    lines = [
        "# Benchmark: mini-diffusion against PyTorch",
        "",
        f"Measured {datetime.date.today()} by `/usr/bin/python3 tools/bench_torch.py` on {cpu_model()}, "
        f"{os.cpu_count()} cores; {jdk}; PyTorch {torch.__version__} with {torch.get_num_threads()} threads.",
        "",
        "Ratio is Java / PyTorch: for GFLOP/s higher is better, for times and memory lower is better.",
        "",
        "| workload | PyTorch | " + " | ".join(f"{b}" for b in java) + " | " + " | ".join(f"ratio {b}" for b in java) + " |",
        "|---|---|" + "---|" * (2 * len(java)),
    ]
    for row, value in torch_results.items():
        cells = [f"{java[b][row]:.1f}" if row in java[b] else "—" for b in java]
        ratios = [f"{java[b][row] / value:.2f}" if row in java[b] else "—" for b in java]
        lines.append(f"| {row} | {value:.1f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    out = ROOT / "bench" / "RESULTS.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
