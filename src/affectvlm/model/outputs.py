"""Typed outputs of the AffectVLM model."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ImageEncoding:
    """Normalised image embeddings of a batch.

    ``frame_embeds`` is set for 4D input only (before temporal pooling).
    """

    view_embeds: torch.Tensor  # (B, V, D)
    fused_embed: torch.Tensor  # (B, D)
    frame_embeds: torch.Tensor | None = None  # (B, T, V, D)


@dataclass
class AffectVLMOutput:
    """Embeddings and scores of one forward pass; ``C`` is the number of text rows.

    ``logits`` are the fused scores used for prediction, ``view_logits`` the score of each
    view alone; both are already multiplied by ``logit_scale``.
    """

    view_embeds: torch.Tensor  # (B, V, D)
    fused_embed: torch.Tensor  # (B, D)
    logits: torch.Tensor  # (B, C)
    view_logits: torch.Tensor  # (B, V, C)
    text_embeds: torch.Tensor  # (C, D)
    logit_scale: torch.Tensor  # scalar, the exp'd and clamped temperature inverse
    frame_embeds: torch.Tensor | None = None  # (B, T, V, D) for 4D input
