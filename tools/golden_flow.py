#!/usr/bin/python3
"""Golden values for flow matching: diffusers' flow-match sigma schedule and Euler and Heun loops.

An independent re-implementation, in PyTorch (1.13) and float64, of what diffusers'
``FlowMatchEulerDiscreteScheduler`` and ``FlowMatchHeunDiscreteScheduler`` do (static ``shift``,
no dynamic shifting, no Karras/exponential/beta sigmas, ``s_churn = 0``), written from their
published source:

* ``__init__``: training timesteps ``linspace(1, T, T)`` reversed, ``sigmas = timesteps / T``, shifted
  by ``shift * s / (1 + (shift - 1) * s)``; ``sigma_max = sigmas[0]``, ``sigma_min = sigmas[-1]``.
* ``set_timesteps(n)``: ``linspace(sigma_max * T, sigma_min * T, n) / T``, shifted (again), then
  ``timesteps = sigmas * T`` and a final sigma 0 appended. Heun repeats every timestep but the first
  and every sigma but the first and the last (``repeat_interleave(2)``).
* Euler ``step``: ``x + (sigma_next - sigma) * v``. Heun ``step``: a state machine that alternates a
  first-order call (store ``v``, ``dt`` and ``x``, return the Euler predictor) and a second-order call
  (average the two velocities, step from the stored ``x``); the last call, to sigma 0, is first order.

The loops below drive the schedulers the way a diffusers pipeline does (one model call per entry of
``timesteps``, classifier-free guidance ``v_u + g (v_c - v_u)``), so the Java solvers, which are
written as whole steps, are checked against diffusers' call-by-call form.

The dummy model is ``v(x, t, label) = x * s / (s + 1) + ramp + 0.25 * label`` with ``s = t / T``,
``ramp`` = ``linspace(-1, 1)`` over one sample's elements, and label 0 for an unconditional call.

Run from the repository root with the system Python that has PyTorch:

    /usr/bin/python3 tools/golden_flow.py

It writes ``modules/diffusion/src/test/resources/golden/flow/{schedules,loops}.safetensors`` with
the conventions and the hand-written safetensors writer of ``tools/golden_layers.py`` (F32 tensors,
float64 reference rounded once to float32, string metadata); ``FlowGoldenTests`` reads them. The
output is deterministic, so re-running rewrites identical bytes.
"""
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from golden_layers import ROOT, WRITTEN, f32, write_safetensors  # noqa: E402  (sets float64 as default)

OUT = ROOT / "modules/diffusion/src/test/resources/golden/flow"

SCHEDULES = [(1000, shift, n) for shift in (1.0, 3.0) for n in (1, 10, 28)] + [(50, 3.5, 7)]
SHAPE = (2, 3, 4, 4)
LABELS, NULL_CLASS = [0, 2], 3
LOOPS = [  # name, solver, shift, steps, guidance scale (1 = none)
    ("euler_shift1", "euler", 1.0, 10, 1.0),
    ("euler_shift3_cfg", "euler", 3.0, 10, 4.5),
    ("heun_shift1", "heun", 1.0, 10, 1.0),
    ("heun_shift3_cfg", "heun", 3.0, 10, 4.5),
]


def key(T, shift, n):
    return f"T{T}_shift{shift:g}_n{n}"


def shifted(s, shift):
    """SD3's shift, eq. 23 with shift = sqrt(m / n)."""
    return shift * s / (1 + (shift - 1) * s)


class EulerScheduler:
    """FlowMatchEulerDiscreteScheduler with a static shift, in float64."""

    def __init__(self, T, shift):
        train = torch.linspace(1, T, T).flip(0) / T
        train = shifted(train, shift)
        self.T, self.shift = T, shift
        self.sigma_max, self.sigma_min = train[0].item(), train[-1].item()

    def base_sigmas(self, n):
        s = torch.linspace(self.sigma_max * self.T, self.sigma_min * self.T, n) / self.T
        return shifted(s, self.shift)

    def set_timesteps(self, n):
        s = self.base_sigmas(n)
        self.timesteps = s * self.T
        self.sigmas = torch.cat([s, torch.zeros(1)])
        self.index = 0

    def step(self, v, t, x):
        sigma, sigma_next = self.sigmas[self.index], self.sigmas[self.index + 1]
        self.index += 1
        return x + (sigma_next - sigma) * v


class HeunScheduler(EulerScheduler):
    """FlowMatchHeunDiscreteScheduler with s_churn = 0, in float64."""

    def set_timesteps(self, n):
        s = self.base_sigmas(n)
        t = s * self.T
        self.timesteps = torch.cat([t[:1], t[1:].repeat_interleave(2)])
        s = torch.cat([s, torch.zeros(1)])
        self.sigmas = torch.cat([s[:1], s[1:-1].repeat_interleave(2), s[-1:]])
        self.index, self.dt = 0, None

    def step(self, v, t, x):
        if self.dt is None:  # first order: Euler predictor, remember the derivative
            sigma, sigma_next = self.sigmas[self.index], self.sigmas[self.index + 1]
            self.prev_v, self.dt, self.x = v, sigma_next - sigma, x
            out = x + v * self.dt
        else:  # second order: the trapezoid from the stored sample
            out = self.x + 0.5 * (self.prev_v + v) * self.dt
            self.dt = None
        self.index += 1
        return out


def dummy_model(x, t, labels, T):
    s = t / T
    per_sample = x[0].numel()
    ramp = torch.linspace(-1, 1, per_sample).reshape(x.shape[1:])
    lab = torch.zeros(x.shape[0]) if labels is None else torch.tensor(labels, dtype=torch.float64)
    return x * s / (s + 1) + ramp + 0.25 * lab.reshape(-1, *([1] * (x.dim() - 1)))


def run_loop(solver, shift, steps, guidance, x1, T=1000):
    sched = (EulerScheduler if solver == "euler" else HeunScheduler)(T, shift)
    sched.set_timesteps(steps)
    x, calls, trajectory = x1.clone(), [], []
    for i, t in enumerate(sched.timesteps):
        calls.append(t.item())
        if guidance == 1.0:
            v = dummy_model(x, t, None, T)
        else:  # one batched call on [x; x] with labels [null; labels], as the pipelines do
            both = dummy_model(torch.cat([x, x]), t, [NULL_CLASS] * len(LABELS) + LABELS, T)
            v_u, v_c = both.chunk(2)
            v = v_u + guidance * (v_c - v_u)
        x = sched.step(v, t, x)
        first_order_next = solver == "euler" or sched.dt is None
        if first_order_next or i == len(sched.timesteps) - 1:  # a whole step is done
            trajectory.append(x.clone())
    assert len(trajectory) == steps, (solver, len(trajectory))
    return x, torch.tensor(calls), torch.stack(trajectory)


def schedule_file():
    tensors, names = {}, []
    for T, shift, n in SCHEDULES:
        sched = EulerScheduler(T, shift)
        sched.set_timesteps(n)
        k = key(T, shift, n)
        names.append(k)
        tensors["sigmas." + k] = sched.sigmas
        tensors["timesteps." + k] = sched.timesteps
        heun = HeunScheduler(T, shift)
        heun.set_timesteps(n)  # the Heun scheduler starts from the same sigmas
        assert torch.equal(heun.sigmas[0::2], sched.sigmas[:-1]) and torch.equal(heun.timesteps[0::2], sched.timesteps)
        print(f"{k}: sigmas {[round(v, 6) for v in sched.sigmas.tolist()[:4]]} ... "
              f"timesteps[-1] {sched.timesteps[-1].item():.6f}")
    meta = {"cases": ",".join(names), "settings": ";".join(f"{T},{s:g},{n}" for T, s, n in SCHEDULES)}
    write_safetensors(OUT / "schedules.safetensors", tensors, meta)


def loop_file():
    torch.manual_seed(11)
    x1 = f32(torch.randn(*SHAPE, dtype=torch.float32))
    tensors, meta = {"x1": x1}, {
        "cases": ",".join(c[0] for c in LOOPS), "num_train_timesteps": "1000",
        "labels": ",".join(map(str, LABELS)), "null_class": str(NULL_CLASS),
        "model": "v = x*s/(s+1) + linspace(-1,1) over a sample + 0.25*label, s = t/T, label 0 if unconditional"}
    for name, solver, shift, steps, guidance in LOOPS:
        x0, calls, trajectory = run_loop(solver, shift, steps, guidance, x1)
        tensors[name + ".x0"] = x0
        tensors[name + ".calls"] = calls
        tensors[name + ".trajectory"] = trajectory
        meta[name] = f"solver={solver},shift={shift:g},steps={steps},guidance={guidance:g}"
        print(f"{name}: {len(calls)} model calls, mean x0 {x0.mean().item():.6f}")
    write_safetensors(OUT / "loops.safetensors", tensors, meta)


def main():
    schedule_file()
    loop_file()
    for path, size in WRITTEN:
        print(f"{size:8d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
