"""Figures of a run, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes


def pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    pyplot().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def plot_confusion(
    confusion: Sequence[Sequence[int]],
    class_names: Sequence[str],
    path: str | Path,
    title: str = "Confusion matrix",
) -> Path:
    """Confusion matrix PNG: cell colour = row-normalised rate (recall), cell text = count."""
    plt = pyplot()
    cm = np.asarray(confusion, dtype=np.int64)
    rows = cm.sum(axis=1, keepdims=True)
    rates = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * n, 0.8 + 0.7 * n))
    image = ax.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="row-normalised rate")
    ax.set_xticks(range(n), labels=list(class_names), rotation=45, ha="right")
    ax.set_yticks(range(n), labels=list(class_names))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            colour = "white" if rates[i, j] > 0.5 else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=colour, fontsize=9)
    return save_figure(fig, path)


def plot_learning_curves(history: Sequence[Mapping[str, float]], path: str | Path) -> Path:
    """Learning curves PNG from per-epoch logs: loss terms, α and temperature, val accuracy.

    ``history`` holds one dict per epoch with an ``epoch`` key; keys starting with ``loss``
    go to the first panel, ``alpha``/``temperature`` to the second, ``val_*`` metrics to
    the third. Missing keys are skipped.
    """
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    keys = sorted({k for h in history for k in h})
    panels = [
        ("loss terms", [k for k in keys if k.startswith("loss")]),
        ("α and temperature", [k for k in keys if k in ("alpha", "temperature")]),
        ("validation", [k for k in keys if k.startswith("val_") and "loss" not in k]),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (title, names) in zip(axes, panels, strict=True):
        for name in names:
            points = [(e, h[name]) for e, h in zip(epochs, history, strict=True) if name in h]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", markersize=3, label=name)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if names:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return save_figure(fig, path)
