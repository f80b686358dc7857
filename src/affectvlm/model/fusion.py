"""Fusion of per-view embeddings and scores into one per-sample prediction."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

MODES = ("probs", "mean", "logits", "learned")


class ViewFusion(nn.Module):
    """Combine ``V`` view embeddings of one sample.

    ``probs`` (the default): the fused class probabilities are the mean of the views' own
    softmax probabilities, returned as their logarithm (so ``softmax(logits)`` gives them
    back). A fused probability is therefore never above the largest view probability of that
    class: fusion cannot invent a class that no view supports. ``mean``: the fused embedding
    is the renormalised mean of the normalised view embeddings and is scored against the
    text (it can land on a class no view prefers). ``logits``: the fused scores are the mean
    of the per-view scores. ``learned``: like ``mean`` with softmax weights over views learnt
    from zero (uniform at start); requires exactly ``num_views`` views. The fused embedding
    used by the losses is the (weighted) mean in every mode.
    """

    def __init__(self, mode: str, num_views: int) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"unknown fusion {mode!r} ({', '.join(MODES)})")
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
        if self.mode == "probs":
            return mean_probability_logits(view_logits, dim=1)
        if self.mode == "logits":
            return view_logits.mean(dim=1)
        return logit_scale * fused_embed @ text_embeds.t()


def mean_probability_logits(
    logits: torch.Tensor, dim: int, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """``log`` of the (weighted) mean over ``dim`` of ``softmax(logits, -1)``.

    ``weights`` broadcast against ``logits`` without its class axis and sum to one over
    ``dim`` (uniform when None); a zero weight leaves that entry out.
    """
    log_p = torch.log_softmax(logits, dim=-1)
    if weights is None:
        return torch.logsumexp(log_p, dim=dim) - math.log(logits.shape[dim])
    log_w = torch.log(weights.to(log_p.dtype)).unsqueeze(-1)
    return torch.logsumexp(log_p + log_w, dim=dim)
