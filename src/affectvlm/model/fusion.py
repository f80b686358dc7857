"""Fusion of per-view embeddings and scores into one per-sample prediction."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ViewFusion(nn.Module):
    """Combine ``V`` view embeddings of one sample.

    ``mean``: the fused embedding is the renormalised mean of the normalised view
    embeddings and is scored against the text. ``logits``: the fused scores are the mean of
    the per-view scores (the fused embedding, used by the losses, is still the mean).
    ``learned``: like ``mean`` with softmax weights over views learnt from zero
    (uniform at start); requires exactly ``num_views`` views.
    """

    def __init__(self, mode: str, num_views: int) -> None:
        super().__init__()
        if mode not in ("mean", "logits", "learned"):
            raise ValueError(f"unknown fusion {mode!r} (mean, logits, learned)")
        self.mode = mode
        self.num_views = num_views
        self.view_logits = nn.Parameter(torch.zeros(num_views)) if mode == "learned" else None

    def weights(self, num_views: int, device: torch.device | None = None) -> torch.Tensor:
        """The view weights ``(V,)`` (uniform unless learned)."""
        if self.view_logits is None:
            return torch.full((num_views,), 1.0 / num_views, device=device)
        if num_views != self.num_views:
            raise ValueError(
                f"learned fusion was built for {self.num_views} views, got {num_views}"
            )
        return torch.softmax(self.view_logits, dim=0)

    def fuse_embeds(self, view_embeds: torch.Tensor) -> torch.Tensor:
        """``(B, V, D)`` normalised → ``(B, D)`` normalised."""
        w = self.weights(view_embeds.shape[1], view_embeds.device).to(view_embeds.dtype)
        return F.normalize((view_embeds * w[None, :, None]).sum(dim=1), dim=-1)

    def fuse_logits(
        self,
        fused_embed: torch.Tensor,
        view_logits: torch.Tensor,
        text_embeds: torch.Tensor,
        logit_scale: torch.Tensor,
    ) -> torch.Tensor:
        """Fused scores ``(B, C)`` from the fused embedding or the per-view scores ``(B, V, C)``."""
        if self.mode == "logits":
            return view_logits.mean(dim=1)
        return logit_scale * fused_embed @ text_embeds.t()
