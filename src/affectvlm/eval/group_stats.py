"""Resampling statistics of group metrics: metrics of stacked confusion matrices, subject
bootstrap counts, and a permutation test of "accuracy does not depend on the group"."""

from __future__ import annotations

import numpy as np


def accuracy(cm: np.ndarray) -> np.ndarray:
    """Accuracy of confusion matrices ``(..., C, C)``."""
    total = cm.sum(axis=(-2, -1))
    correct = np.trace(cm, axis1=-2, axis2=-1)
    return np.divide(correct, total, out=np.full(total.shape, np.nan), where=total > 0)


def macro_f1(cm: np.ndarray) -> np.ndarray:
    """Macro-F1 of confusion matrices ``(..., C, C)`` over the classes present in each
    (the rule of :func:`affectvlm.eval.metrics.classification_metrics`)."""
    cm = cm.astype(np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support, predicted = cm.sum(axis=-1), cm.sum(axis=-2)
    den = support + predicted
    f1 = np.divide(2 * tp, den, out=np.zeros_like(tp), where=den > 0)
    present = den > 0
    n = present.sum(axis=-1)
    return np.divide((f1 * present).sum(axis=-1), n, out=np.full(n.shape, np.nan), where=n > 0)


METRICS = {"accuracy": accuracy, "macro_f1": macro_f1}


def resample_weights(n: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """``(B, n)`` bootstrap counts: how often each of ``n`` subjects is drawn per replicate."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=replicates)


def spread(group_confusions: np.ndarray, metric: str) -> np.ndarray:
    """Best minus worst group: ``max - min`` over axis -3 of ``(..., k, C, C)`` matrices."""
    values = METRICS[metric](group_confusions)
    return values.max(axis=-1) - values.min(axis=-1)


def permutation_p_value(
    unit_confusions: np.ndarray,
    unit_groups: np.ndarray,
    metric: str,
    permutations: int,
    rng: np.random.Generator,
) -> float:
    """P-value of the observed best-minus-worst spread under "the group does not matter":
    group labels are shuffled across units (subjects), keeping every group's size; the
    spread is recomputed on the same footing as observed, so picking the most extreme pair
    out of many groups is accounted for. ``(1 + #{null >= observed}) / (1 + permutations)``."""
    k = int(unit_groups.max()) + 1
    onehot = np.eye(k)[unit_groups]  # (U, k)
    observed = spread(np.einsum("uk,ucd->kcd", onehot, unit_confusions), metric)
    labels = np.stack([rng.permutation(unit_groups) for _ in range(permutations)])
    null = spread(np.einsum("buk,ucd->bkcd", np.eye(k)[labels], unit_confusions), metric)
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + permutations))
