#!/usr/bin/python3
"""Golden values for the diffusion module: beta schedules, spacings, timestep embedding, DDPM/DDIM loops.

An independent re-implementation, in plain PyTorch (1.13) and NumPy, of what diffusers'
DDPMScheduler and DDIMScheduler do, in float64, so the Java tests compare float32 with exact values.
On purpose, and like the Java code, it takes the previous timestep from the timestep array
(diffusers' DDIM uses t - T // n) and keeps exactly n trailing steps (NumPy's arange can give n + 1).
Noise is drawn here once and stored in the golden file; the Java tests replay it.
Run: /usr/bin/python3 tools/golden_schedulers.py. Writes modules/diffusion/src/test/resources/
golden/schedulers/*.txt: one entry per line, "key value value ...", '#' starts a comment.
"""
import math
import pathlib

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = pathlib.Path(__file__).resolve().parent.parent / "modules/diffusion/src/test/resources/golden/schedulers"
NULL_CLASS, LABELS = 3, [0, 2]
CLIPPED = [0]  # x0 entries that clip_sample changed: printed, to show that clipping is exercised


def betas_for(schedule, T, beta_start=1e-4, beta_end=0.02):
    """diffusers' beta_schedule options (float64 here; diffusers uses float32)."""
    if schedule == "linear":  # Ho et al. 2020, section 4
        return torch.linspace(beta_start, beta_end, T)
    if schedule == "scaled_linear":  # latent / Stable Diffusion
        return torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T) ** 2
    if schedule == "squaredcos_cap_v2":  # Nichol & Dhariwal 2021, eq. 17, s = 0.008, capped at 0.999
        f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])
    raise ValueError(schedule)


def timesteps(spacing, T, n):
    """DDIMScheduler.set_timesteps with steps_offset = 0, literally (NumPy rounds half to even)."""
    if spacing == "leading":
        ts = (np.arange(0, n) * (T // n)).round()[::-1]
    elif spacing == "linspace":
        ts = np.linspace(0, T - 1, n).round()[::-1]
    else:
        ts = np.round(np.arange(T, 0, -T / n)) - 1
    return [int(v) for v in ts[:n]]  # arange may give n + 1 values; the first n are the right ones


def embedding(t, dim):
    """DDPM's get_timestep_embedding = diffusers' with flip_sin_to_cos=False, downscale_freq_shift=1."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half) / (half - 1))
    args = torch.tensor(t, dtype=torch.float64)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def x0_and_eps(c, out, x, ab):
    """Predicted x0 (clamped if clip_sample) and the model's epsilon (not re-derived from the clamped x0)."""
    if c["prediction"] == "epsilon":
        x0, eps = (x - (1 - ab) ** 0.5 * out) / ab ** 0.5, out
    elif c["prediction"] == "sample":
        x0, eps = out, (x - ab ** 0.5 * out) / (1 - ab) ** 0.5
    else:  # v_prediction, Salimans & Ho 2022
        x0, eps = ab ** 0.5 * x - (1 - ab) ** 0.5 * out, ab ** 0.5 * out + (1 - ab) ** 0.5 * x
    if c["clip"]:
        CLIPPED[0] += int((x0.abs() > 1).sum())
        x0 = x0.clamp(-1, 1)
    return x0, eps


def ddpm_step(ac, out, t, prev_t, x, noise, c):
    """DDPMScheduler.step, variance_type='fixed_small'."""
    alpha_prod_t = ac[t]
    alpha_prod_t_prev = ac[prev_t] if prev_t >= 0 else 1.0
    beta_prod_t, beta_prod_t_prev = 1 - alpha_prod_t, 1 - alpha_prod_t_prev
    current_alpha_t = alpha_prod_t / alpha_prod_t_prev
    current_beta_t = 1 - current_alpha_t
    x0, _ = x0_and_eps(c, out, x, alpha_prod_t)
    x0_coeff = alpha_prod_t_prev ** 0.5 * current_beta_t / beta_prod_t
    xt_coeff = current_alpha_t ** 0.5 * beta_prod_t_prev / beta_prod_t
    prev = x0_coeff * x0 + xt_coeff * x
    if prev_t >= 0:  # diffusers: `if t > 0`; where the two differ the variance is 0 anyway
        variance = beta_prod_t_prev / beta_prod_t * current_beta_t
        prev = prev + variance ** 0.5 * next(noise)
    return prev


def ddim_step(ac, out, t, prev_t, x, noise, c):
    """DDIMScheduler.step, set_alpha_to_one=True, use_clipped_model_output as the case says."""
    alpha_prod_t = ac[t]
    alpha_prod_t_prev = ac[prev_t] if prev_t >= 0 else 1.0
    x0, eps = x0_and_eps(c, out, x, alpha_prod_t)
    if c["clip"] and c["use_clipped_model_output"]:  # epsilon that explains x_t with the clamped x0
        eps = (x - alpha_prod_t ** 0.5 * x0) / (1 - alpha_prod_t) ** 0.5
    variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
    std_dev_t = c["eta"] * variance ** 0.5
    prev = alpha_prod_t_prev ** 0.5 * x0 + (1 - alpha_prod_t_prev - std_dev_t ** 2) ** 0.5 * eps
    if std_dev_t > 0:
        prev = prev + std_dev_t * next(noise)
    return prev


def model(x, t, labels):
    """The toy model of diffusers' scheduler tests, x * t / (t + 1), plus 0.1 * (class + 1) if labelled."""
    shift = 0 if labels is None else 0.1 * (torch.tensor(labels, dtype=torch.float64) + 1).reshape(-1, 1, 1, 1)
    return x * t / (t + 1) + shift


def guided(x, t, c):
    """Classifier-free guidance (Ho & Salimans 2022) in one batched call on [uncond; cond]."""
    labels = LABELS if c["cond"] else None
    if c["guidance"] == 1:
        return model(x, t, labels)
    uncond, cond = model(torch.cat([x, x]), t, [NULL_CLASS] * x.shape[0] + labels).chunk(2)
    return uncond + c["guidance"] * (cond - uncond)


def run(c, ramp, gen):
    ac = torch.cumprod(1 - betas_for(c["schedule"], 1000), dim=0)  # alphas_cumprod
    ts = timesteps(c["spacing"], 1000, c["steps"])
    noisy = c["sampler"] == "ddpm" or c["eta"] > 0
    noises = [torch.randn(ramp.shape, generator=gen, dtype=torch.float32).double()
              for _ in range(len(ts) - 1)] if noisy else []
    step = ddpm_step if c["sampler"] == "ddpm" else ddim_step
    x, it = c["x_scale"] * ramp, iter(noises)
    for i, t in enumerate(ts):
        prev_t = ts[i + 1] if i + 1 < len(ts) else -1  # from the array, never t - T // n
        x = step(ac, guided(x, t, c), t, prev_t, x, it, c)
    return ts, noises, x


def case(name, sampler, **options):
    """One loop, from x_scale * ramp (a larger start makes clip_sample act without noise).

    use_clipped_model_output=True is the Java DdimSampler's default; diffusers' is False."""
    return dict(dict(name=name, sampler=sampler, prediction="epsilon", clip=False, eta=0.0, spacing="leading",
                     schedule="linear", guidance=1.0, cond=False, steps=10, x_scale=1.0,
                     use_clipped_model_output=True), **options)


V, S = "v_prediction", "sample"
CASES = [
    case("ddpm_eps", "ddpm"),
    case("ddpm_eps_clip", "ddpm", clip=True),
    case("ddpm_v_trailing", "ddpm", prediction=V, spacing="trailing"),
    case("ddpm_sample_cosine_clip", "ddpm", prediction=S, clip=True, schedule="squaredcos_cap_v2", spacing="trailing"),
    case("ddpm_eps_cfg3", "ddpm", guidance=3.0, cond=True),
    case("ddim_eta0_eps", "ddim"),
    case("ddim_eta0_v_x4", "ddim", prediction=V, x_scale=4.0),
    case("ddim_eta0_v_x4_clip", "ddim", prediction=V, clip=True, x_scale=4.0, use_clipped_model_output=False),
    case("ddim_eta1_eps", "ddim", eta=1.0),
    case("ddim_eta1_sample_clip_trailing", "ddim", prediction=S, eta=1.0, clip=True, spacing="trailing",
         use_clipped_model_output=False),
    case("ddim_eta0_v", "ddim", prediction=V),
    case("ddim_eta1_v_clip_linspace", "ddim", prediction=V, eta=1.0, clip=True, spacing="linspace",
         use_clipped_model_output=False),
    case("ddim_eta05_sample_scaled", "ddim", prediction=S, eta=0.5, schedule="scaled_linear", spacing="trailing"),
    case("ddim_eta0_trailing7", "ddim", spacing="trailing", steps=7),
    case("ddim_eta0_cond_cfg1", "ddim", guidance=1.0, cond=True),
    case("ddim_eta0_cond_cfg3", "ddim", guidance=3.0, cond=True),
    case("ddim_eta1_v_cfg3_trailing", "ddim", prediction=V, eta=1.0, guidance=3.0, cond=True, spacing="trailing"),
    # appended, so the noise drawn for the cases above stays the same; in each, deriving epsilon again
    # from the clamped x0 moves the final sample by 0.07 to 0.33 (the first two differ by 0.22)
    case("ddim_eta0_eps_cfg3_cosine_clip_derived", "ddim", clip=True, x_scale=4.0, guidance=3.0, cond=True,
         schedule="squaredcos_cap_v2"),
    case("ddim_eta0_eps_cfg3_cosine_clip_model_eps", "ddim", clip=True, x_scale=4.0, guidance=3.0, cond=True,
         schedule="squaredcos_cap_v2", use_clipped_model_output=False),
    case("ddim_eta0_v_x8_clip_derived", "ddim", prediction=V, clip=True, x_scale=8.0),
    case("ddim_eta1_eps_cfg3_clip_derived", "ddim", eta=1.0, clip=True, x_scale=4.0, guidance=3.0, cond=True),
]


def line(key, values):
    return " ".join([key] + [repr(float(v)) if isinstance(v, float) else str(v) for v in values])


def write(name, header, lines):  # one entry per line, "key value value ..."
    (OUT / name).write_text("\n".join([f"# {header}", "# generated by tools/golden_schedulers.py"] + lines) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [line("index", idx := [0, 1, 2, 10, 100, 250, 500, 750, 998, 999])]
    for key, schedule, start, end in [("linear", "linear", 1e-4, 0.02), ("scaled_linear", "scaled_linear", 1e-4, 0.02),
                                      ("scaled_linear_sd", "scaled_linear", 0.00085, 0.012),
                                      ("cosine", "squaredcos_cap_v2", 0, 0)]:
        b = betas_for(schedule, 1000, start, end)
        lines += [line(f"{key}.betas", b[idx].tolist()), line(f"{key}.alpha_bar", (1 - b).cumprod(0)[idx].tolist())]
    write("schedules.txt", "betas and alphaBar (T = 1000) at the given indices, float64", lines)

    sizes = [(1000, 50), (1000, 7), (10, 3), (1000, 1000), (1000, 48), (100, 47), (1000, 61)]
    write("spacing.txt", "timesteps, descending, for <spacing>.<T>.<n>",
          [line(f"{s}.{T}.{n}", timesteps(s, T, n)) for s in ["leading", "linspace", "trailing"] for T, n in sizes])

    t = [0, 1, 500, 999]
    write("embedding.txt", "sinusoidal timestep embedding, DDPM convention, (4, 16) row-major",
          [line("t", t), line("dim", [16]), line("values", embedding(t, 16).flatten().tolist())])

    ramp = (torch.arange(32) / 32 - 0.5).reshape(2, 1, 4, 4)  # diffusers' dummy_sample_deter
    gen = torch.Generator().manual_seed(0)
    lines = [line("shape", list(ramp.shape)), line("ramp", ramp.flatten().tolist()),
             line("null_class", [NULL_CLASS]), line("labels", LABELS), line("cases", [c["name"] for c in CASES])]
    for c in CASES:
        CLIPPED[0] = 0
        ts, noises, x = run(c, ramp, gen)
        n = c["name"]
        print(f"{n:32s} sum {x.sum().item():+.6f}" + (f"  clipped {CLIPPED[0]}" if c["clip"] else ""))
        noise = torch.cat([z.flatten() for z in noises]).tolist() if noises else []
        lines += [line(n + ".config", [f"{k}={v}" for k, v in c.items() if k != "name"]), line(n + ".timesteps", ts),
                  line(n + ".noise", noise), line(n + ".final", x.flatten().tolist()),
                  line(n + ".sum", [x.sum().item()]), line(n + ".mean", [x.mean().item()])]
    write("sampling.txt", "full sampling loops from the ramp sample with the toy model x * t / (t + 1)", lines)


if __name__ == "__main__":
    main()
