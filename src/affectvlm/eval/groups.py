"""Demographic breakdowns of a test set: metrics per group and the gap between groups.

The input is a prediction table (one row per test sample: subject, true and predicted
label, attributes). For each attribute (sex, ethnicity, age group) every group where the
attribute is known gets accuracy, macro-F1, per-class recall and its size in samples AND
subjects. Groups with fewer than ``min_subjects`` subjects are marked ``small``: reported,
but left out of the gap, since a handful of people says nothing about a population.

The gap is the best minus the worst group on a metric, over the groups that are not small.
Its confidence interval comes from a bootstrap that resamples SUBJECTS with replacement
within each group (scans of one person are not independent evidence), keeping each group's
subject count fixed, and recomputes the difference between the same two groups; the same
replicates give each group's own interval. Everything is numpy and seeded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from affectvlm.eval.group_stats import METRICS, permutation_p_value, resample_weights
from affectvlm.eval.metrics import classification_metrics

ATTRIBUTES: tuple[str, ...] = ("sex", "ethnicity", "age")
PREDICTION_COLUMNS: tuple[str, ...] = ("subject", "true", "pred", *ATTRIBUTES)


@dataclass
class GroupConfig:
    """How test sets are broken down by demographic attribute.

    ``age_bins`` are the lower edges of the age groups in years: ``[18, 30, 45, 60]`` gives
    18–29, 30–44, 45–59 and 60+ (ages below the first edge form their own group).
    """

    attributes: list[str] = field(default_factory=lambda: list(ATTRIBUTES))
    age_bins: list[int] = field(default_factory=lambda: [18, 30, 45, 60])
    min_subjects: int = 5
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.attributes) - set(ATTRIBUTES))
        if unknown:
            raise ValueError(f"unknown attributes {unknown} (known: {list(ATTRIBUTES)})")
        if not self.age_bins or list(self.age_bins) != sorted(set(self.age_bins)):
            raise ValueError(f"age_bins must be increasing edges, got {self.age_bins}")
        if self.min_subjects < 1 or self.bootstrap < 0 or not 0 < self.confidence < 1:
            raise ValueError("min_subjects >= 1, bootstrap >= 0 and 0 < confidence < 1 required")


@dataclass
class PredictionTable:
    """Per-sample test predictions: parallel arrays plus the attributes as strings.

    ``subjects`` should be unique across datasets (``dataset/subject``); an attribute value
    ``""`` means unknown.
    """

    subjects: np.ndarray  # (N,) str
    y_true: np.ndarray  # (N,) int64
    y_pred: np.ndarray  # (N,) int64
    attributes: dict[str, np.ndarray]  # name -> (N,) str
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.y_true)

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], class_names: Sequence[str]
    ) -> PredictionTable:
        """Rows with ``subject``, ``true``, ``pred`` (class names or indices) and attributes."""
        names = list(class_names)
        rows = list(rows)

        def label(value: Any, i: int) -> int:
            if isinstance(value, (int, np.integer)) and 0 <= value < len(names):
                return int(value)
            if value in names:
                return names.index(value)
            raise ValueError(f"prediction row {i}: label {value!r} is not one of {names}")

        return cls(
            subjects=np.array([str(r["subject"]) for r in rows], dtype=str),
            y_true=np.array([label(r["true"], i) for i, r in enumerate(rows)], dtype=np.int64),
            y_pred=np.array([label(r["pred"], i) for i, r in enumerate(rows)], dtype=np.int64),
            attributes={
                a: np.array([_text(r.get(a, "")) for r in rows], dtype=str) for a in ATTRIBUTES
            },
            class_names=names,
        )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def prediction_rows(
    records: Sequence[Any],
    y_true: Sequence[int],
    y_pred: Sequence[int],
    class_names: Sequence[str],
) -> list[dict[str, Any]]:
    """JSON-able rows of a prediction table from test records (``SampleRecord``-like) and
    label indices in ``class_names``; the subject is ``dataset/subject``."""
    if not len(records) == len(y_true) == len(y_pred):
        raise ValueError(
            f"{len(records)} records but {len(y_true)} labels and {len(y_pred)} predictions"
        )
    rows = []
    for record, t, p in zip(records, y_true, y_pred, strict=True):
        dataset = getattr(record, "dataset", "")
        rows.append(
            {
                "path": getattr(record, "path", ""),
                "subject": f"{dataset}/{record.subject}" if dataset else str(record.subject),
                "true": class_names[int(t)],
                "pred": class_names[int(p)],
                **{a: _text(getattr(record, a, "")) for a in ATTRIBUTES},
            }
        )
    return rows


def age_group(age: str | float, bins: Sequence[int]) -> str:
    """The age group of ``age`` (years) for lower edges ``bins``: ``"30–44"``, ``"60+"``,
    ``"<18"``; ``""`` when the age is unknown or not a number."""
    try:
        years = float(age)
    except (TypeError, ValueError):
        return ""
    if math.isnan(years):
        return ""
    if years < bins[0]:
        return f"<{bins[0]}"
    k = int(np.searchsorted(np.asarray(bins), years, side="right")) - 1
    return f"{bins[k]}+" if k == len(bins) - 1 else f"{bins[k]}–{bins[k + 1] - 1}"


def group_labels(table: PredictionTable, attribute: str, config: GroupConfig) -> np.ndarray:
    """Each sample's group for ``attribute`` (``""``: unknown)."""
    values = table.attributes[attribute]
    if attribute == "age":
        return np.array([age_group(v, config.age_bins) for v in values], dtype=str)
    return values


def record_groups(
    records: Sequence[Any], attribute: str, age_bins: Sequence[int] = (18, 30, 45, 60)
) -> list[str]:
    """The group of each record (``SampleRecord``-like) for ``attribute`` (``""``: unknown)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown attribute {attribute!r} (known: {list(ATTRIBUTES)})")
    values = [_text(getattr(r, attribute, "")) for r in records]
    if attribute == "age":
        return [age_group(v, age_bins) for v in values]
    return values


def balance_weights(
    records: Sequence[Any], attribute: str, age_bins: Sequence[int] = (18, 30, 45, 60)
) -> np.ndarray:
    """Sampling weights that give every group of ``attribute`` the same total weight
    (inverse group frequency; samples of unknown value form one more group), scaled to
    mean 1 — for a training sampler that draws each group equally often."""
    groups = record_groups(records, attribute, age_bins)
    if not groups:
        return np.zeros(0)
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * (len(weights) / weights.sum())


def _group_order(groups: Iterable[str], attribute: str, config: GroupConfig) -> list[str]:
    present = set(groups) - {""}
    if attribute != "age":
        return sorted(present)
    order = [f"<{config.age_bins[0]}"] + [age_group(b, config.age_bins) for b in config.age_bins]
    return [g for g in order if g in present]


def subject_confusions(
    table: PredictionTable, mask: np.ndarray, subjects: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Per-subject confusion matrices ``(S, C, C)`` of the samples in ``mask``, in the order
    of ``subjects`` (default: the sorted subjects present; others get zero matrices)."""
    present = table.subjects[mask]
    subjects = sorted(set(present.tolist())) if subjects is None else list(subjects)
    index = {s: i for i, s in enumerate(subjects)}
    missing = sorted(set(present.tolist()) - set(index))
    if missing:
        raise ValueError(f"subjects {missing[:3]} are not in the given subject list")
    c = len(table.class_names)
    rows = np.array([index[s] for s in present], dtype=np.int64)
    flat = rows * c * c + table.y_true[mask] * c + table.y_pred[mask]
    counts = np.bincount(flat, minlength=len(subjects) * c * c)
    return subjects, counts.reshape(len(subjects), c, c)


def _interval(samples: np.ndarray, confidence: float) -> list[float] | None:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return [float(lo), float(hi)]


def attribute_breakdown(
    table: PredictionTable, attribute: str, config: GroupConfig | None = None
) -> dict[str, Any]:
    """Per-group metrics of one attribute, the best–worst gap per metric with its subject
    bootstrap interval, and the number of samples whose attribute is unknown."""
    config = config or GroupConfig()
    labels = group_labels(table, attribute, config)
    rng = np.random.default_rng([config.seed, ATTRIBUTES.index(attribute)])
    groups, replicates, units = [], {}, {}
    for name in _group_order(labels, attribute, config):
        mask = labels == name
        subjects, confusions = subject_confusions(table, mask)
        m = classification_metrics(table.y_true[mask], table.y_pred[mask], table.class_names)
        entry: dict[str, Any] = {
            "group": name,
            "samples": int(mask.sum()),
            "subjects": len(subjects),
            "small": len(subjects) < config.min_subjects,
            "accuracy": m.accuracy,
            "macro_f1": m.macro_f1,
            "per_class_recall": dict(zip(m.class_names, m.per_class_recall, strict=True)),
            "class_support": dict(
                zip(m.class_names, np.asarray(m.confusion).sum(axis=1).tolist(), strict=True)
            ),
        }
        units[name] = confusions
        if config.bootstrap:
            weights = resample_weights(len(subjects), config.bootstrap, rng)
            boot = np.tensordot(weights, confusions, axes=(1, 0))  # (B, C, C)
            replicates[name] = {k: fn(boot) for k, fn in METRICS.items()}
            for k in METRICS:
                entry[f"{k}_ci"] = _interval(replicates[name][k], config.confidence)
        groups.append(entry)
    return {
        "attribute": attribute,
        "unknown_samples": int((labels == "").sum()),
        "min_subjects": config.min_subjects,
        "bootstrap": config.bootstrap,
        "confidence": config.confidence,
        "groups": groups,
        "gaps": {k: _gap(groups, replicates, units, k, config, rng) for k in METRICS},
    }


def _gap(
    groups: list[dict[str, Any]],
    replicates: Mapping[str, Mapping[str, np.ndarray]],
    units: Mapping[str, np.ndarray],
    metric: str,
    config: GroupConfig,
    rng: np.random.Generator,
) -> dict[str, Any]:
    eligible = [g for g in groups if not g["small"]]
    if len(eligible) < 2:
        return {
            "value": None,
            "reason": f"fewer than two groups with >= {config.min_subjects} subjects",
        }
    ranked = sorted(eligible, key=lambda g: g[metric])  # stable: ties keep group order
    worst, best = ranked[0], ranked[-1]
    out: dict[str, Any] = {
        "best": best["group"],
        "worst": worst["group"],
        "value": best[metric] - worst[metric],
        "ci": None,
        "p_value": None,
        "groups_compared": [g["group"] for g in eligible],
    }
    if replicates:
        diff = replicates[best["group"]][metric] - replicates[worst["group"]][metric]
        out["ci"] = _interval(diff, config.confidence)
        stacked = np.concatenate([units[g["group"]] for g in eligible])
        owner = np.repeat(np.arange(len(eligible)), [len(units[g["group"]]) for g in eligible])
        out["p_value"] = permutation_p_value(stacked, owner, metric, config.bootstrap, rng)
    return out


def group_breakdowns(
    table: PredictionTable, config: GroupConfig | None = None
) -> dict[str, dict[str, Any]]:
    """:func:`attribute_breakdown` for every configured attribute known for some sample."""
    config = config or GroupConfig()
    out = {}
    for attribute in config.attributes:
        if (group_labels(table, attribute, config) != "").any():
            out[attribute] = attribute_breakdown(table, attribute, config)
    return out


def group_report(
    rows: Iterable[Mapping[str, Any]],
    class_names: Sequence[str],
    config: GroupConfig | None = None,
) -> dict[str, Any]:
    """The ``groups`` object of a report from prediction rows (e.g. all test folds pooled):
    the settings, the number of samples and subjects, and one breakdown per attribute."""
    config = config or GroupConfig()
    table = PredictionTable.from_rows(rows, class_names)
    return {
        "config": asdict(config),
        "samples": len(table),
        "subjects": len(set(table.subjects.tolist())),
        "attributes": group_breakdowns(table, config),
    }


def format_gap(gap: Mapping[str, Any], metric: str = "accuracy") -> str:
    """One line for a report: ``"accuracy gap F − M: +4.2 pts [−1.0, +9.8]; permutation
    p=0.21 — no evidence that the groups differ"``."""
    if gap.get("value") is None:
        return f"{metric} gap: not estimated ({gap.get('reason', 'no groups')})"
    text = f"{metric} gap {gap['best']} − {gap['worst']}: {100 * gap['value']:+.1f} pts"
    if gap.get("ci"):
        lo, hi = gap["ci"]
        text += f" [{100 * lo:+.1f}, {100 * hi:+.1f}]"
    p = gap.get("p_value")
    if p is not None:
        verdict = "the groups differ" if p < 0.05 else "no evidence that the groups differ"
        text += f"; permutation p={p:.2g} — {verdict}"
    return text
