#!/usr/bin/python3
"""Summarises a JFR recording of training steps: CPU samples and allocation by phase and op family.

    /usr/bin/python3 tools/jfr_summary.py RECORDING.jfr

It runs ``jfr print --json`` (the JDK's ``jfr`` tool must be on PATH) for ``jdk.ExecutionSample``,
``jdk.ObjectAllocationSample`` and ``jdk.GarbageCollection`` and prints Markdown tables:

* phase of each sample, from its stack: ``optimiser`` (an ``Optimizer``/``Adam`` frame), ``backward``
  (``Tape.backward``), ``forward`` (any other sample of the thread that runs the step). The parallel
  backend's fork-join workers have no caller frames, so a worker sample takes the phase of the
  nearest sample of the main thread within 50 ms (the main thread works in the same parallel loop), or
  ``unknown``;
* op family, from the innermost frame of the backend's kernels (``ParallelKernels``' method, or the
  helper class: convolution, GEMM, group norm, element-wise, reductions, ...), else ``core`` (the
  tensor implementation: copies, tape bookkeeping) or the leaf frame's package;
* for backward samples, the autograd op whose gradient is being computed (the ``lambda$<op>$`` of the
  core's ``*Ops`` classes);
* the top leaf frames, allocation by phase, op family and allocating frame, and GC pauses.
"""
import collections
import json
import subprocess
import sys

KERNEL_FAMILIES = {
    "conv2d": "conv2d forward", "conv2dBackwardInput": "conv2d input grad",
    "conv2dBackwardWeight": "conv2d weight grad", "matmul": "matmul",
    "groupNorm": "group/layer norm", "variance": "group/layer norm",
    "binary": "element-wise", "map": "element-wise", "mapBackward": "element-wise", "copy": "element-wise (copy)",
    "reduce": "reductions", "softmax": "softmax", "gather": "gather/scatter", "scatterAdd": "gather/scatter",
    "upsampleNearest": "resampling", "avgPool2d": "resampling", "avgPool2dBackward": "resampling",
}
HELPER_FAMILIES = {
    "Gemm": "matmul", "PackedGemm": "matmul", "SimdGemm": "matmul", "Packing": "matmul",
    "Convolution": "conv2d (helper)", "PackedConvolution": "conv2d (helper)", "Im2col": "conv2d (helper)",
    "GroupNormKernel": "group/layer norm", "BinaryRows": "element-wise", "UnaryRows": "element-wise",
    "Strided": "element-wise (copy)", "Reductions": "reductions", "SimdSums": "reductions",
}
BACKEND = "org.minidiffusion.backend.parallel."
CORE = "org.minidiffusion.core.internal."


def events(path, name):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", name, path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]


def frames(event):
    trace = event["values"].get("stackTrace") or {}
    # class names are internal names (org/minidiffusion/...) in jfr's JSON
    return [(f["method"]["type"]["name"].replace("/", "."), f["method"]["name"]) for f in trace.get("frames", [])]


def millis(event):
    """startTime as milliseconds since the epoch (an ISO string in jfr's JSON)."""
    import datetime
    t = event["values"]["startTime"]
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")[:26] + "+00:00").timestamp() * 1e3 \
        if "." in t else datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1e3


def own_phase(fs):
    for cls, m in fs:
        if cls.endswith(".Adam") or cls.endswith(".Optimizer") or m == "zeroGrad":
            return "optimiser"
    for cls, m in fs:
        if cls.endswith("internal.Tape") and m in ("backward", "replay"):
            return "backward"
    return None


def family(fs):
    # the kernel entry point (ParallelKernels' method), anywhere on the stack: a convolution runs GEMMs
    for cls, m in fs:
        if cls.startswith(BACKEND + "ParallelKernels"):
            name = m.split("$")[1] if m.startswith("lambda$") else m
            if name in KERNEL_FAMILIES:
                return KERNEL_FAMILIES[name]
    # a worker thread starts inside the helper's lambda: a convolution helper anywhere wins over GEMM
    for cls, m in fs:
        if cls.startswith(BACKEND) and cls[len(BACKEND):].split("$")[0] in ("PackedConvolution", "Convolution", "Im2col"):
            low = m.lower()
            if "weight" in low or "packgradients" in low:
                return "conv2d weight grad"
            if "input" in low or "transposed" in low:
                return "conv2d input grad"
            if "forward" in low:
                return "conv2d forward"
    for cls, m in fs:
        simple = cls[len(BACKEND):].split("$")[0] if cls.startswith(BACKEND) else None
        if simple in HELPER_FAMILIES:
            return HELPER_FAMILIES[simple]
    # no kernel frame: name what ran by the innermost frame's owner
    for cls, m in fs:
        if cls.startswith(CORE):
            if cls.endswith("BufferPool") or m == "allocate":
                return "core: buffer allocation"
            return "core: " + cls[len(CORE):].split("$")[0]
    if fs:
        cls = fs[0][0]
        return "other: " + ".".join(cls.split(".")[:3])
    return "no stack"


def autograd_op(fs):
    for cls, m in fs:
        if cls.startswith(CORE) and m.startswith("lambda$"):
            return cls[len(CORE):].split("$")[0] + "." + m.split("$")[1]
    return "(not inside an op's backward)"


def table(title, counter, total, unit="samples", limit=None):
    lines = [f"| {title} | {unit} | share |", "|---|---|---|"]
    for key, n in counter.most_common(limit):
        value = f"{n / 2**20:.0f} MiB" if unit == "MiB" else str(n)
        lines.append(f"| {key} | {value} | {100 * n / total:.1f}% |")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/jfr_summary.py RECORDING.jfr")
    path = sys.argv[1]
    samples = events(path, "jdk.ExecutionSample")
    main_thread = collections.Counter(e["values"]["sampledThread"]["javaName"] for e in samples).most_common(1)[0][0]
    parsed = [(millis(e), e["values"]["sampledThread"]["javaName"], frames(e)) for e in samples]
    main_samples = sorted((t, own_phase(fs) or "forward", autograd_op(fs), family(fs))
                          for t, th, fs in parsed if th == main_thread)
    times = [s[0] for s in main_samples]

    import bisect

    def borrowed(t):
        i = bisect.bisect_left(times, t)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(times) and abs(times[j] - t) <= 50 and (best is None or abs(times[j] - t) < abs(times[best] - t)):
                best = j
        return main_samples[best][1:] if best is not None else ("unknown", "unknown", None)

    by_phase, by_family, by_both, by_op, leaves, threads = (collections.Counter() for _ in range(6))
    for t, th, fs in parsed:
        threads["main" if th == main_thread else ("fork-join worker" if "ForkJoin" in th else th)] += 1
        fam = family(fs)
        if th == main_thread:
            phase, op = own_phase(fs) or "forward", autograd_op(fs)
        else:
            phase, op, main_fam = borrowed(t)
            # a worker sees only the helper: the input gradient of a stride-1 convolution is a forward
            # convolution with flipped weights, so the main thread's kernel names the work
            if fam.startswith("conv2d") and main_fam and main_fam.startswith("conv2d"):
                fam = main_fam
        by_phase[phase] += 1
        by_family[fam] += 1
        by_both[f"{phase} / {fam}"] += 1
        if phase == "backward":
            by_op[op] += 1
        if fs:
            leaves[f"`{fs[0][0].split('.')[-1]}.{fs[0][1]}`"] += 1
    n = len(parsed)
    print(f"{n} execution samples; threads: " + ", ".join(f"{k} {v}" for k, v in threads.most_common()) + "\n")
    print(table("phase", by_phase, n) + "\n")
    print(table("op family", by_family, n, limit=12) + "\n")
    print(table("phase / op family", by_both, n, limit=20) + "\n")
    print(table("backward: the op whose gradient is computed", by_op, sum(by_op.values()), limit=15) + "\n")
    print(table("leaf frame", leaves, n, limit=15) + "\n")

    allocs = events(path, "jdk.ObjectAllocationSample")
    a_phase, a_family, a_site = collections.Counter(), collections.Counter(), collections.Counter()
    for e in allocs:
        w = e["values"]["weight"]
        fs = frames(e)
        th = e["values"]["eventThread"]["javaName"]
        phase = (own_phase(fs) or "forward") if th == main_thread else "worker threads"
        a_phase[phase] += w
        a_family[family(fs)] += w
        site = next((f"`{c.split('.')[-1]}.{m}`" for c, m in fs
                     if not c.startswith("java.") and not c.endswith("BufferPool") and not c.startswith("jdk.")), "?")
        a_site[site] += w
    total = sum(a_phase.values())
    print(f"allocation samples: {len(allocs)}, sampled weight {total / 2**30:.2f} GiB in all\n")
    print(table("allocation by phase", a_phase, total, "MiB") + "\n")
    print(table("allocation by op family", a_family, total, "MiB", limit=12) + "\n")
    print(table("allocating frame (outside java.*, jdk.*, BufferPool)", a_site, total, "MiB", limit=12) + "\n")

    gcs = events(path, "jdk.GarbageCollection")

    def ms(d):  # jfr's JSON durations look like "PT0.012345S"
        return float(d[2:-1]) * 1e3 if isinstance(d, str) and d.startswith("PT") and d.endswith("S") else 0.0
    pauses = [ms(e["values"].get("sumOfPauses")) for e in gcs]
    print(f"GC: {len(gcs)} collections, pauses {sum(pauses):.0f} ms in all, longest {max(pauses, default=0):.1f} ms; "
          + ", ".join(f"{k} {v}" for k, v in collections.Counter(e['values']['name'] for e in gcs).most_common()))


if __name__ == "__main__":
    main()
