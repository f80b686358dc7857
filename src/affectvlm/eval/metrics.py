"""Classification metrics in plain numpy: accuracy, macro-F1, per-class recall, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts; row = true class, column = predicted class."""
    t = np.asarray(y_true, dtype=np.int64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    for name, arr in (("y_true", t), ("y_pred", p)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f"{name} holds a label outside 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass
class ClassificationMetrics:
    """Metrics of one evaluation; per-class lists follow ``class_names``."""

    accuracy: float
    macro_f1: float
    per_class_recall: list[float]
    per_class_f1: list[float]
    confusion: list[list[int]]
    class_names: list[str]
    num_samples: int
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class_recall": dict(zip(self.class_names, self.per_class_recall, strict=True)),
            "per_class_f1": dict(zip(self.class_names, self.per_class_f1, strict=True)),
            "confusion": self.confusion,
            "class_names": self.class_names,
            "num_samples": self.num_samples,
            **self.extra,
        }


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], class_names: Sequence[str]
) -> ClassificationMetrics:
    """Accuracy, macro-F1, per-class recall/F1 and the confusion matrix.

    Macro-F1 averages F1 over the classes that occur in ``y_true`` or ``y_pred`` (as
    scikit-learn does when labels are inferred); a class absent from both is left out.
    """
    names = list(class_names)
    cm = confusion_matrix(y_true, y_pred, len(names))
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    recall = _safe_div(tp, support)
    precision = _safe_div(tp, predicted)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    present = (support + predicted) > 0
    total = int(cm.sum())
    return ClassificationMetrics(
        accuracy=float(tp.sum() / total) if total else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        per_class_recall=[float(r) for r in recall],
        per_class_f1=[float(v) for v in f1],
        confusion=cm.tolist(),
        class_names=names,
        num_samples=total,
    )


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (``ddof=0``, as CV papers usually report)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std())
