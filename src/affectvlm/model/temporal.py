"""Pooling of per-frame embeddings over time for 4D sequences."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TemporalPooling(nn.Module):
    """``(B, T, V, D)`` normalised frame embeddings → ``(B, V, D)`` normalised.

    ``mean`` averages the valid frames; ``attention`` weights them by a softmax over
    ``z_t · q`` with a learnt query ``q`` that starts at zero (so it starts as the mean).
    ``frame_mask (B, T)`` marks real frames when sequences were padded to one length.
    """

    def __init__(self, mode: str, embed_dim: int) -> None:
        super().__init__()
        if mode not in ("mean", "attention"):
            raise ValueError(f"unknown temporal pooling {mode!r} (mean, attention)")
        self.mode = mode
        self.query = nn.Parameter(torch.zeros(embed_dim)) if mode == "attention" else None

    def frame_weights(
        self, frame_embeds: torch.Tensor, frame_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Weights ``(B, T, V)`` that sum to one over valid frames."""
        b, t, v, _ = frame_embeds.shape
        if self.query is None:
            scores = frame_embeds.new_zeros(b, t, v)
        else:
            scores = frame_embeds @ self.query.to(frame_embeds.dtype)
        if frame_mask is not None:
            mask = frame_mask.to(torch.bool).to(frame_embeds.device)
            if mask.shape != (b, t):
                raise ValueError(f"frame_mask must be {(b, t)}, got {tuple(mask.shape)}")
            if not bool(mask.any(dim=1).all()):
                raise ValueError("frame_mask: every sequence needs at least one valid frame")
            scores = scores.masked_fill(~mask[:, :, None], float("-inf"))
        return torch.softmax(scores, dim=1)

    def forward(
        self, frame_embeds: torch.Tensor, frame_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        w = self.frame_weights(frame_embeds, frame_mask)
        return F.normalize((frame_embeds * w[..., None]).sum(dim=1), dim=-1)
