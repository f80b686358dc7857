"""The AffectVLM module: a weight-shared vision tower over views (and frames), a text
tower over emotion prompts, view fusion and a CLIP temperature."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from affectvlm.model.config import ModelConfig
from affectvlm.model.fusion import ViewFusion, mean_probability_logits
from affectvlm.model.outputs import AffectVLMOutput, ImageEncoding
from affectvlm.model.temporal import TemporalPooling
from affectvlm.model.towers import Towers, build_towers
from affectvlm.text.config import TextConfig
from affectvlm.text.prompts import PromptBank


class AffectVLM(nn.Module):
    """CLIP-style emotion model over multiview renders.

    Images are ``(B, V, 3, H, W)`` (3D scans) or ``(B, T, V, 3, H, W)`` (4D sequences),
    RGB float in [0, 1] (or uint8), resized to the tower's input size if needed and
    normalised here. Text is a list of prompts; embeddings are L2-normalised.
    """

    def __init__(
        self, config: ModelConfig, towers: Towers, prompt_bank: PromptBank | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.vision_tower = towers.vision
        self.text_tower = towers.text
        self.fusion = ViewFusion(config.fusion, config.num_views)
        self.temporal = TemporalPooling(config.temporal_pooling, config.embed_dim)
        scale = towers.logit_scale or 1.0 / config.init_temperature
        scale = min(scale, config.max_logit_scale)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(scale)))
        self.class_head: nn.Linear | None = None
        if config.head == "linear":  # one learned class vector instead of a prompt embedding
            if not config.classes:
                raise ValueError('head = "linear" needs the class names (model.classes)')
            self.class_head = nn.Linear(config.embed_dim, len(config.classes), bias=False)
            nn.init.normal_(self.class_head.weight, std=config.embed_dim**-0.5)
        self.register_buffer("image_mean", torch.tensor(config.image_mean), persistent=False)
        self.register_buffer("image_std", torch.tensor(config.image_std), persistent=False)
        self.prompt_bank = prompt_bank
        self._frozen = {"vision": False, "text": False}
        self.freeze_towers(vision=config.freeze_vision, text=config.freeze_text)

    @classmethod
    def from_config(
        cls,
        config: ModelConfig,
        text_config: TextConfig | None = None,
        prompt_bank: PromptBank | None = None,
    ) -> AffectVLM:
        """Build the towers (pretrained or random, per ``config``) and the prompt bank."""
        bank = prompt_bank or PromptBank.from_config(text_config or TextConfig())
        return cls(config, build_towers(config), bank)

    @classmethod
    def from_pretrained(cls, directory: str | Path, map_location: str = "cpu") -> AffectVLM:
        """Load a directory written by :meth:`save_pretrained`, offline."""
        from affectvlm.model.pretrained import load_pretrained

        return load_pretrained(directory, map_location=map_location)

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write config, weights, tokenizer and prompt bank to ``directory`` (atomically)."""
        from affectvlm.model.pretrained import save_pretrained

        return save_pretrained(self, directory)

    @property
    def device(self) -> torch.device:
        return self.logit_scale.device

    def scale(self) -> torch.Tensor:
        """The logit scale ``exp(t)``, clamped at ``max_logit_scale`` as in CLIP."""
        return self.logit_scale.clamp(max=math.log(self.config.max_logit_scale)).exp()

    def freeze_towers(self, vision: bool = True, text: bool = True) -> None:
        """Freeze (True) or unfreeze (False) each tower's backbone; heads stay trainable.

        A frozen backbone also stays in eval mode (no dropout) when ``train()`` is called.
        """
        self._frozen = {"vision": vision, "text": text}
        for tower, frozen in ((self.vision_tower, vision), (self.text_tower, text)):
            for p in tower.encoder.parameters():
                p.requires_grad_(not frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> AffectVLM:
        super().train(mode)
        if self._frozen["vision"]:
            self.vision_tower.encoder.eval()
        if self._frozen["text"]:
            self.text_tower.encoder.eval()
        return self

    def _pixels(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in [0, 1] (or uint8) → normalised tower input."""
        images = images.to(self.device)
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        images = images.to(self.image_mean.dtype)
        size = self.vision_tower.image_size
        if images.shape[-2:] != (size, size):
            images = F.interpolate(
                images, size=(size, size), mode="bilinear", align_corners=False, antialias=True
            )
        return (images - self.image_mean[:, None, None]) / self.image_std[:, None, None]

    def encode_images(
        self, images: torch.Tensor, frame_mask: torch.Tensor | None = None
    ) -> ImageEncoding:
        """Normalised per-view (and per-frame) embeddings and the fused embedding."""
        if images.ndim not in (5, 6) or images.shape[-3] != 3:
            raise ValueError(
                f"images must be (B, V, 3, H, W) or (B, T, V, 3, H, W), got {tuple(images.shape)}"
            )
        lead = images.shape[:-3]
        flat = self.vision_tower(self._pixels(images.reshape(-1, *images.shape[-3:])))
        embeds = F.normalize(flat, dim=-1).reshape(*lead, -1)
        frame_embeds = None
        if images.ndim == 6:
            frame_embeds = embeds
            embeds = self.temporal(frame_embeds, frame_mask)
        elif frame_mask is not None:
            raise ValueError("frame_mask is only meaningful for (B, T, V, 3, H, W) input")
        return ImageEncoding(embeds, self.fusion.fuse_embeds(embeds), frame_embeds)

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Normalised text embeddings ``(N, D)``."""
        return F.normalize(self.text_tower(list(texts)), dim=-1)

    def class_text_embeddings(
        self,
        prompt_bank: PromptBank | None,
        class_names: Sequence[str],
        attributes: Mapping[str, Any] | None = None,
    ) -> torch.Tensor:
        """One embedding per class ``(C, D)``: the renormalised mean over its prompts.

        ``prompt_bank`` None uses the model's own bank (the one saved with it).
        """
        bank = prompt_bank or self.prompt_bank
        if bank is None:
            raise ValueError("no prompt bank: pass one or build the model with a TextConfig")
        prompts = [bank.all(name, attributes) for name in class_names]
        embeds = self.encode_text([p for group in prompts for p in group])
        chunks = torch.split(embeds, [len(group) for group in prompts])
        return F.normalize(torch.stack([c.mean(dim=0) for c in chunks]), dim=-1)

    def class_embeddings(
        self,
        prompt_bank: PromptBank | None,
        class_names: Sequence[str],
        attributes: Mapping[str, Any] | None = None,
    ) -> torch.Tensor:
        """What images are scored against for ``class_names`` ``(C, D)``: the prompt
        ensembles (:meth:`class_text_embeddings`) or, with a linear head, its class vectors."""
        if self.class_head is None:
            return self.class_text_embeddings(prompt_bank, class_names, attributes)
        known = list(self.config.classes)
        unknown = [c for c in class_names if c not in known]
        if unknown:
            raise ValueError(
                f"this model's linear class head knows {known}, not {unknown}; "
                "classes outside training need a text-head model"
            )
        return self.class_head.weight[[known.index(c) for c in class_names]]

    def forward(
        self,
        images: torch.Tensor,
        text_embeds: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
    ) -> AffectVLMOutput:
        """Score images against normalised ``text_embeds (C, D)``, per view and fused."""
        return self.score(self.encode_images(images, frame_mask), text_embeds, frame_mask)

    def score(
        self,
        enc: ImageEncoding,
        text_embeds: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
    ) -> AffectVLMOutput:
        """Per-view and fused scores of an :meth:`encode_images` result.

        For 4D input under ``probs`` fusion each view's probabilities are the temporal
        pooling weights' mean of its frames' own probabilities (so a sequence, like a view,
        can only be given a class its frames support), then fused over views.
        """
        text_embeds = text_embeds.to(enc.view_embeds.dtype)
        scale = self.scale()
        if enc.frame_embeds is not None and self.fusion.mode == "probs":
            frame_logits = scale * enc.frame_embeds @ text_embeds.t()  # (B, T, V, C)
            weights = self.temporal.frame_weights(enc.frame_embeds, frame_mask)
            view_logits = mean_probability_logits(frame_logits, dim=1, weights=weights)
        else:
            view_logits = scale * enc.view_embeds @ text_embeds.t()
        logits = self.fusion.fuse_logits(enc.fused_embed, view_logits, text_embeds, scale)
        return AffectVLMOutput(
            view_embeds=enc.view_embeds,
            fused_embed=enc.fused_embed,
            logits=logits,
            view_logits=view_logits,
            text_embeds=text_embeds,
            logit_scale=scale,
            frame_embeds=enc.frame_embeds,
        )

    def score_prompts(
        self, images: torch.Tensor, prompts: Sequence[str], frame_mask: torch.Tensor | None = None
    ) -> AffectVLMOutput:
        """Zero-shot scores of images against free-text ``prompts`` (one column each)."""
        return self.forward(images, self.encode_text(prompts), frame_mask)
