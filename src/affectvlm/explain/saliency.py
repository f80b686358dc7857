"""Saliency maps per rendered view: where in each image the evidence for a score lies.

``gradient``: the gradient of the fused score of one text row (a class, or a free-text
prompt) with respect to the input views, absolute value, max over the three channels.
``smoothgrad``: the same, averaged over ``samples`` copies of the input with Gaussian
noise (std ``noise`` in [0, 1] units; seeded), which removes the speckle of raw gradients.
``rollout``: attention rollout of the ViT vision tower (Abnar & Zuidema, 2020): the head-
averaged attention of every layer, with the residual added (0.5 A + 0.5 I) and rows
renormalised, multiplied through the layers; the row of the class token over the patches,
upsampled to the image. Rollout is class-agnostic: it shows what the tower looks at, not
what supports one class.

Maps may be smoothed with a Gaussian (``blur`` sigma in pixels) and come back raw, one per
view (and frame for 4D), shaped like the input without its channel axis.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F

Method = Literal["gradient", "smoothgrad", "rollout"]


@dataclass
class SaliencyConfig:
    """How saliency maps are computed (see the module docstring)."""

    method: Method = "smoothgrad"
    samples: int = 16
    noise: float = 0.1
    blur: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.samples < 1 or self.noise < 0 or self.blur < 0:
            raise ValueError("samples >= 1, noise >= 0 and blur >= 0 required")


def supported_methods(model: Any) -> tuple[str, ...]:
    """The saliency methods that work for ``model``'s vision tower (rollout needs a ViT)."""
    encoder = model.vision_tower.encoder
    if hasattr(encoder.config, "patch_size"):
        return ("smoothgrad", "gradient", "rollout")
    return ("smoothgrad", "gradient")


def _check_views(views: torch.Tensor) -> None:
    if views.ndim not in (4, 5) or views.shape[-3] != 3:
        raise ValueError(
            f"views must be one sample (V, 3, H, W) or (T, V, 3, H, W), got {tuple(views.shape)}"
        )


def score_gradient(
    model: Any, views: torch.Tensor, text_embeds: torch.Tensor, target: int
) -> torch.Tensor:
    """``d score / d views`` for a batch of copies of one sample ``(N, *sample_shape)``;
    ``score`` is fused logit ``target``. Copies do not interact (the towers normalise per
    image), so the gradient of the summed score is each copy's own gradient."""
    model.eval()
    x = views.detach().to(model.device, torch.float32).requires_grad_(True)
    with torch.enable_grad():
        logits = model(x, text_embeds.detach().to(model.device)).logits
        (grad,) = torch.autograd.grad(logits[:, target].sum(), x)
    return grad


def gaussian_blur(maps: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur ``(..., H, W)`` maps with a separable Gaussian of ``sigma`` pixels."""
    if sigma <= 0:
        return maps
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=maps.dtype, device=maps.device)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    shape = maps.shape
    x = maps.reshape(-1, 1, *shape[-2:])
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return x.reshape(shape)


def gradient_saliency(
    model: Any,
    views: torch.Tensor,
    text_embeds: torch.Tensor,
    target: int,
    samples: int = 1,
    noise: float = 0.0,
    generator: torch.Generator | None = None,
    batch: int = 8,
) -> torch.Tensor:
    """Mean over ``samples`` noisy copies of ``|d score / d views|``, max over channels;
    copies go through the model ``batch`` at a time."""
    _check_views(views)
    views = views.detach().float().cpu()
    total = torch.zeros(views.shape[:-3] + views.shape[-2:])
    for start in range(0, samples, batch):
        n = min(batch, samples - start)
        x = views.expand(n, *views.shape)
        if noise > 0:
            x = x + noise * torch.randn(x.shape, generator=generator)
        grad = score_gradient(model, x, text_embeds, target)
        total += grad.abs().amax(dim=-3).sum(dim=0).cpu()
    return total / samples


@contextlib.contextmanager
def _eager_attention(encoder: Any) -> Iterator[None]:
    """Switch a transformers encoder to eager attention (which returns weights) for a while."""
    before = getattr(encoder.config, "_attn_implementation", None)
    if before in (None, "eager") or not hasattr(encoder, "set_attn_implementation"):
        yield
        return
    encoder.set_attn_implementation("eager")
    try:
        yield
    finally:
        encoder.set_attn_implementation(before)


@torch.no_grad()
def attention_rollout(model: Any, views: torch.Tensor) -> torch.Tensor:
    """Class-token attention rollout of the ViT vision tower, one map per image."""
    _check_views(views)
    model.eval()
    lead, (h, w) = views.shape[:-3], views.shape[-2:]
    pixels = model._pixels(views.reshape(-1, *views.shape[-3:]))
    encoder = model.vision_tower.encoder
    if "rollout" not in supported_methods(model):
        raise ValueError(
            "attention rollout needs a ViT vision tower; use the gradient or smoothgrad method"
        )
    with _eager_attention(encoder):
        out = encoder(pixel_values=pixels, output_attentions=True)
    if not out.attentions:
        raise ValueError("the vision tower returned no attention weights; rollout needs a ViT")
    tokens = out.attentions[0].shape[-1]
    eye = torch.eye(tokens, device=pixels.device)
    rollout = eye.expand(pixels.shape[0], tokens, tokens)
    for attention in out.attentions:
        a = 0.5 * attention.float().mean(dim=1) + 0.5 * eye
        rollout = (a / a.sum(dim=-1, keepdim=True)) @ rollout
    patches = rollout[:, 0, 1:]
    side = math.isqrt(patches.shape[-1])
    if side * side != patches.shape[-1]:
        raise ValueError(f"cannot arrange {patches.shape[-1]} patch tokens in a square grid")
    grid = patches.reshape(-1, 1, side, side)
    maps = F.interpolate(grid, size=(h, w), mode="bilinear", align_corners=False)
    return maps.reshape(*lead, h, w)


def saliency_maps(
    model: Any,
    views: torch.Tensor,
    text_embeds: torch.Tensor,
    target: int,
    config: SaliencyConfig | None = None,
) -> torch.Tensor:
    """Saliency of fused score ``target`` per view of one sample, ``views.shape`` less the
    channel axis, on the CPU (see the module docstring for the methods)."""
    config = config or SaliencyConfig()
    views = views.detach().float().cpu()
    if config.method == "rollout":
        maps = attention_rollout(model, views)
    else:
        smooth = config.method == "smoothgrad"
        generator = torch.Generator().manual_seed(config.seed)
        maps = gradient_saliency(
            model,
            views,
            text_embeds,
            target,
            samples=config.samples if smooth else 1,
            noise=config.noise if smooth else 0.0,
            generator=generator,
        )
    return gaussian_blur(maps.float(), config.blur).cpu()
