"""AdamW with separate tower/head learning rates and a warm-up + cosine schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass
class OptimConfig:
    """Optimiser and schedule. Steps are optimiser steps (after gradient accumulation)."""

    lr_towers: float = 1e-5
    lr_heads: float = 1e-3
    weight_decay: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-6
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01  # final lr as a fraction of the peak
    grad_clip: float = 1.0  # max global grad norm; 0 disables clipping
    accumulate: int = 1  # micro-batches per optimiser step

    def __post_init__(self) -> None:
        if self.accumulate < 1:
            raise ValueError(f"accumulate must be >= 1, got {self.accumulate}")


class WarmupCosine:
    """LR multiplier: linear warm-up from ~0 to 1, then cosine down to ``min_ratio``.

    A plain callable object (not a lambda) so ``LambdaLR.state_dict()`` stays loadable with
    ``weights_only=True``.
    """

    def __init__(self, total_steps: int, warmup_steps: int, min_ratio: float) -> None:
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = max(0, min(int(warmup_steps), self.total_steps - 1))
        self.min_ratio = float(min_ratio)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def build_optimizer(groups: list[dict], config: OptimConfig) -> torch.optim.AdamW:
    """AdamW over groups ``{"params", "lr", "weight_decay", "name"}``; empty groups dropped."""
    kept = [g for g in groups if g["params"]]
    if not kept:
        raise ValueError("no trainable parameters (are all towers and heads frozen?)")
    return torch.optim.AdamW(
        kept, betas=(config.beta1, config.beta2), eps=config.eps, weight_decay=config.weight_decay
    )


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps_per_epoch: int, epochs: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Per-optimiser-step warm-up + cosine schedule over the whole run."""
    total = steps_per_epoch * epochs
    warmup = round(config.warmup_epochs * steps_per_epoch)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, WarmupCosine(total, warmup, config.min_lr_ratio)
    )
