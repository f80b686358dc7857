"""The resolved configuration of a training run: one dataclass per concern, composed.

A preset TOML has one table per field below (``[model]``, ``[loss]``, ``[text]``,
``[render]``, ``[data]``, ``[data.augment]``, ``[optim]``) plus the top-level training keys;
:func:`load_train_config` resolves defaults ← preset ← files ← ``--set`` overrides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from affectvlm import config as _config
from affectvlm.data.augment import AugmentConfig
from affectvlm.losses import LossConfig
from affectvlm.model.config import ModelConfig, resolve_model_config
from affectvlm.render.config import RenderConfig
from affectvlm.text.config import TextConfig
from affectvlm.train.optim import OptimConfig


@dataclass
class DataConfig:
    """Where samples come from and how they are batched.

    ``cache_dir`` is the folder given to the render job (the settings-hash subfolder is
    found from ``[render]``); a relative path is taken relative to the manifest's folder.
    ``balance_by`` re-weights the training sampler so every group of that attribute is
    drawn equally often (inverse group frequency, with replacement); empty = plain shuffle.
    """

    cache_dir: str = "cache"
    balance_by: Literal["", "sex", "ethnicity", "age"] = ""
    batch_size: int = 16
    eval_batch_size: int = 32
    workers: int = 2
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.eval_batch_size < 1 or self.workers < 0:
            raise ValueError("batch sizes must be >= 1 and workers >= 0")


@dataclass
class TrainConfig:
    """Everything that decides a run's result (stored in every checkpoint, checked on resume).

    Towers are frozen with ``model.freeze_vision``/``model.freeze_text``. ``keep`` says which
    weights a run keeps: ``"best"``, those of the epoch with the best validation
    ``select_metric``, or ``"last"``, those at the end of the schedule (validation is still
    scored and plotted every epoch). ``patience`` stops training after that many epochs without
    a better validation ``select_metric`` (0 = never stop early; ``keep = "best"`` only).
    ``precision`` applies on CUDA only; CPU runs in fp32. ``classes`` empty means the fold
    file's classes.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    text: TextConfig = field(default_factory=TextConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    epochs: int = 20
    patience: int = 5
    select_metric: Literal["accuracy", "macro_f1"] = "accuracy"
    keep: Literal["best", "last"] = "best"
    seed: int = 0
    precision: Literal["fp32", "bf16", "fp16"] = "bf16"
    classes: list[str] = field(default_factory=list)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.patience < 0:
            raise ValueError("epochs must be >= 1 and patience >= 0")
        if self.keep not in ("best", "last"):
            raise ValueError(f'keep must be "best" or "last", got {self.keep!r}')
        if self.keep == "last" and self.patience:
            raise ValueError('early stopping (patience > 0) needs keep = "best"')


def load_train_config(
    preset: str | None = None, files: Iterable[str | Path] = (), overrides: Iterable[str] = ()
) -> TrainConfig:
    """Resolve a :class:`TrainConfig`: defaults ← preset (name in ``affectvlm/configs`` or a
    TOML path) ← files ← ``--set`` overrides. ``[model] preset = "tiny"`` expands a model
    preset first (see :func:`affectvlm.model.config.resolve_model_config`)."""
    data: dict[str, Any] = {}
    if preset:
        data = _config.merge(data, _config.read_preset(preset))
    for file in files:  # a TOML path, or the name of another shipped preset
        data = _config.merge(data, _config.read_preset(str(file)))
    for text in overrides:
        data = _config.merge(data, _config.parse_override(text))
    if "model" in data:
        if not isinstance(data["model"], Mapping):
            raise _config.ConfigError(f"model: expected a table, got {data['model']!r}")
        data["model"] = resolve_model_config(data["model"])
    return _config.from_dict(TrainConfig, data)
