#!/usr/bin/python3
"""Golden tests against PyTorch for the layers, optimisers and U-Net of mini-diffusion.

Run once, from the repository root, with the system Python that has PyTorch 1.13 (CPU):

    /usr/bin/python3 tools/golden_layers.py

(``apt-get install python3-torch``; the pyenv ``python3`` on PATH has no torch.) It writes one
safetensors file per case to

    modules/nn/src/test/resources/golden/<case>.safetensors          (layers, optimisers)
    modules/diffusion/src/test/resources/golden/unet/<case>.safetensors  (the U-Net)

and those files are committed: the Java tests (``LayerGoldenTests``, ``OptimizerGoldenTests``,
``UNetGoldenTests``) read them and never need Python. The output is deterministic (fixed seeds, CPU
only), so re-running rewrites identical bytes.

Conventions of every file
-------------------------
* All tensors are F32, little-endian, row-major. Integer data (embedding ids, timesteps, labels) is
  stored as exact float values.
* Weights and inputs are drawn in float32 (so they are stored exactly), then every reference
  computation runs in **float64** and only the results are rounded to float32. The golden values
  therefore carry a single rounding, and a Java/PyTorch difference is the Java float32 error alone.
* Layer parameters are stored under their state-dict names (``weight``, ``bias``, ``query.weight``,
  ``down.0.res.0.conv1.weight``, ...); the metadata key ``params`` lists them, comma-separated, so
  the Java test can build the exact map for ``loadStateDict``.
* ``input`` is the layer input, ``output`` its output, ``grad_output`` a random upstream gradient,
  and ``grad.<name>`` the gradient of ``sum(output * grad_output)`` (that is, the result of
  ``output.backward(grad_output)``) with respect to the input (``grad.input``) or a parameter.
* Metadata (string -> string) records the configuration the Java side must construct.

The safetensors package is not available here, so the format is written by hand
(``write_safetensors``): an 8-byte little-endian u64 header length, a JSON header padded with spaces to
a multiple of 8 bytes, then the raw data; ``read_safetensors`` reads every file back as a check.
"""
import copy
import json
import math
import pathlib
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
NN_OUT = ROOT / "modules/nn/src/test/resources/golden"
UNET_OUT = ROOT / "modules/diffusion/src/test/resources/golden/unet"

# Everything is computed in float64; tensors are created in float32 first where noted.
torch.set_default_dtype(torch.float64)
torch.use_deterministic_algorithms(True)

WRITTEN = []  # (path, bytes), for the summary


# ---------------------------------------------------------------------------------------- file format

def write_safetensors(path, tensors, metadata):
    """Writes ``tensors`` (name -> tensor, in this order) as F32 plus string ``metadata``."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().to(torch.float32).numpy()).astype("<f4")
        data = a.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad the header to a multiple of 8 bytes, as the reference does
    path.parent.mkdir(parents=True, exist_ok=True)
    content = struct.pack("<Q", len(raw)) + raw + b"".join(blobs)
    path.write_bytes(content)
    WRITTEN.append((path, len(content)))
    # Read it back and compare, so a bug in this writer cannot silently produce wrong goldens.
    back, meta = read_safetensors(path)
    assert list(back) == list(tensors), path
    assert meta == header["__metadata__"], path
    for name, t in tensors.items():
        assert torch.equal(back[name], t.detach().to(torch.float32)), (path, name)


def read_safetensors(path):
    """Reads a file written by ``write_safetensors``: (name -> float32 tensor, metadata)."""
    content = path.read_bytes()
    (n,) = struct.unpack("<Q", content[:8])
    header = json.loads(content[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = content[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


# ---------------------------------------------------------------------------------------- helpers

def f32(t):
    """Rounds to float32 and back to float64: a value the Java side can hold exactly."""
    return t.detach().to(torch.float32).to(torch.float64)


def randn(*shape, scale=1.0, shift=0.0):
    """Float32 standard normal samples (times scale, plus shift), as exact float64 values."""
    return f32(torch.randn(*shape, dtype=torch.float32) * scale + shift)


def round_params_to_f32(module):
    """Rounds every parameter of a float64 module to float32 values, in place."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p))


def layer_case(name, module, x, meta):
    """Runs ``module`` forward on ``x``, back-propagates a stored random ``grad_output``, and writes
    parameters, input, output, grad_output and the gradients w.r.t. the input and every parameter."""
    x = x.clone().requires_grad_(True)
    out = module(x)
    grad_output = randn(*out.shape)
    module.zero_grad()
    out.backward(grad_output)
    tensors = {k: v for k, v in module.state_dict().items()}
    tensors["input"] = x
    tensors["output"] = out
    tensors["grad_output"] = grad_output
    tensors["grad.input"] = x.grad
    for k, p in module.named_parameters():
        tensors["grad." + k] = p.grad
    meta = dict(meta, case=name, params=",".join(module.state_dict().keys()))
    write_safetensors(NN_OUT / (name + ".safetensors"), tensors, meta)


# ---------------------------------------------------------------------------------------- Conv2d

def conv2d_cases():
    # (name, in, out, kernel, stride, padding, groups, input H, W); non-square inputs with odd sizes
    # catch swapped H/W and the floor in the output size.
    configs = [
        ("conv2d_k3_s1_p1_g1", 4, 6, 3, 1, 1, 1, 7, 6),
        ("conv2d_k3_s2_p0_g1", 4, 6, 3, 2, 0, 1, 7, 6),
        ("conv2d_k3_s2_p1_g2", 4, 6, 3, 2, 1, 2, 7, 6),
        ("conv2d_k3_s1_p1_g4", 4, 8, 3, 1, 1, 4, 5, 6),  # depthwise with 2 outputs per channel
        ("conv2d_k1_s1_p0_g1", 4, 6, 1, 1, 0, 1, 5, 4),  # the 1x1 skip conv of a residual block
        ("conv2d_k5_s2_p2_g2", 4, 4, 5, 2, 2, 2, 8, 9),
    ]
    for i, (name, cin, cout, k, s, p, g, h, w) in enumerate(configs):
        torch.manual_seed(100 + i)
        conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, groups=g, bias=True)  # PyTorch's default init
        round_params_to_f32(conv)
        x = randn(2, cin, h, w)
        layer_case(name, conv, x, {"layer": "Conv2d", "in_channels": cin, "out_channels": cout, "kernel": k,
                                   "stride": s, "padding": p, "groups": g})


# ---------------------------------------------------------------------------------------- norms

def affine(module, scale=0.5):
    """Non-trivial affine parameters: weight = 1 + N(0, scale^2), bias = N(0, scale^2)."""
    with torch.no_grad():
        module.weight.copy_(randn(*module.weight.shape, scale=scale, shift=1.0))
        if getattr(module, "bias", None) is not None:
            module.bias.copy_(randn(*module.bias.shape, scale=scale))


class RMSNorm(nn.Module):
    """Zhang and Sennrich 2019: x / sqrt(mean(x^2) + eps) * w over the last dim (not in torch 1.13)."""

    def __init__(self, features, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(features))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def norm_cases():
    # GroupNorm: inputs with a non-zero mean and per-channel offsets, so mean subtraction matters.
    for i, (name, groups, shape) in enumerate([("groupnorm_g2", 2, (2, 8, 5, 4)),
                                               ("groupnorm_g4", 4, (3, 8, 6)),      # rank 3: (N, C, L)
                                               ("groupnorm_g8", 8, (2, 8, 3, 3))]):  # one channel per group
        torch.manual_seed(200 + i)
        gn = nn.GroupNorm(groups, shape[1], eps=1e-5)
        affine(gn)
        offsets = randn(1, shape[1], *([1] * (len(shape) - 2)), scale=2.0)
        x = randn(*shape, scale=1.5, shift=0.7) + offsets
        layer_case(name, gn, x, {"layer": "GroupNorm", "groups": groups, "channels": shape[1], "eps": "1e-5"})

    torch.manual_seed(210)
    ln = nn.LayerNorm(12, eps=1e-5)
    affine(ln)
    layer_case("layernorm", ln, randn(2, 5, 12, scale=1.5, shift=0.7), {"layer": "LayerNorm", "features": 12,
                                                                       "eps": "1e-5"})

    torch.manual_seed(220)
    rms = RMSNorm(12, eps=1e-6)
    affine(rms)
    layer_case("rmsnorm", rms, randn(2, 5, 12, scale=1.5, shift=0.7), {"layer": "RMSNorm", "features": 12,
                                                                      "eps": "1e-6"})

    # the widths of the fused kernels' real work: a transformer's 64 features, a width that is no
    # multiple of a vector (37), and a U-Net GroupNorm(32) over 64 channels
    torch.manual_seed(230)
    ln = nn.LayerNorm(64, eps=1e-5)
    affine(ln)
    layer_case("layernorm_d64", ln, randn(4, 9, 64, scale=1.5, shift=0.7), {"layer": "LayerNorm", "features": 64,
                                                                           "eps": "1e-5"})

    torch.manual_seed(240)
    rms = RMSNorm(37, eps=1e-6)
    affine(rms)
    layer_case("rmsnorm_d37", rms, randn(3, 7, 37, scale=1.5, shift=0.7), {"layer": "RMSNorm", "features": 37,
                                                                          "eps": "1e-6"})

    torch.manual_seed(250)
    gn = nn.GroupNorm(32, 64, eps=1e-5)
    affine(gn)
    x = randn(2, 64, 5, 5, scale=1.5, shift=0.7) + randn(1, 64, 1, 1, scale=2.0)
    layer_case("groupnorm_g32", gn, x, {"layer": "GroupNorm", "groups": 32, "channels": 64, "eps": "1e-5"})


# ---------------------------------------------------------------------------------------- Linear, Embedding

def linear_embedding_cases():
    torch.manual_seed(300)
    lin = nn.Linear(12, 7, bias=True)
    round_params_to_f32(lin)
    layer_case("linear", lin, randn(2, 5, 12), {"layer": "Linear", "in": 12, "out": 7, "bias": "true"})

    torch.manual_seed(301)
    lin = nn.Linear(12, 7, bias=False)
    round_params_to_f32(lin)
    layer_case("linear_nobias", lin, randn(3, 12), {"layer": "Linear", "in": 12, "out": 7, "bias": "false"})

    torch.manual_seed(310)
    emb = nn.Embedding(10, 6)  # N(0, 1) init
    round_params_to_f32(emb)
    ids = torch.tensor([[1, 3, 3, 9], [0, 1, 7, 3]])  # repeated ids: their gradients must accumulate
    out = emb(ids)
    grad_output = randn(*out.shape)
    out.backward(grad_output)
    write_safetensors(NN_OUT / "embedding.safetensors",
                      {"weight": emb.weight, "input": ids.to(torch.float64), "output": out,
                       "grad_output": grad_output, "grad.weight": emb.weight.grad},
                      {"layer": "Embedding", "case": "embedding", "count": 10, "dim": 6, "params": "weight"})


# ---------------------------------------------------------------------------------------- attention

class MultiHeadAttention(nn.Module):
    """Our MultiHeadAttention, op for op: separate query/key/value/out Linear layers with bias, the
    model dim split into heads, softmax(Q K^T / sqrt(head_dim)) V per head, heads merged, out."""

    def __init__(self, dim, heads):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):  # (B, L, D)
        b, n, d = x.shape
        hd = d // self.heads

        def split(t):  # (B, L, D) -> (B, H, L, hd)
            return t.reshape(b, n, self.heads, hd).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)  # over the keys
        return self.out((weights @ v).permute(0, 2, 1, 3).reshape(b, n, d))


def check_against_torch_mha(ours, x):
    """Proves that our definition is the standard one: nn.MultiheadAttention with the same weights
    (in_proj = [Wq; Wk; Wv]) gives the same output and the same input gradient."""
    mha = nn.MultiheadAttention(ours.dim, ours.heads, bias=True, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
        mha.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        mha.out_proj.weight.copy_(ours.out.weight)
        mha.out_proj.bias.copy_(ours.out.bias)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    y1 = ours(x1)
    y2, _ = mha(x2, x2, x2, need_weights=False)
    g = torch.randn(y1.shape, generator=torch.Generator().manual_seed(1))
    y1.backward(g)
    y2.backward(g)
    assert torch.allclose(y1, y2, rtol=1e-12, atol=1e-12), (y1 - y2).abs().max()
    assert torch.allclose(x1.grad, x2.grad, rtol=1e-12, atol=1e-12), (x1.grad - x2.grad).abs().max()
    # And the functional form, the same computation without the module wrapper.
    y3, _ = F.multi_head_attention_forward(
        x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), ours.dim, ours.heads,
        mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        mha.out_proj.weight, mha.out_proj.bias, training=False, need_weights=False)
    assert torch.allclose(y1, y3.transpose(0, 1), rtol=1e-12, atol=1e-12)


def attention_cases():
    for i, (name, dim, heads, length) in enumerate([("attention_d12_h3", 12, 3, 5),
                                                      ("attention_d8_h1", 8, 1, 9),
                                                      ("attention_d16_h4", 16, 4, 16)]):
        torch.manual_seed(400 + i)
        attn = MultiHeadAttention(dim, heads)
        round_params_to_f32(attn)
        x = randn(2, length, dim)
        check_against_torch_mha(attn, x)
        layer_case(name, attn, x, {"layer": "MultiHeadAttention", "dim": dim, "heads": heads})


# ---------------------------------------------------------------------------------------- optimisers

def optimizer_cases():
    """Two consecutive steps of torch.optim on one (3, 4) parameter, with stored gradients."""
    configs = [
        # name, optimiser, kwargs. Adam here has no weight decay: torch's Adam(weight_decay=...) is
        # coupled L2, which our Adam does not offer (our weight decay is always AdamW's decoupled one).
        ("adam", torch.optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
        ("adamw", torch.optim.AdamW, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
        # At lr 1e-3 and decay 0.01 the decay moves a weight by 1e-5 of itself, below any float32 test
        # tolerance; this case makes the decoupled decay (1% per step) visible.
        ("adamw_large", torch.optim.AdamW, dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
        ("sgd_momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    ]
    for i, (name, cls, kw) in enumerate(configs):
        torch.manual_seed(500 + i)
        p0 = randn(3, 4)
        g1, g2 = randn(3, 4), randn(3, 4, scale=0.5, shift=0.2)
        p = nn.Parameter(p0.clone())
        opt = cls([p], **kw)
        tensors = {"param": p0, "grad.step1": g1, "grad.step2": g2}
        for step, g in (("step1", g1), ("step2", g2)):
            p.grad = g.clone()
            opt.step()
            tensors["param." + step] = p.detach().clone()
        meta = {"case": name, "optimizer": cls.__name__, "lr": repr(kw["lr"])}
        if "betas" in kw:
            meta.update(beta1=repr(kw["betas"][0]), beta2=repr(kw["betas"][1]), eps=repr(kw["eps"]),
                        weight_decay=repr(kw["weight_decay"]))
        else:
            meta.update(momentum=repr(kw["momentum"]))
        write_safetensors(NN_OUT / ("optim_" + name + ".safetensors"), tensors, meta)

    # clip_grad_norm_ over two parameters; the norm is global. With max_norm 1 the gradients are
    # scaled by 1 / (norm + 1e-6); with max_norm 100 they are left alone. Then one SGD step with lr 1
    # (our clipping takes effect in the next step()).
    for i, (name, max_norm) in enumerate([("clip", 1.0), ("clip_noop", 100.0)]):
        torch.manual_seed(520 + i)
        a, b = nn.Parameter(randn(3, 4)), nn.Parameter(randn(5))
        a0, b0 = a.detach().clone(), b.detach().clone()
        ga, gb = randn(3, 4), randn(5)
        a.grad, b.grad = ga.clone(), gb.clone()
        norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm)
        opt = torch.optim.SGD([a, b], lr=1.0)
        opt.step()
        write_safetensors(NN_OUT / ("optim_" + name + ".safetensors"),
                          {"a": a0, "b": b0, "grad.a": ga, "grad.b": gb, "total_norm": norm.reshape(1),
                           "clipped.a": a.grad, "clipped.b": b.grad, "a.step1": a.detach(), "b.step1": b.detach()},
                          {"case": name, "max_norm": repr(max_norm), "lr": "1.0"})


# ---------------------------------------------------------------------------------------- U-Net mirror

def timestep_embedding(t, dim):
    """org.minidiffusion.diffusion.TimestepEmbedding.sinusoidal: DDPM's embedding, sines then
    cosines, omega_i = 10000^(-i / (h - 1)); float64 like the Java code."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / (half - 1))
    args = t.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """unet/ResBlock.java: h = conv1(silu(norm1(x))) + time_proj(silu(temb));
    out = skip(x) + conv2(dropout(silu(norm2(h))))."""

    def __init__(self, cin, cout, tdim, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.time_proj = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)  # zero-initialised in Java; random here on purpose
        self.skip = None if cin == cout else nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (x if self.skip is None else self.skip(x)) + h


class AttentionBlock(nn.Module):
    """unet/AttentionBlock.java: x + attention(norm(x) as (B, HW, C) tokens)."""

    def __init__(self, ch, heads, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch, eps=1e-5)
        self.attention = MultiHeadAttention(ch, heads)

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        return x + self.attention(tokens).transpose(1, 2).reshape(b, c, h, w)


class Level(nn.Module):
    """UNet.Level: res blocks, each optionally followed by attention, then an optional resampler."""

    def __init__(self):
        super().__init__()
        self.res = nn.ModuleList()
        self.attn = nn.ModuleList()
        self.resample = None


class UNet(nn.Module):
    """unet/UNet.java, module for module, with the same parameter names."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        base, tdim, groups = c["base_channels"], 4 * c["base_channels"], c["groups"]
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        self.time_linear1 = nn.Linear(base, tdim)
        self.time_linear2 = nn.Linear(tdim, tdim)
        self.class_embed = nn.Embedding(c["num_classes"] + 1, tdim) if c["num_classes"] > 0 else None
        self.conv_in = nn.Conv2d(c["in_channels"], base, 3, 1, 1)
        skips, ch, res = [base], base, c["image_size"]
        mults = c["channel_mults"]
        for i, m in enumerate(mults):
            level, out = Level(), base * m
            for _ in range(c["blocks_per_level"]):
                level.res.append(ResBlock(ch, out, tdim, groups, c["dropout"]))
                ch = out
                if res in c["attention_resolutions"]:
                    level.attn.append(AttentionBlock(ch, c["heads"], groups))
                skips.append(ch)
            if i < len(mults) - 1:
                level.resample = nn.Conv2d(ch, ch, 3, 2, 1)  # stride-2 conv halves H and W
                skips.append(ch)
                res //= 2
            self.down.append(level)
        self.mid_res1 = ResBlock(ch, ch, tdim, groups, c["dropout"])
        self.mid_attn = AttentionBlock(ch, c["heads"], groups)
        self.mid_res2 = ResBlock(ch, ch, tdim, groups, c["dropout"])
        for i in reversed(range(len(mults))):
            level, out = Level(), base * mults[i]
            for _ in range(c["blocks_per_level"] + 1):
                level.res.append(ResBlock(ch + skips.pop(), out, tdim, groups, c["dropout"]))
                ch = out
                if res in c["attention_resolutions"]:
                    level.attn.append(AttentionBlock(ch, c["heads"], groups))
            if i > 0:
                level.resample = nn.Conv2d(ch, ch, 3, 1, 1)  # after 2x nearest upsampling
                res *= 2
            self.up.append(level)
        assert not skips
        self.norm_out = nn.GroupNorm(groups, ch, eps=1e-5)
        self.conv_out = nn.Conv2d(ch, c["out_channels"], 3, 1, 1)  # zero-initialised in Java; random here

    def forward(self, x, t, labels):
        emb = timestep_embedding(t, self.c["base_channels"]).to(self.time_linear1.weight.dtype)
        temb = self.time_linear2(F.silu(self.time_linear1(emb)))
        if self.class_embed is not None:
            temb = temb + self.class_embed(labels)
        h = self.conv_in(x)
        skips = [h]
        for level in self.down:
            for j, block in enumerate(level.res):
                h = block(h, temb)
                if len(level.attn):
                    h = level.attn[j](h)
                skips.append(h)
            if level.resample is not None:
                h = level.resample(h)
                skips.append(h)
        h = self.mid_res2(self.mid_attn(self.mid_res1(h, temb)), temb)
        for level in self.up:
            for j, block in enumerate(level.res):
                h = block(torch.cat([h, skips.pop()], dim=1), temb)  # skip connection along channels
                if len(level.attn):
                    h = level.attn[j](h)
            if level.resample is not None:
                h = level.resample(F.interpolate(h, scale_factor=2, mode="nearest"))
        assert not skips
        return self.conv_out(F.silu(self.norm_out(h)))


def unet_case():
    config = dict(image_size=8, in_channels=3, out_channels=3, base_channels=8, channel_mults=[1, 2],
                  blocks_per_level=1, attention_resolutions=[4], groups=4, heads=2, num_classes=3, dropout=0.0)
    torch.manual_seed(600)
    net = UNet(config)
    # Non-zero weights everywhere: convs and linears keep PyTorch's default init (so conv2 and conv_out
    # are random, not zero as in Java, otherwise whole branches would be untested); every GroupNorm gets
    # non-trivial affine parameters; the embedding is N(0, 1).
    for m in net.modules():
        if isinstance(m, nn.GroupNorm):
            affine(m, scale=0.2)
    round_params_to_f32(net)

    x = randn(2, 3, 8, 8)
    t = torch.tensor([3, 871])
    labels = torch.tensor([1, 3])  # 3 = num_classes: the null class of classifier-free guidance
    x.requires_grad_(True)
    out = net(x, t, labels)
    g = randn(*out.shape)
    net.zero_grad()
    (out * g).sum().backward()  # the same as out.backward(g)

    tensors = dict(net.state_dict())
    tensors.update({"x": x, "t": t.to(torch.float64), "labels": labels.to(torch.float64), "output": out,
                    "grad_output": g, "grad.x": x.grad})
    for k, p in net.named_parameters():
        tensors["grad." + k] = p.grad
        assert p.grad is not None and p.grad.abs().max() > 0, k  # every parameter takes part
    # Metadata in the format of UNetConfig.toMetadata(), so Java can use UNetConfig.fromMetadata.
    meta = {k: (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in config.items()}
    meta.update(case="unet_small", params=",".join(net.state_dict().keys()))
    write_safetensors(UNET_OUT / "unet_small.safetensors", tensors, meta)
    print(f"unet_small: {sum(p.numel() for p in net.parameters())} parameters, "
          f"output std {out.std().item():.3f}")
    float32_noise(net, tensors, t, labels)


def float32_noise(net, golden, t, labels):
    """Diagnostic only (writes nothing): how far PyTorch's own float32 run of the same network is
    from the float64 golden values, under the Java test kit's rule |x-y| <= max(R |x+y|, A) with
    R = 1e-4, A = 1e-5 (Tolerance.DEFAULT), and with A scaled per tensor by max(1, max|golden|) as
    UNetGoldenTests does. It shows what any correct float32 implementation can be expected to reach."""
    net32 = copy.deepcopy(net).float()
    x = golden["x"].detach().float().requires_grad_(True)
    out = net32(x, t, labels)
    out.backward(golden["grad_output"].float())
    got = {"output": out, "grad.x": x.grad}
    got.update({"grad." + k: p.grad for k, p in net32.named_parameters()})
    worst = {"plain": (0.0, ""), "scaled": (0.0, "")}
    for k, v in got.items():
        e, a = golden[k].detach().float().double(), v.detach().double()  # the stored float32 golden
        for kind, floor in (("plain", 1e-5), ("scaled", 1e-5 * max(1.0, e.abs().max().item()))):
            ratio = ((e - a).abs() / torch.clamp(1e-4 * (e + a).abs(), min=floor)).max().item()
            worst[kind] = max(worst[kind], (ratio, k))
    print("unet_small: PyTorch float32 vs the float64 golden: worst %.3f x DEFAULT (%s), %.3f x DEFAULT with A "
          "scaled per tensor (%s)" % (*worst["plain"], *worst["scaled"]))


# ---------------------------------------------------------------------------------------- main

def main():
    conv2d_cases()
    norm_cases()
    linear_embedding_cases()
    attention_cases()
    optimizer_cases()
    unet_case()
    total = 0
    for path, size in WRITTEN:
        total += size
        print(f"{size:8d}  {path.relative_to(ROOT)}")
    print(f"{total:8d}  total, {len(WRITTEN)} files")


if __name__ == "__main__":
    main()
