#!/usr/bin/python3
"""Golden tests against PyTorch for the attention parts and text encoders of mini-diffusion
(modules/nn: Attention, RotaryEmbedding; modules/transformer: CLIP and T5).

Run from the repository root with the system Python that has PyTorch (CPU):

    /usr/bin/python3 tools/golden_transformers.py

It writes

    modules/nn/src/test/resources/golden/<case>.safetensors            rope_*, attention_mask_*
    modules/transformer/src/test/resources/golden/<case>.safetensors   clip_*, t5_*
    modules/transformer/src/test/resources/golden/<case>.config.json   the model's config.json

and those files are committed; ``AttentionGoldenTests``, ``RotaryEmbeddingGoldenTests``,
``ClipGoldenTests`` and ``T5GoldenTests`` read them without Python. The output is deterministic
(fixed seeds, CPU only), so re-running rewrites identical bytes.

The models below are written from the papers (Su et al. 2021 for RoPE; Radford et al. 2021 for CLIP;
Raffel et al. 2020 and the T5 v1.1 notes for T5) and the public Hugging Face sources
(``modeling_clip.py``, ``modeling_t5.py``) and Flux's ``EmbedND``; transformers is not imported. Their
attribute names are Hugging Face's, so ``state_dict()`` has the checkpoint keys
(``text_model.encoder.layers.0.self_attn.q_proj.weight``,
``encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight``, ...).

File conventions are those of ``tools/golden_layers.py`` (whose writer and helpers are imported):
weights and inputs are float32 draws, every computation runs in float64, only results are rounded to
float32. Token ids and attention masks are stored as exact float values. ``grad_<output>`` tensors are
random upstream gradients and ``grad.<name>`` the gradients of the scalar
``sum over outputs of sum(output * grad_output)`` with respect to an input or a parameter.
The RoPE here rotates each pair as a complex number (multiplication by e^{i·angle}), a formulation
independent of the Java side's ``x·cos + rotate(x)·sin``.
"""
import json
import math
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from golden_layers import ROOT, WRITTEN, affine, randn, round_params_to_f32, write_safetensors  # noqa: E402

NN_OUT = ROOT / "modules/nn/src/test/resources/golden"
OUT = ROOT / "modules/transformer/src/test/resources/golden"
NEG = torch.finfo(torch.float64).min  # Hugging Face's additive mask value


# ---------------------------------------------------------------------------------------- attention

def masked_attention(q, k, v, allowed, scale, bias=None):
    """softmax(scale * q k^T + bias, masked where not allowed) v (Vaswani et al. 2017, eq. 1).
    ``allowed`` is a boolean tensor broadcastable to (B, H, Lq, Lk)."""
    scores = scale * q @ k.transpose(-1, -2)
    if bias is not None:
        scores = scores + bias
    if allowed is not None:
        scores = scores.masked_fill(~allowed, NEG)
    return torch.softmax(scores, dim=-1) @ v


def causal(lq, lk):
    """(1, 1, Lq, Lk): query i sees keys j <= i + Lk - Lq."""
    i = torch.arange(lq)[:, None]
    j = torch.arange(lk)[None, :]
    return (j <= i + (lk - lq))[None, None]


def padding(mask):
    """(B, Lk) of 1/0 -> (B, 1, 1, Lk) boolean."""
    return (torch.tensor(mask) == 1)[:, None, None, :]


def attention_case(name, b, h, lq, lk, d, mask, use_causal, scale, seed):
    torch.manual_seed(seed)
    q, k, v = (randn(b, h, lq, d).requires_grad_(True), randn(b, h, lk, d).requires_grad_(True),
               randn(b, h, lk, d).requires_grad_(True))
    allowed = padding(mask)
    if use_causal:
        allowed = allowed & causal(lq, lk)
    out = masked_attention(q, k, v, allowed, scale)
    g = randn(*out.shape)
    out.backward(g)
    tensors = dict(q=q, k=k, v=v, attention_mask=torch.tensor(mask, dtype=torch.float64), output=out,
                   grad_output=g, **{"grad.q": q.grad, "grad.k": k.grad, "grad.v": v.grad})
    write_safetensors(NN_OUT / (name + ".safetensors"), tensors,
                      dict(case=name, causal=str(use_causal).lower(), scale=repr(scale)))


# ---------------------------------------------------------------------------------------- RoPE

def rope_angles(positions, axes_dims, theta):
    """(L, d/2): the angle of each pair, axis by axis: pos_a * theta^(-2i/d_a) (Su et al. 2021, eq. 15)."""
    parts = []
    for a, dim in enumerate(axes_dims):
        freqs = theta ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        parts.append(positions[:, a:a + 1] * freqs[None, :])
    return torch.cat(parts, dim=1)


def rope(x, positions, axes_dims, theta, pairing):
    """Rotates the feature pairs of x (..., L, d) as complex numbers by e^{i angle} (eq. 34)."""
    ang = rope_angles(positions, axes_dims, theta)  # (L, d/2)
    rot = torch.polar(torch.ones_like(ang), ang)
    d = x.shape[-1]
    if pairing == "interleaved":  # pairs (x[2i], x[2i+1]), as Flux
        z = torch.view_as_complex(x.reshape(*x.shape[:-1], d // 2, 2).contiguous())
        return torch.view_as_real(z * rot).reshape(x.shape)
    re, im = x[..., :d // 2], x[..., d // 2:]  # pairs (x[i], x[i + d/2]), as GPT-NeoX / HF Llama
    z = torch.complex(re, im) * rot
    return torch.cat([z.real, z.imag], dim=-1)


def rope_case(name, shape, positions, axes_dims, theta, pairing, seed):
    torch.manual_seed(seed)
    x = randn(*shape).requires_grad_(True)
    pos = torch.tensor(positions, dtype=torch.float64)
    out = rope(x, pos, axes_dims, theta, pairing)
    g = randn(*out.shape)
    out.backward(g)
    tensors = dict(input=x, positions=pos, output=out, grad_output=g, **{"grad.input": x.grad})
    write_safetensors(NN_OUT / (name + ".safetensors"), tensors,
                      dict(case=name, axes_dims=",".join(map(str, axes_dims)), theta=repr(theta), pairing=pairing))


# ---------------------------------------------------------------------------------------- CLIP

def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, allowed):
        b, length, d = x.shape

        def split(t):
            return t.view(b, length, self.heads, d // self.heads).transpose(1, 2)

        o = masked_attention(split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)), allowed,
                             (d // self.heads) ** -0.5)
        return self.out_proj(o.transpose(1, 2).reshape(b, length, d))


class CLIPMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = quick_gelu if c["hidden_act"] == "quick_gelu" else F.gelu
        self.fc1 = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.fc2 = nn.Linear(c["intermediate_size"], c["hidden_size"])

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    """Pre-LN block: x + attn(ln1(x)), then h + mlp(ln2(h))."""

    def __init__(self, c):
        super().__init__()
        self.self_attn = CLIPAttention(c)
        self.layer_norm1 = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.mlp = CLIPMLP(c)
        self.layer_norm2 = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, allowed):
        h = x + self.self_attn(self.layer_norm1(x), allowed)
        return h + self.mlp(self.layer_norm2(h))


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])

    def forward(self, ids):
        return self.token_embedding(ids) + self.position_embedding(torch.arange(ids.shape[1]))[None]


class CLIPEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(CLIPEncoderLayer(c) for _ in range(c["num_hidden_layers"]))


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embeddings = CLIPTextEmbeddings(c)
        self.encoder = CLIPEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, ids, attention_mask):
        h = self.embeddings(ids)
        length = ids.shape[1]
        allowed = causal(length, length)
        if attention_mask is not None:
            allowed = allowed & padding(attention_mask)
        for layer in self.encoder.layers:
            h = layer(h, allowed)
        h = self.final_layer_norm(h)
        if self.c["eos_token_id"] == 2:  # legacy configs: the end token has the largest id
            eos = ids.argmax(dim=-1)
        else:  # the first end token
            eos = (ids == self.c["eos_token_id"]).int().argmax(dim=-1)
        return h, h[torch.arange(ids.shape[0]), eos]


class CLIPTextModelWithProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.text_model = CLIPTextTransformer(c)
        self.text_projection = nn.Linear(c["hidden_size"], c["projection_dim"], bias=False)

    def forward(self, ids, attention_mask=None):
        h, pooled = self.text_model(ids, attention_mask)
        return h, pooled, self.text_projection(pooled)


def clip_config(**changes):
    c = dict(vocab_size=50, hidden_size=16, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
             max_position_embeddings=9, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=12,
             eos_token_id=49, bos_token_id=48, pad_token_id=1, model_type="clip_text_model")
    c.update(changes)
    return c


def randomise_norms(model):
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            affine(m, scale=0.3)


def param_grads(model, tensors):
    for k, p in model.named_parameters():
        assert p.grad is not None, k
        tensors["grad." + k] = p.grad


def clip_layer_case(name, seed):
    torch.manual_seed(seed)
    c = clip_config()
    layer = CLIPEncoderLayer(c)
    randomise_norms(layer)
    round_params_to_f32(layer)
    mask = [[1] * 6, [1, 1, 1, 1, 0, 0]]
    x = randn(2, 6, c["hidden_size"]).requires_grad_(True)
    out = layer(x, causal(6, 6) & padding(mask))
    g = randn(*out.shape)
    layer.zero_grad()
    out.backward(g)
    tensors = dict(layer.state_dict())
    tensors.update(input=x, attention_mask=torch.tensor(mask, dtype=torch.float64), output=out, grad_output=g)
    tensors["grad.input"] = x.grad
    param_grads(layer, tensors)
    write_safetensors(OUT / (name + ".safetensors"), tensors,
                      dict(case=name, params=",".join(layer.state_dict().keys())))
    (OUT / (name + ".config.json")).write_text(json.dumps(dict(architectures=["CLIPTextModel"], **c), indent=2) + "\n")


def clip_model_case(name, c, ids, mask, seed):
    torch.manual_seed(seed)
    model = CLIPTextModelWithProjection(c)
    randomise_norms(model)
    round_params_to_f32(model)
    ids_t = torch.tensor(ids)
    h, pooled, embeds = model(ids_t, mask)
    gh, gp, ge = randn(*h.shape), randn(*pooled.shape), randn(*embeds.shape)
    loss = (h * gh).sum() + (pooled * gp).sum() + (embeds * ge).sum()
    model.zero_grad()
    loss.backward()
    tensors = dict(model.state_dict())
    tensors.update(input_ids=ids_t.double(), last_hidden_state=h, pooled=pooled, text_embeds=embeds,
                   grad_last_hidden_state=gh, grad_pooled=gp, grad_text_embeds=ge, loss=loss.reshape(1))
    if mask is not None:
        tensors["attention_mask"] = torch.tensor(mask, dtype=torch.float64)
    param_grads(model, tensors)
    write_safetensors(OUT / (name + ".safetensors"), tensors,
                      dict(case=name, params=",".join(model.state_dict().keys())))
    (OUT / (name + ".config.json")).write_text(
        json.dumps(dict(architectures=["CLIPTextModelWithProjection"], **c), indent=2) + "\n")


# ---------------------------------------------------------------------------------------- T5

def t5_bucket(relative_position, num_buckets, max_distance):
    """T5's bidirectional bucket of key - query, with the logarithm in float32 as Hugging Face's code
    evaluates it (Raffel et al. 2020, section 2.1; Mesh TensorFlow's _relative_position_bucket)."""
    num_buckets //= 2
    buckets = (relative_position > 0).long() * num_buckets
    distance = relative_position.abs()
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    large = max_exact + (torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).long()
    large = torch.clamp(large, max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, large)


class T5LayerNorm(nn.Module):
    """Scales by the root mean square, no mean subtraction, no bias."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class T5Attention(nn.Module):
    def __init__(self, c, has_bias):
        super().__init__()
        self.c = c
        inner = c["num_heads"] * c["d_kv"]
        self.q, self.k, self.v = (nn.Linear(c["d_model"], inner, bias=False) for _ in range(3))
        self.o = nn.Linear(inner, c["d_model"], bias=False)
        if has_bias:
            self.relative_attention_bias = nn.Embedding(c["relative_attention_num_buckets"], c["num_heads"])

    def position_bias(self, length):
        rel = torch.arange(length)[None, :] - torch.arange(length)[:, None]  # key - query
        b = t5_bucket(rel, self.c["relative_attention_num_buckets"], self.c["relative_attention_max_distance"])
        return self.relative_attention_bias(b).permute(2, 0, 1)[None]  # (1, H, L, L)

    def forward(self, x, bias, allowed):
        b, length, _ = x.shape
        h, dk = self.c["num_heads"], self.c["d_kv"]

        def split(t):
            return t.view(b, length, h, dk).transpose(1, 2)

        o = masked_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), allowed, 1.0, bias)  # no scaling
        return self.o(o.transpose(1, 2).reshape(b, length, h * dk))


class T5LayerSelfAttention(nn.Module):
    def __init__(self, c, has_bias):
        super().__init__()
        self.SelfAttention = T5Attention(c, has_bias)
        self.layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, x, bias, allowed):
        return x + self.SelfAttention(self.layer_norm(x), bias, allowed)


class T5DenseGatedActDense(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wi_0 = nn.Linear(c["d_model"], c["d_ff"], bias=False)
        self.wi_1 = nn.Linear(c["d_model"], c["d_ff"], bias=False)
        self.wo = nn.Linear(c["d_ff"], c["d_model"], bias=False)

    def forward(self, x):  # GEGLU (Shazeer 2020) with the tanh GELU ("gelu_new")
        return self.wo(F.gelu(self.wi_0(x), approximate="tanh") * self.wi_1(x))


class T5LayerFF(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.DenseReluDense = T5DenseGatedActDense(c)
        self.layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, x):
        return x + self.DenseReluDense(self.layer_norm(x))


class T5Block(nn.Module):
    def __init__(self, c, has_bias):
        super().__init__()
        self.layer = nn.ModuleList([T5LayerSelfAttention(c, has_bias), T5LayerFF(c)])

    def forward(self, x, bias, allowed):
        return self.layer[1](self.layer[0](x, bias, allowed))


class T5Stack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block = nn.ModuleList(T5Block(c, i == 0) for i in range(c["num_layers"]))
        self.final_layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])


class T5EncoderModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.shared = nn.Embedding(c["vocab_size"], c["d_model"])
        self.encoder = T5Stack(c)

    def forward(self, ids, attention_mask):
        h = self.shared(ids)
        bias = self.encoder.block[0].layer[0].SelfAttention.position_bias(ids.shape[1])  # computed once
        allowed = padding(attention_mask)
        for block in self.encoder.block:  # ... and shared by every block
            h = block(h, bias, allowed)
        return self.encoder.final_layer_norm(h), bias


def t5_case(name, seed):
    torch.manual_seed(seed)
    c = dict(vocab_size=40, d_model=16, d_kv=6, d_ff=24, num_layers=2, num_heads=3, relative_attention_num_buckets=8,
             relative_attention_max_distance=12, layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu",
             is_gated_act=True, dense_act_fn="gelu_new", model_type="t5", architectures=["T5EncoderModel"])
    model = T5EncoderModel(c)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, T5LayerNorm):
                m.weight.copy_(randn(*m.weight.shape, scale=0.3, shift=1.0))
    round_params_to_f32(model)
    length = 10
    ids = torch.randint(0, c["vocab_size"], (2, length))
    mask = [[1] * length, [1] * 7 + [0] * 3]
    out, bias = model(ids, mask)
    g = randn(*out.shape)
    model.zero_grad()
    (out * g).sum().backward()
    tensors = dict(model.state_dict())
    tensors.update(input_ids=ids.double(), attention_mask=torch.tensor(mask, dtype=torch.float64),
                   last_hidden_state=out, position_bias=bias, grad_last_hidden_state=g)
    param_grads(model, tensors)
    write_safetensors(OUT / (name + ".safetensors"), tensors,
                      dict(case=name, params=",".join(model.state_dict().keys())))
    (OUT / (name + ".config.json")).write_text(json.dumps(c, indent=2) + "\n")


def t5_buckets_case(name):
    """The bucket of every relative position in [-300, 300] for T5's own (32, 128) and the test's (8, 12)."""
    rel = torch.arange(-300, 301)
    tensors = dict(relative_position=rel.double(),
                   buckets_32_128=t5_bucket(rel, 32, 128).double(),
                   buckets_8_12=t5_bucket(rel, 8, 12).double())
    write_safetensors(OUT / (name + ".safetensors"), tensors, dict(case=name))


# ---------------------------------------------------------------------------------------- main

def main():
    torch.set_default_dtype(torch.float64)
    # RoPE: 1-D text positions with both pairings; Flux's three axes (text, row, column) over a 3x4 grid.
    rope_case("rope_1d_half_split", (2, 3, 7, 8), [[p] for p in range(7)], [8], 10000.0, "half_split", 2100)
    rope_case("rope_1d_interleaved", (2, 3, 7, 8), [[p] for p in range(7)], [8], 10000.0, "interleaved", 2101)
    grid = [[0, r, c] for r in range(3) for c in range(4)]
    rope_case("rope_axial_interleaved", (1, 2, 12, 16), grid, [4, 6, 6], 10000.0, "interleaved", 2102)
    rope_case("rope_axial_half_split", (1, 2, 12, 16), grid, [4, 6, 6], 100.0, "half_split", 2103)
    # Masked attention: causal plus right padding; cross attention (other keys) with padding, scale 1.
    attention_case("attention_mask_causal_padding", 2, 2, 5, 5, 4, [[1] * 5, [1, 1, 1, 0, 0]], True, 0.5, 2200)
    attention_case("attention_mask_cross_padding", 2, 3, 3, 6, 4, [[1] * 4 + [0] * 2, [1] * 6], False, 1.0, 2201)
    clip_layer_case("clip_layer", 2300)
    # The SD3-style CLIP: ids padded with the end token (49); pooled at its first occurrence; a padding mask.
    clip_model_case("clip_text_2layer", clip_config(hidden_act="gelu"),
                    [[48, 5, 17, 33, 49, 49, 49, 49], [48, 9, 49, 49, 49, 49, 49, 49]],
                    [[1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]], 2400)
    # The legacy rule (eos_token_id 2): pooled at the largest id, no mask.
    clip_model_case("clip_text_2layer_legacy", clip_config(eos_token_id=2),
                    [[48, 5, 17, 33, 49, 3, 3], [48, 9, 12, 49, 3, 3, 3]], None, 2401)
    t5_case("t5_encoder_2layer", 2500)
    t5_buckets_case("t5_buckets")
    for path, size in WRITTEN:
        print(f"{size:8d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
