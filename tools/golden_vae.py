#!/usr/bin/python3
"""Golden tests against PyTorch for the KL autoencoder of mini-diffusion (modules/vae).

Run from the repository root with the system Python that has PyTorch (CPU):

    /usr/bin/python3 tools/golden_vae.py

It writes, per case, to modules/vae/src/test/resources/golden/:

    <case>.safetensors   weights under diffusers' AutoencoderKL state-dict names, inputs, outputs, gradients
    <case>.config.json   the architecture as diffusers' config.json for AutoencoderKL

and those files are committed; ``AutoencoderKLGoldenTests`` reads them without Python. The output
is deterministic (fixed seeds, CPU only), so re-running rewrites identical bytes, except for gradients
that are zero in exact arithmetic (the attention's ``to_k.bias``), whose rounding noise (1e-16) differs
between PyTorch builds.

The model below is written from the latent-diffusion paper (Rombach et al. 2022, section 3 and
appendix G) and the public diffusers sources (``autoencoder_kl.py``, ``vae.py``, ``resnet.py``,
``attention_processor.py``, ``unet_2d_blocks.py``); diffusers is not imported. Its attribute names are
diffusers', so ``state_dict()`` has diffusers' keys (``encoder.down_blocks.0.resnets.0.norm1.weight``,
``decoder.mid_block.attentions.0.to_out.0.weight``, ``quant_conv.bias``, ...).

File conventions are those of ``tools/golden_layers.py`` (whose writer and helpers are imported):
weights, inputs and the noise are float32 draws, every computation runs in float64, only the results
are rounded to float32. Tensors of a case:

* the parameters, by state-dict name (metadata ``params`` lists them);
* ``x`` the images, ``eps`` the fixed standard normal noise of the reparameterisation;
* ``mean``, ``logvar`` (clamped), ``z = mean + exp(logvar / 2) * eps``,
  ``z_scaled = (z - shift_factor) * scaling_factor``, ``decoded = decode(z)``,
  ``reconstruction = decode(mean)`` (diffusers' ``forward`` with ``sample_posterior=False``),
  ``kl`` per sample;
* ``grad_output`` (for ``decoded``) and ``grad_kl`` (for ``kl``), random, and ``grad.<name>``: the
  gradients of the scalar ``loss = sum(decoded * grad_output) + sum(kl * grad_kl)`` with respect to
  ``x`` (``grad.x``) and every parameter; ``loss`` itself, of shape (1).

The training-loss case ``vae_loss`` (``VaeObjectiveGoldenTests``) instead stores greyscale images
``x`` in [-1, 1], the noise ``eps``, ``beta`` (shape (1)), the objective's terms
``reconstruction = mean((decode(z) - x)^2)``, ``kl`` (the batch mean of the per-image KL) and
``loss = reconstruction + beta * kl / P`` with ``P = C*H*W`` (the negative ELBO of Kingma and Welling
2014, eq. 10, with a Gaussian decoder), and ``grad.<name>``, the gradients of ``loss``.
"""
import copy
import json
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from golden_layers import (ROOT, WRITTEN, affine, f32, randn, round_params_to_f32,  # noqa: E402
                           write_safetensors)

OUT = ROOT / "modules/vae/src/test/resources/golden"
EPS = 1e-6  # every GroupNorm of diffusers' autoencoder


# ---------------------------------------------------------------------------------------- model

class ResnetBlock2D(nn.Module):
    """x + conv2(silu(norm2(conv1(silu(norm1(x)))))), the skip through a 1x1 conv when channels change."""

    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Attention(nn.Module):
    """One head of size C over the H*W positions, group norm first, residual added."""

    def __init__(self, c, groups):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, c, eps=EPS)
        self.to_q = nn.Linear(c, c)
        self.to_k = nn.Linear(c, c)
        self.to_v = nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c), nn.Dropout(0.0)])

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.group_norm(x).view(b, c, h * w).transpose(1, 2)           # (B, HW, C)
        q, k, v = self.to_q(t), self.to_k(t), self.to_v(t)
        a = torch.softmax(q @ k.transpose(1, 2) / c ** 0.5, dim=-1)        # (B, HW, HW)
        o = self.to_out[1](self.to_out[0](a @ v))
        return x + o.transpose(1, 2).reshape(b, c, h, w)


class MidBlock(nn.Module):
    def __init__(self, c, groups, attention):
        super().__init__()
        self.attentions = nn.ModuleList([Attention(c, groups)]) if attention else None
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, groups), ResnetBlock2D(c, c, groups)])

    def forward(self, x):
        h = self.resnets[0](x)
        if self.attentions is not None:
            h = self.attentions[0](h)
        return self.resnets[1](h)


class Downsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0))  # right and bottom only


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    """DownEncoderBlock2D (sampler = Downsample2D) or UpDecoderBlock2D (sampler = Upsample2D)."""

    def __init__(self, cin, cout, layers, groups, sampler, attr):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, groups) for i in range(layers)])
        self.attr = attr
        setattr(self, attr, nn.ModuleList([sampler(cout)]) if sampler else None)

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        s = getattr(self, self.attr)
        return s[0](x) if s is not None else x


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = cfg["block_out_channels"], cfg["norm_num_groups"], len(cfg["block_out_channels"])
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([
            Level(ch[max(i - 1, 0)], ch[i], cfg["layers_per_block"], g, Downsample2D if i < n - 1 else None,
                  "downsamplers") for i in range(n)])
        self.mid_block = MidBlock(ch[-1], g, cfg["mid_block_add_attention"])
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg["latent_channels"], 3, padding=1)  # double_z

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        h = self.mid_block(h)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = cfg["block_out_channels"], cfg["norm_num_groups"], len(cfg["block_out_channels"])
        rev = list(reversed(ch))
        self.conv_in = nn.Conv2d(cfg["latent_channels"], ch[-1], 3, padding=1)
        self.mid_block = MidBlock(ch[-1], g, cfg["mid_block_add_attention"])
        self.up_blocks = nn.ModuleList([
            Level(rev[max(i - 1, 0)], rev[i], cfg["layers_per_block"] + 1, g, Upsample2D if i < n - 1 else None,
                  "upsamplers") for i in range(n)])
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=EPS)
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)

    def forward(self, z):
        h = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            h = b(h)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        lat = cfg["latent_channels"]
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = nn.Conv2d(2 * lat, 2 * lat, 1) if cfg["use_quant_conv"] else None
        self.post_quant_conv = nn.Conv2d(lat, lat, 1) if cfg["use_post_quant_conv"] else None

    def encode(self, x):
        """Returns (mean, clamped logvar): the channel halves of the moments (DiagonalGaussianDistribution)."""
        m = self.encoder(x)
        if self.quant_conv is not None:
            m = self.quant_conv(m)
        mean, logvar = torch.chunk(m, 2, dim=1)
        return mean, torch.clamp(logvar, -30.0, 20.0)

    def decode(self, z):
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        return self.decoder(z)


def kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample (Kingma and Welling 2014, appendix B)."""
    return 0.5 * torch.sum(mean ** 2 + torch.exp(logvar) - 1.0 - logvar, dim=[1, 2, 3])


# ---------------------------------------------------------------------------------------- cases

def run(vae, cfg, x, eps, g, gk):
    mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar) * eps  # reparameterisation (Kingma and Welling 2014, eq. 10)
    decoded = vae.decode(z)
    k = kl(mean, logvar)
    loss = (decoded * g).sum() + (k * gk).sum()
    return dict(mean=mean, logvar=logvar, z=z, z_scaled=(z - cfg["shift_factor"]) * cfg["scaling_factor"],
                decoded=decoded, reconstruction=vae.decode(mean), kl=k, loss=loss)


def case(name, cfg, batch, size, seed, logvar_bias=None):
    torch.manual_seed(seed)
    vae = AutoencoderKL(cfg)
    for m in vae.modules():
        if isinstance(m, nn.GroupNorm):
            affine(m, scale=0.2)
    if logvar_bias is not None:  # push part of one log-variance channel past -30, so the clamp acts
        with torch.no_grad():
            vae.quant_conv.bias[cfg["latent_channels"]] += logvar_bias
    round_params_to_f32(vae)
    lat, f = cfg["latent_channels"], 2 ** (len(cfg["block_out_channels"]) - 1)
    x = randn(batch, cfg["in_channels"], size, size).requires_grad_(True)
    eps = randn(batch, lat, size // f, size // f)
    g = randn(batch, cfg["out_channels"], size, size)
    gk = randn(batch, scale=0.1)
    out = run(vae, cfg, x, eps, g, gk)
    vae.zero_grad()
    out["loss"].backward()

    raw_logvar = torch.chunk(vae.quant_conv(vae.encoder(x)) if vae.quant_conv is not None else vae.encoder(x),
                             2, dim=1)[1]
    clamped = int(((raw_logvar < -30) | (raw_logvar > 20)).sum())
    tensors = dict(vae.state_dict())
    tensors.update(x=x, eps=eps, grad_output=g, grad_kl=gk)
    tensors.update({k: v for k, v in out.items()})
    tensors["loss"] = out["loss"].reshape(1)  # the writer stores rank-1 tensors at least
    tensors["grad.x"] = x.grad
    for k, p in vae.named_parameters():
        assert p.grad is not None and p.grad.abs().max() > 0, k  # every parameter takes part
        tensors["grad." + k] = p.grad
    meta = dict(case=name, params=",".join(vae.state_dict().keys()), clamped_logvar=clamped)
    write_safetensors(OUT / (name + ".safetensors"), tensors, meta)
    config = dict(_class_name="AutoencoderKL", **cfg)
    (OUT / (name + ".config.json")).write_text(json.dumps(config, indent=2) + "\n")
    print(f"{name}: {sum(p.numel() for p in vae.parameters())} parameters, {len(vae.state_dict())} tensors, "
          f"{clamped} clamped log-variances, kl {[round(v, 3) for v in out['kl'].tolist()]}, "
          f"decoded std {out['decoded'].std().item():.3f}")
    float32_noise(vae, cfg, tensors)


def float32_noise(vae, cfg, golden):
    """Diagnostic only (writes nothing): how far PyTorch's own float32 run is from the float64 golden
    values under Tolerance.DEFAULT (|x-y| <= max(1e-4 |x+y|, 1e-5)), and with A scaled per tensor by
    max(1, max|golden|) as AutoencoderKLGoldenTests does: what any correct float32 implementation can reach."""
    v32 = copy.deepcopy(vae).float()
    x = golden["x"].detach().float().requires_grad_(True)
    f = lambda k: golden[k].detach().float()  # noqa: E731
    cfg32 = dict(cfg)
    out = run(v32, cfg32, x, f("eps"), f("grad_output"), f("grad_kl"))
    out["loss"].backward()
    got = {k: v for k, v in out.items()}
    got["grad.x"] = x.grad
    got.update({"grad." + k: p.grad for k, p in v32.named_parameters()})
    worst = {"plain": (0.0, ""), "scaled": (0.0, "")}
    for k, v in got.items():
        e, a = golden[k].detach().float().double().reshape(v.shape), v.detach().double()
        for kind, floor in (("plain", 1e-5), ("scaled", 1e-5 * max(1.0, e.abs().max().item()))):
            ratio = ((e - a).abs() / torch.clamp(1e-4 * (e + a).abs(), min=floor)).max().item()
            worst[kind] = max(worst[kind], (ratio, k))
    print("  PyTorch float32 vs the float64 golden: worst %.3f x DEFAULT (%s), %.3f x DEFAULT with A scaled "
          "per tensor (%s)" % (*worst["plain"], *worst["scaled"]))


def loss_case(name, cfg, batch, size, seed, beta):
    """The training objective of VaeObjective.java: reconstruction MSE + beta * KL / P, and its gradients."""
    torch.manual_seed(seed)
    vae = AutoencoderKL(cfg)
    for m in vae.modules():
        if isinstance(m, nn.GroupNorm):
            affine(m, scale=0.2)
    round_params_to_f32(vae)
    lat, f = cfg["latent_channels"], 2 ** (len(cfg["block_out_channels"]) - 1)
    x = f32(torch.rand(batch, cfg["in_channels"], size, size, dtype=torch.float32) * 2 - 1)
    eps = randn(batch, lat, size // f, size // f)
    mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar) * eps          # reparameterisation (Kingma and Welling 2014, eq. 10)
    decoded = vae.decode(z)
    reconstruction = torch.mean((decoded - x) ** 2)
    k = torch.mean(kl(mean, logvar))
    pixels = cfg["in_channels"] * size * size
    loss = reconstruction + beta * k / pixels
    vae.zero_grad()
    loss.backward()
    tensors = dict(vae.state_dict())
    tensors.update(x=x, eps=eps, beta=torch.tensor([beta]), decoded=decoded,
                   reconstruction=reconstruction.reshape(1), kl=k.reshape(1), loss=loss.reshape(1))
    for n, p in vae.named_parameters():
        assert p.grad is not None and p.grad.abs().max() > 0, n
        tensors["grad." + n] = p.grad
    meta = dict(case=name, params=",".join(vae.state_dict().keys()))
    write_safetensors(OUT / (name + ".safetensors"), tensors, meta)
    (OUT / (name + ".config.json")).write_text(json.dumps(dict(_class_name="AutoencoderKL", **cfg), indent=2) + "\n")
    print(f"{name}: reconstruction {reconstruction.item():.5f}, kl {k.item():.4f}, beta * kl / P "
          f"{beta * k.item() / pixels:.5f}, loss {loss.item():.5f}")


def base_config(**changes):
    cfg = dict(in_channels=3, out_channels=3, down_block_types=None, up_block_types=None, block_out_channels=[8, 16],
               layers_per_block=1, act_fn="silu", latent_channels=4, norm_num_groups=4, sample_size=8,
               scaling_factor=0.5, shift_factor=0.25, use_quant_conv=True, use_post_quant_conv=True,
               mid_block_add_attention=True)
    cfg.update(changes)
    n = len(cfg["block_out_channels"])
    cfg["down_block_types"] = ["DownEncoderBlock2D"] * n
    cfg["up_block_types"] = ["UpDecoderBlock2D"] * n
    return cfg


def main():
    torch.set_default_dtype(torch.float64)
    # Two levels, one resnet per level, quant convs, the log-variance clamp acting on part of channel 0.
    case("vae_tiny", base_config(), batch=2, size=8, seed=1100, logvar_bias=-30.0)
    # SD3-like: three levels (8, 8, 16) with two resnets each (three in the decoder), no quant convs,
    # an odd latent channel count, scaling and shift factors as SD3's.
    case("vae_sd3_like", base_config(block_out_channels=[8, 8, 16], layers_per_block=2, latent_channels=3,
                                     sample_size=16, scaling_factor=1.5305, shift_factor=0.0609,
                                     use_quant_conv=False, use_post_quant_conv=False),
         batch=1, size=16, seed=1200)
    # The training objective on a greyscale autoencoder shaped like the Fashion-MNIST one (three levels,
    # latent 4 at a quarter of the side), small: a beta at which the KL term moves the gradients.
    loss_case("vae_loss", base_config(in_channels=1, out_channels=1, block_out_channels=[4, 8, 8], latent_channels=4,
                                      sample_size=16, scaling_factor=1.0, shift_factor=0.0),
              batch=2, size=16, seed=1300, beta=16.0)
    for path, size in WRITTEN:
        print(f"{size:8d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
