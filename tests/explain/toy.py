"""A tiny AffectVLM and a synthetic task where only a bottom-centre "mouth" patch decides
the class, for the explanation tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from affectvlm.model import AffectVLM
from affectvlm.model.config import ModelConfig, VisionTowerConfig

SIZE = 32
MOUTH = (slice(24, 32), slice(8, 24))  # the bottom-centre pair of 8 px ViT patches


def tiny_model(num_views: int = 1, fusion: str = "mean", seed: int = 0) -> AffectVLM:
    """A one-layer 32 px ViT with 8 px patches; temperature 1 keeps the loss from
    saturating, so training keeps pushing the embedding away from the background."""
    torch.manual_seed(seed)
    vision = VisionTowerConfig(
        image_size=SIZE,
        patch_size=8,
        hidden_size=32,
        num_layers=1,
        num_heads=2,
        intermediate_size=64,
    )
    config = ModelConfig(
        embed_dim=32, vision=vision, num_views=num_views, fusion=fusion, init_temperature=1.0
    )
    return AffectVLM.from_config(config)


def mouth_batch(n: int, generator: torch.Generator, views: int = 1):
    """Noise images whose mouth patch holds horizontal stripes (class 0), vertical stripes
    (class 1) or a checkerboard (class 2): the class shows there and nowhere else. With
    three patterns no class can be learnt as "the others are absent", which would spread
    its evidence over the whole image."""
    labels = torch.randint(0, 3, (n,), generator=generator)
    x = 0.5 + 0.6 * (torch.rand(n, views, 3, SIZE, SIZE, generator=generator) - 0.5)
    rows = (torch.arange(8) // 2 % 2).float()[:, None].expand(8, 16)
    cols = (torch.arange(16) // 2 % 2).float()[None, :].expand(8, 16)
    patterns = torch.stack([rows, cols, (rows + cols) % 2]) * 0.8 + 0.1
    x[:, :, :, MOUTH[0], MOUTH[1]] = patterns[labels][:, None, None]
    return x, labels


def class_embeddings(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(3, 32, generator=g), dim=-1)


def train_on_mouth_task(model: AffectVLM, text: torch.Tensor, steps: int = 60) -> float:
    """Train the vision tower with cross-entropy on fixed class embeddings; return the
    accuracy on a fresh batch."""
    g = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.vision_tower.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        x, y = mouth_batch(16, g)
        loss = F.cross_entropy(model(x, text).logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    x, y = mouth_batch(32, g)
    with torch.no_grad():
        return float((model(x, text).logits.argmax(-1) == y).float().mean())
