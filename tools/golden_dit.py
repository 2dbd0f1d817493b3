#!/usr/bin/python3
"""Golden tests against PyTorch for the diffusion transformers of mini-diffusion (modules/dit).

Run from the repository root with the system Python that has PyTorch (CPU):

    /usr/bin/python3 tools/golden_dit.py

It writes, per case, modules/dit/src/test/resources/golden/<case>.safetensors (and, for the SD3 model,
<case>.config.json, the architecture as diffusers' config.json for SD3Transformer2DModel). The files are
committed; ``DiTGoldenTests`` and ``SD3TransformerGoldenTests`` read them without Python. The output is
deterministic (fixed seeds, CPU only), so re-running rewrites identical bytes.

The models below are written from the papers and the public reference sources, not imported:

* DiT (Peebles and Xie 2023, section 3.2 and facebookresearch/DiT ``models.py``): the block with
  adaLN-Zero, the final layer, patchify and unpatchify, the sinusoidal timestep embedder.
* MMDiT (Esser et al. 2024, section 4 and figure 2; diffusers' ``transformer_sd3.py``, ``attention.py``
  ``JointTransformerBlock``, ``attention_processor.py`` ``JointAttnProcessor2_0``, ``embeddings.py``
  ``PatchEmbed`` and ``CombinedTimestepTextProjEmbeddings``, ``normalization.py`` ``AdaLayerNormZero`` and
  ``AdaLayerNormContinuous``). Attribute names are diffusers', so ``state_dict()`` has diffusers' keys.

File conventions are those of ``tools/golden_layers.py`` (whose writer and helpers are imported): weights
and inputs are float32 draws, every computation runs in float64, only results are rounded to float32.
Every modulation weight is random and NON-zero, so the tests exercise shift, scale and gate. Tensors of a case:

* the parameters by state-dict name (metadata ``params`` lists them);
* the inputs, the outputs, a random upstream gradient ``grad_<output>`` per output, and ``grad.<name>``:
  the gradients of ``loss = sum_o sum(o * grad_o)`` with respect to the inputs and every parameter.
"""
import json
import math
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from golden_layers import ROOT, WRITTEN, f32, randn, round_params_to_f32, write_safetensors  # noqa: E402

OUT = ROOT / "modules/dit/src/test/resources/golden"
EPS = 1e-6  # every LayerNorm and RMSNorm of DiT and SD3


# ---------------------------------------------------------------------------------------- shared pieces

def layer_norm(x):
    """LayerNorm over the last dim without affine parameters (elementwise_affine=False), eps 1e-6."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS)


def modulate(x, shift, scale):
    """adaLN (Peebles and Xie 2023, section 3.2): x * (1 + scale) + shift, per sample, over every token."""
    return x * (1 + scale[:, None, :]) + shift[:, None, :]


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def sdpa(q, k, v):
    """softmax(Q K^T / sqrt(d)) V over (B, H, L, d) (Vaswani et al. 2017, eq. 1)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v


def timestep_sinusoid(t, dim=256, max_period=10000.0):
    """[cos(t w_i), sin(t w_i)] with w_i = max_period^(-i / half): DiT's timestep_embedding, diffusers'
    Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    args = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sincos_1d(dim, pos):
    """[sin(p w_i), cos(p w_i)] with w_i = 10000^(-i / (dim/2)) (MAE's get_1d_sincos_pos_embed_from_grid)."""
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0))
    out = pos.reshape(-1)[:, None] * omega[None, :]
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1)


def sincos_2d(dim, grid, base_size):
    """(grid*grid, dim): token (i, j) (row i, column j) gets [sincos_1d(dim/2, col), sincos_1d(dim/2, row)],
    with coordinates arange(grid) * base_size / grid, as diffusers' get_2d_sincos_pos_embed."""
    coords = torch.arange(grid, dtype=torch.float64) / (grid / base_size)
    rows = coords[:, None].expand(grid, grid)
    cols = coords[None, :].expand(grid, grid)
    return torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)


def unpatchify(x, h, w, p, c):
    """(B, h*w, p*p*c) -> (B, c, h*p, w*p), each token's features ordered (p, q, c)."""
    b = x.shape[0]
    x = x.reshape(b, h, w, p, p, c)
    x = torch.einsum("nhwpqc->nchpwq", x)
    return x.reshape(b, c, h * p, w * p)


class Silu(nn.Module):
    def forward(self, x):
        return F.silu(x)


# ---------------------------------------------------------------------------------------- DiT

class DiTAttention(nn.Module):
    """timm's Attention as DiT uses it: one qkv Linear(D, 3D), heads, proj."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = sdpa(qkv[0], qkv[1], qkv[2])
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(gelu_tanh(self.fc1(x)))


class DiTBlock(nn.Module):
    """x + gate_msa * attn(modulate(norm1(x))), then x + gate_mlp * mlp(modulate(norm2(x)))."""

    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.attn = DiTAttention(dim, heads)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.adaLN_modulation = nn.Sequential(Silu(), nn.Linear(dim, 6 * dim))

    def forward(self, x, c):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa[:, None, :] * self.attn(modulate(layer_norm(x), shift_msa, scale_msa))
        return x + gate_mlp[:, None, :] * self.mlp(modulate(layer_norm(x), shift_mlp, scale_mlp))


class FinalLayer(nn.Module):
    def __init__(self, dim, patch, out_channels):
        super().__init__()
        self.linear = nn.Linear(dim, patch * patch * out_channels)
        self.adaLN_modulation = nn.Sequential(Silu(), nn.Linear(dim, 2 * dim))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(layer_norm(x), shift, scale))


class PatchProj(nn.Module):
    def __init__(self, cin, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, patch, stride=patch)

    def forward(self, x):  # (B, C, H, W) -> (B, h*w, D)
        return self.proj(x).flatten(2).transpose(1, 2)


class TimestepEmbedder(nn.Module):
    def __init__(self, dim, freq=256):
        super().__init__()
        self.freq = freq
        self.mlp = nn.Sequential(nn.Linear(freq, dim), Silu(), nn.Linear(dim, dim))

    def forward(self, t):
        return self.mlp(timestep_sinusoid(t, self.freq))


class DiT(nn.Module):
    """DiT without class labels: patchify + fixed 2-D sincos positions, blocks, final layer, unpatchify."""

    def __init__(self, input_size, patch, cin, dim, depth, heads, cout):
        super().__init__()
        self.patch, self.cout, self.grid = patch, cout, input_size // patch
        self.x_embedder = PatchProj(cin, dim, patch)
        self.t_embedder = TimestepEmbedder(dim)
        self.blocks = nn.ModuleList([DiTBlock(dim, heads) for _ in range(depth)])
        self.final_layer = FinalLayer(dim, patch, cout)
        self.register_buffer("pos_embed", sincos_2d(dim, self.grid, self.grid), persistent=False)

    def forward(self, x, t):
        h = self.x_embedder(x) + self.pos_embed[None]
        c = self.t_embedder(t)
        for block in self.blocks:
            h = block(h, c)
        return unpatchify(self.final_layer(h, c), self.grid, self.grid, self.patch, self.cout)


# ---------------------------------------------------------------------------------------- MMDiT (SD3)

class RMSNorm(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


class AdaLayerNormZero(nn.Module):
    """linear(silu(temb)) -> shift, scale, gate (attention), shift, scale, gate (MLP); returns the modulated
    norm(x) and the rest."""

    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, 6 * dim)

    def forward(self, x, emb):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.linear(F.silu(emb)).chunk(6, dim=1)
        return modulate(layer_norm(x), shift_msa, scale_msa), gate_msa, shift_mlp, scale_mlp, gate_mlp


class AdaLayerNormContinuous(nn.Module):
    """linear(silu(cond)) -> scale, shift (in this order); norm(x) * (1 + scale) + shift."""

    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)

    def forward(self, x, cond):
        scale, shift = self.linear(F.silu(cond)).chunk(2, dim=1)
        return modulate(layer_norm(x), shift, scale)


class JointAttention(nn.Module):
    """One attention over [image tokens; text tokens] with separate projections per stream."""

    def __init__(self, dim, heads, head_dim, context_pre_only, qk_norm):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim, self.context_pre_only = heads, head_dim, context_pre_only
        self.to_q, self.to_k, self.to_v = nn.Linear(dim, inner), nn.Linear(dim, inner), nn.Linear(dim, inner)
        if qk_norm:
            self.norm_q, self.norm_k = RMSNorm(head_dim), RMSNorm(head_dim)
            self.norm_added_q, self.norm_added_k = RMSNorm(head_dim), RMSNorm(head_dim)
        else:
            self.norm_q = self.norm_k = self.norm_added_q = self.norm_added_k = None
        self.add_q_proj, self.add_k_proj, self.add_v_proj = nn.Linear(dim, inner), nn.Linear(dim, inner), nn.Linear(dim, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim)])
        self.to_add_out = None if context_pre_only else nn.Linear(inner, dim)

    def heads_of(self, t):  # (B, L, H*d) -> (B, H, L, d)
        b, n, _ = t.shape
        return t.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, ctx):
        q, k, v = self.heads_of(self.to_q(x)), self.heads_of(self.to_k(x)), self.heads_of(self.to_v(x))
        cq, ck, cv = (self.heads_of(self.add_q_proj(ctx)), self.heads_of(self.add_k_proj(ctx)),
                      self.heads_of(self.add_v_proj(ctx)))
        if self.norm_q is not None:
            q, k, cq, ck = self.norm_q(q), self.norm_k(k), self.norm_added_q(cq), self.norm_added_k(ck)
        out = sdpa(torch.cat([q, cq], dim=2), torch.cat([k, ck], dim=2), torch.cat([v, cv], dim=2))
        b, _, n_all, _ = out.shape
        out = out.transpose(1, 2).reshape(b, n_all, self.heads * self.head_dim)
        n = x.shape[1]
        img, txt = out[:, :n], out[:, n:]
        return self.to_out[0](img), (None if self.context_pre_only else self.to_add_out(txt))


class FeedForward(nn.Module):
    """net.0.proj (Linear, GELU-tanh), net.1 (dropout, no parameters), net.2 (Linear)."""

    class GeluProj(nn.Module):
        def __init__(self, dim, inner):
            super().__init__()
            self.proj = nn.Linear(dim, inner)

        def forward(self, x):
            return gelu_tanh(self.proj(x))

    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([FeedForward.GeluProj(dim, dim * mult), nn.Identity(), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class JointTransformerBlock(nn.Module):
    def __init__(self, dim, heads, head_dim, context_pre_only, qk_norm):
        super().__init__()
        self.context_pre_only = context_pre_only
        self.norm1 = AdaLayerNormZero(dim)
        self.norm1_context = AdaLayerNormContinuous(dim) if context_pre_only else AdaLayerNormZero(dim)
        self.attn = JointAttention(dim, heads, head_dim, context_pre_only, qk_norm)
        self.ff = FeedForward(dim)
        self.ff_context = None if context_pre_only else FeedForward(dim)

    def forward(self, x, ctx, temb):
        nx, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.norm1(x, temb)
        if self.context_pre_only:
            nctx = self.norm1_context(ctx, temb)
        else:
            nctx, c_gate_msa, c_shift_mlp, c_scale_mlp, c_gate_mlp = self.norm1_context(ctx, temb)
        attn, ctx_attn = self.attn(nx, nctx)
        x = x + gate_msa[:, None] * attn
        x = x + gate_mlp[:, None] * self.ff(modulate(layer_norm(x), shift_mlp, scale_mlp))
        if self.context_pre_only:
            return None, x
        ctx = ctx + c_gate_msa[:, None] * ctx_attn
        ctx = ctx + c_gate_mlp[:, None] * self.ff_context(modulate(layer_norm(ctx), c_shift_mlp, c_scale_mlp))
        return ctx, x


class TwoLayerMlp(nn.Module):
    """linear_1, SiLU, linear_2: diffusers' TimestepEmbedding and PixArtAlphaTextProjection(act_fn="silu")."""

    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class CombinedTimestepTextProjEmbeddings(nn.Module):
    def __init__(self, dim, pooled_dim):
        super().__init__()
        self.timestep_embedder = TwoLayerMlp(256, dim)
        self.text_embedder = TwoLayerMlp(pooled_dim, dim)

    def forward(self, t, pooled):
        return self.timestep_embedder(timestep_sinusoid(t, 256)) + self.text_embedder(pooled)


class PatchEmbed(nn.Module):
    """proj (p x p conv, stride p), then the centre crop of a fixed (max x max) 2-D sincos table."""

    def __init__(self, cfg, dim):
        super().__init__()
        p, m = cfg["patch_size"], cfg["pos_embed_max_size"]
        self.patch, self.max = p, m
        self.proj = nn.Conv2d(cfg["in_channels"], dim, p, stride=p)
        # A persistent buffer in diffusers (so it is in the checkpoint); a parameter here so its gradient is stored.
        self.pos_embed = nn.Parameter(f32(sincos_2d(dim, m, cfg["sample_size"] // p))[None])

    def forward(self, x):
        h, w = x.shape[-2] // self.patch, x.shape[-1] // self.patch
        top, left = (self.max - h) // 2, (self.max - w) // 2
        table = self.pos_embed.reshape(1, self.max, self.max, -1)[:, top:top + h, left:left + w, :]
        return self.proj(x).flatten(2).transpose(1, 2) + table.reshape(1, h * w, -1)


class SD3Transformer2DModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        dim = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        self.pos_embed = PatchEmbed(cfg, dim)
        self.time_text_embed = CombinedTimestepTextProjEmbeddings(dim, cfg["pooled_projection_dim"])
        self.context_embedder = nn.Linear(cfg["joint_attention_dim"], cfg["caption_projection_dim"])
        n = cfg["num_layers"]
        self.transformer_blocks = nn.ModuleList([
            JointTransformerBlock(dim, cfg["num_attention_heads"], cfg["attention_head_dim"], i == n - 1,
                                  cfg["qk_norm"] == "rms_norm") for i in range(n)])
        self.norm_out = AdaLayerNormContinuous(dim)
        p = cfg["patch_size"]
        self.proj_out = nn.Linear(dim, p * p * cfg["out_channels"])

    def forward(self, x, ctx, pooled, t):
        p = self.cfg["patch_size"]
        h, w = x.shape[-2] // p, x.shape[-1] // p
        hidden = self.pos_embed(x)
        temb = self.time_text_embed(t, pooled)
        ctx = self.context_embedder(ctx)
        for block in self.transformer_blocks:
            ctx, hidden = block(hidden, ctx, temb)
        hidden = self.proj_out(self.norm_out(hidden, temb))
        return unpatchify(hidden, h, w, p, self.cfg["out_channels"])


# ---------------------------------------------------------------------------------------- cases

def randomise(module):
    """Float32 random draws for every parameter: Linear/Conv weights as PyTorch's default init (kept),
    biases and norm weights N(0, 0.2^2) (norm weights around 1), so no modulation weight is zero."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("pos_embed"):
                continue
            if name.split(".")[-2].startswith("norm"):  # RMSNorm weights
                p.copy_(randn(*p.shape, scale=0.2, shift=1.0))
            elif name.endswith("bias"):
                p.copy_(randn(*p.shape, scale=0.2))
    round_params_to_f32(module)


def write_case(name, module, inputs, outputs, meta, config=None):
    """Back-propagates sum(o * grad_o) over the outputs and writes parameters, inputs, outputs,
    upstream gradients and the gradients of the inputs that require them and of every parameter."""
    grads_out = {k: randn(*v.shape) for k, v in outputs.items()}
    module.zero_grad()
    loss = sum((v * grads_out[k]).sum() for k, v in outputs.items())
    loss.backward()
    tensors = dict(module.state_dict())
    tensors.update(inputs)
    tensors.update(outputs)
    tensors.update({"grad_" + k: v for k, v in grads_out.items()})
    for k, v in inputs.items():
        if v.requires_grad:
            tensors["grad." + k] = v.grad
    for k, p in module.named_parameters():
        tensors["grad." + k] = p.grad
    meta = dict(meta, case=name, params=",".join(module.state_dict().keys()))
    write_safetensors(OUT / (name + ".safetensors"), tensors, meta)
    if config is not None:
        (OUT / (name + ".config.json")).write_text(json.dumps(config, indent=2) + "\n")
    gates = [v.abs().max().item() for k, v in module.state_dict().items() if "adaLN" in k or "norm1" in k]
    print(f"{name}: {sum(p.numel() for p in module.parameters())} parameters, {len(module.state_dict())} tensors, "
          f"max |modulation weight| {max(gates) if gates else 0:.3f}, "
          + ", ".join(f"{k} std {v.std().item():.3f}" for k, v in outputs.items()))


def dit_block_case():
    torch.manual_seed(2100)
    block = DiTBlock(16, heads=2)
    randomise(block)
    x = randn(2, 6, 16).requires_grad_(True)
    c = randn(2, 16).requires_grad_(True)
    write_case("dit_block", block, {"x": x, "c": c}, {"output": block(x, c)}, {"dim": 16, "heads": 2})


def dit_tiny_case():
    torch.manual_seed(2200)
    model = DiT(input_size=8, patch=2, cin=3, dim=16, depth=2, heads=2, cout=6)
    randomise(model)
    x = randn(2, 3, 8, 8).requires_grad_(True)
    t = f32(torch.tensor([17.0, 803.0]))
    write_case("dit_tiny", model, {"x": x, "t": t}, {"output": model(x, t)},
               {"input_size": 8, "patch_size": 2, "in_channels": 3, "hidden_size": 16, "depth": 2,
                "num_heads": 2, "out_channels": 6})


def mmdit_block_case():
    torch.manual_seed(2300)
    block = JointTransformerBlock(16, heads=2, head_dim=8, context_pre_only=False, qk_norm=True)
    randomise(block)
    x = randn(2, 6, 16).requires_grad_(True)
    ctx = randn(2, 4, 16).requires_grad_(True)
    temb = randn(2, 16).requires_grad_(True)
    ctx_out, x_out = block(x, ctx, temb)
    write_case("mmdit_block", block, {"hidden_states": x, "encoder_hidden_states": ctx, "temb": temb},
               {"hidden_out": x_out, "encoder_out": ctx_out},
               {"dim": 16, "heads": 2, "head_dim": 8, "context_pre_only": "false", "qk_norm": "rms_norm"})


def mmdit_tiny_case():
    torch.manual_seed(2400)
    cfg = dict(sample_size=8, patch_size=2, in_channels=4, num_layers=2, attention_head_dim=8,
               num_attention_heads=2, joint_attention_dim=12, caption_projection_dim=16, pooled_projection_dim=10,
               out_channels=4, pos_embed_max_size=6, qk_norm="rms_norm")
    model = SD3Transformer2DModel(cfg)
    randomise(model)
    # A non-square 8x6 latent: 4x3 patches, cropped at (1, 1) from the 6x6 table.
    x = randn(2, 4, 8, 6).requires_grad_(True)
    ctx = randn(2, 5, 12).requires_grad_(True)
    pooled = randn(2, 10).requires_grad_(True)
    t = f32(torch.tensor([300.0, 750.5]))
    write_case("mmdit_tiny", model, {"hidden_states": x, "encoder_hidden_states": ctx, "pooled_projections": pooled,
                                     "timestep": t},
               {"sample": model(x, ctx, pooled, t)}, {}, config=dict(_class_name="SD3Transformer2DModel", **cfg))


def main():
    torch.set_default_dtype(torch.float64)
    dit_block_case()
    dit_tiny_case()
    mmdit_block_case()
    mmdit_tiny_case()
    for path, size in WRITTEN:
        print(f"{size:8d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
