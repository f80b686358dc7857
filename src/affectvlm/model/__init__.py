"""The AffectVLM model: towers, view fusion, temporal pooling, save/load and presets."""

from affectvlm.model.affectvlm import AffectVLM
from affectvlm.model.config import (
    ModelConfig,
    TextTowerConfig,
    VisionTowerConfig,
    model_preset,
    preset_names,
    resolve_model_config,
)
from affectvlm.model.errors import ModelLoadError
from affectvlm.model.optim import param_groups
from affectvlm.model.outputs import AffectVLMOutput, ImageEncoding

__all__ = [
    "AffectVLM",
    "AffectVLMOutput",
    "ImageEncoding",
    "ModelConfig",
    "ModelLoadError",
    "TextTowerConfig",
    "VisionTowerConfig",
    "model_preset",
    "param_groups",
    "preset_names",
    "resolve_model_config",
]
