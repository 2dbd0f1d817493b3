#!/usr/bin/python3
"""Golden tests against PyTorch for CLIP's contrastive training in mini-diffusion (modules/transformer:
ClipImageEncoder, ClipLoss, ClipModel).

Run from the repository root with the system Python that has PyTorch (CPU):

    /usr/bin/python3 tools/golden_clip_loss.py

It writes

    modules/transformer/src/test/resources/golden/<case>.safetensors         inputs, outputs, gradients
    modules/transformer/src/test/resources/golden/<case>.config.json         the text encoder's config.json
    modules/transformer/src/test/resources/golden/<case>.image_config.json   the image encoder's config.json

and those files are committed; ``ClipLossGoldenTests`` reads them without Python. The output is
deterministic (fixed seeds, CPU only), so re-running rewrites identical bytes.

The loss is written from Radford et al. 2021, Figure 3 (L2-normalised embeddings, logits
``I_e @ T_e.T * exp(t)`` with the scale clamped at 100, the mean of the cross-entropies over the rows
and over the columns) with ``F.normalize`` and ``F.cross_entropy``; the group targets use
``F.cross_entropy`` with probability targets on the logits and their transpose. The text tower is
``tools/golden_transformers.py``'s ``CLIPTextModelWithProjection`` (Hugging Face's names); the image tower
is the small CNN of ``ClipImageEncoder``. File conventions are those of ``tools/golden_layers.py``:
float32 weights and inputs, float64 computation, results rounded to float32; token ids as exact floats;
``grad.<name>`` is the gradient of the loss with respect to parameter ``<name>`` of the joint model
(``text_encoder.*``, ``image_encoder.*``, ``logit_scale``).
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
from golden_transformers import CLIPTextModelWithProjection, clip_config, randomise_norms  # noqa: E402

OUT = ROOT / "modules/transformer/src/test/resources/golden"


class Level(nn.Module):
    """conv(silu(norm(x))) with a stride-2 3x3 conv."""

    def __init__(self, cin, cout, groups, eps):
        super().__init__()
        self.norm = nn.GroupNorm(groups, cin, eps=eps)
        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(F.silu(self.norm(x)))


class ImageEncoder(nn.Module):
    """conv_in, stride-2 levels, GroupNorm + SiLU, global average pool, projection without bias."""

    def __init__(self, c):
        super().__init__()
        ch, g, eps = c["block_out_channels"], c["norm_num_groups"], c["norm_eps"]
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, stride=1, padding=1)
        self.down = nn.ModuleList(Level(ch[i - 1], ch[i], g, eps) for i in range(1, len(ch)))
        self.norm_out = nn.GroupNorm(g, ch[-1], eps=eps)
        self.visual_projection = nn.Linear(ch[-1], c["projection_dim"], bias=False)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            h = level(h)
        return self.visual_projection(F.silu(self.norm_out(h)).mean(dim=(2, 3)))


class ClipModel(nn.Module):
    def __init__(self, text_config, image_config, logit_scale):
        super().__init__()
        self.text_encoder = CLIPTextModelWithProjection(text_config)
        self.image_encoder = ImageEncoder(image_config)
        self.logit_scale = nn.Parameter(torch.tensor([logit_scale]))

    def forward(self, images, ids, targets):
        image_embeds = self.image_encoder(images)
        _, _, text_embeds = self.text_encoder(ids)
        i_e = F.normalize(image_embeds, dim=1)
        t_e = F.normalize(text_embeds, dim=1)
        logits = i_e @ t_e.T * torch.clamp(self.logit_scale.exp(), max=100.0)
        if targets is None:  # Figure 3: labels = arange(n)
            labels = torch.arange(logits.shape[0])
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
        else:  # probability targets: each row (column) spread over its group
            rows = targets / targets.sum(dim=1, keepdim=True)
            cols = targets / targets.sum(dim=0, keepdim=True)
            loss = (F.cross_entropy(logits, rows) + F.cross_entropy(logits.T, cols.T)) / 2
        return image_embeds, text_embeds, logits, loss


def image_config():
    return dict(model_type="mini_clip_image_encoder", in_channels=1, image_size=9, block_out_channels=[4, 8, 8],
                norm_num_groups=2, norm_eps=1e-5, projection_dim=6)


def loss_case(name, ids, groups, logit_scale, seed):
    torch.manual_seed(seed)
    tc = clip_config(projection_dim=6, max_position_embeddings=7)
    ic = image_config()
    model = ClipModel(tc, ic, logit_scale)
    randomise_norms(model.text_encoder)
    for m in model.image_encoder.modules():
        if isinstance(m, nn.GroupNorm):
            affine(m, scale=0.3)
    round_params_to_f32(model)
    b = len(ids)
    images = randn(b, 1, ic["image_size"], ic["image_size"]).clamp(-1, 1)
    ids_t = torch.tensor(ids)
    targets = None
    if groups is not None:
        g = torch.tensor(groups)
        targets = (g[:, None] == g[None, :]).double()
    image_embeds, text_embeds, logits, loss = model(images, ids_t, targets)
    model.zero_grad()
    loss.backward()
    tensors = dict(model.state_dict())
    tensors.update(images=images, input_ids=ids_t.double(), image_embeds=image_embeds, text_embeds=text_embeds,
                   logits_per_image=logits, loss=loss.reshape(1))
    if targets is not None:
        tensors["targets"] = targets
    for k, p in model.named_parameters():
        assert p.grad is not None, k
        tensors["grad." + k] = p.grad
    write_safetensors(OUT / (name + ".safetensors"), tensors,
                      dict(case=name, params=",".join(model.state_dict().keys())))
    (OUT / (name + ".config.json")).write_text(
        json.dumps(dict(architectures=["CLIPTextModelWithProjection"], **tc), indent=2) + "\n")
    (OUT / (name + ".image_config.json")).write_text(json.dumps(ic, indent=2) + "\n")


def main():
    torch.set_default_dtype(torch.float64)
    ids = [[48, 5, 17, 33, 49, 49, 49], [48, 9, 49, 49, 49, 49, 49], [48, 5, 17, 33, 49, 49, 49],
           [48, 21, 2, 40, 11, 49, 49], [48, 7, 49, 49, 49, 49, 49]]
    # CLIP's loss with the initial temperature log(1/0.07); captions 0 and 2 are identical but still negatives.
    loss_case("clip_loss_pairs", ids, None, math.log(1 / 0.07), 2600)
    # Group targets: captions 1 and 4 differ but share a group (say, synonyms), and t = 4.7 > log(100): the
    # scale is clamped at 100, so the temperature gets no gradient.
    loss_case("clip_loss_groups", ids, [0, 1, 2, 3, 1], 4.7, 2601)
    for path, size in WRITTEN:
        print(f"{size:8d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
