"""The outcome of one fold (:class:`FoldResult`) and its file, ``<fold dir>/fold_result.json``.

Every learner — the trainer (either head), the zero-shot arm and the PCA baseline — writes
its fold through :func:`save_fold_result` and every reader goes through
:func:`load_fold_result`, so the schema lives here only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from affectvlm.fileio import atomic_write_json

FOLD_RESULT_FILE = "fold_result.json"


@dataclass
class FoldResult:
    """One fold: the selected epoch, its validation metrics and the test metrics.

    ``extra_test_metrics`` are the metrics of the selected model on other test sets (e.g.
    another face family), by name; ``extras`` hold what a learner adds (the zero-shot
    summary, a baseline's chosen hyper-parameters).
    """

    fold: int
    best_epoch: int
    epochs_run: int
    select_metric: str
    val_metrics: dict[str, Any]
    test_metrics: dict[str, Any]
    class_names: list[str]
    model_dir: str
    history: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)  # per test sample
    extra_test_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FoldResult:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def fold_result_path(fold_dir: str | Path) -> Path:
    return Path(fold_dir) / FOLD_RESULT_FILE


def save_fold_result(fold_dir: str | Path, result: FoldResult) -> Path:
    """Write ``fold_result.json`` atomically (it marks the fold as finished)."""
    return atomic_write_json(fold_result_path(fold_dir), result.to_dict())


def load_fold_result(fold_dir: str | Path) -> FoldResult | None:
    """The fold's result, or None when the fold has not finished."""
    path = fold_result_path(fold_dir)
    if not path.is_file():
        return None
    return FoldResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
