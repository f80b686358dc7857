"""Figures of a study report: learning curves per variant and accuracy per variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.plots import pyplot, save_figure


def curve_stats(histories: Sequence[Sequence[Mapping[str, Any]]], key: str = "val_accuracy"):
    """``(epochs, mean, std, count)`` of ``key`` per epoch over runs (runs that stopped
    early simply stop contributing)."""
    per_epoch: dict[int, list[float]] = {}
    for history in histories:
        for h in history:
            if key in h:
                per_epoch.setdefault(int(h["epoch"]), []).append(float(h[key]))
    epochs = sorted(per_epoch)
    values = [np.asarray(per_epoch[e]) for e in epochs]
    return (
        np.asarray(epochs),
        np.asarray([v.mean() for v in values]),
        np.asarray([v.std() for v in values]),
        np.asarray([len(v) for v in values]),
    )


def plot_study_curves(
    curves: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    path: str | Path,
    title: str,
    chance: float | None = None,
) -> Path | None:
    """Validation accuracy per epoch, mean over folds × seeds with a ±1 std band, one line
    per variant. Returns None when no variant has a per-epoch history."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.8))
    drawn = 0
    for label, histories in curves.items():
        epochs, mean, std, count = curve_stats(histories)
        if not len(epochs):
            continue
        (line,) = ax.plot(
            epochs, mean, marker="o", markersize=3, label=f"{label} (n={count.max()})"
        )
        ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.15)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle=":", label="chance")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return save_figure(fig, path)


def plot_variant_bars(
    labels: Sequence[str],
    means: Sequence[float],
    stds: Sequence[float],
    path: str | Path,
    title: str,
    chance: float | None = None,
) -> Path:
    """Test accuracy (mean ± std over folds × seeds) per variant as horizontal bars."""
    plt = pyplot()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * n))
    y = np.arange(n)[::-1]
    ax.barh(
        y,
        [100 * m for m in means],
        xerr=[100 * s for s in stds],
        color="#4c72b0",
        alpha=0.85,
        capsize=3,
    )
    ax.set_yticks(y, labels=list(labels))
    if chance is not None:
        ax.axvline(100 * chance, color="grey", linestyle=":", label="chance")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)
