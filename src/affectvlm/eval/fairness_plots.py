"""Per-attribute figures of a demographic breakdown (see :mod:`affectvlm.eval.groups`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.plots import pyplot, save_figure

_METRICS = (("accuracy", "accuracy", "#3b75af"), ("macro_f1", "macro-F1", "#ef8636"))


def _tick(group: Mapping[str, Any]) -> str:
    text = f"{group['group']}\n{group['samples']} scans\n{group['subjects']} subj."
    return text + "\n(too few)" if group["small"] else text


def _error(group: Mapping[str, Any], metric: str) -> tuple[float, float]:
    ci = group.get(f"{metric}_ci")
    if not ci:
        return 0.0, 0.0
    value = group[metric]
    return max(value - ci[0], 0.0), max(ci[1] - value, 0.0)


def plot_group_breakdown(breakdown: Mapping[str, Any], path: str | Path) -> Path:
    """Grouped bars of one attribute: accuracy and macro-F1 per group with their subject
    bootstrap intervals (left), per-class recall per group (right). Groups with too few
    subjects are hatched and labelled; the title states the accuracy gap and its interval."""
    from affectvlm.eval.groups import format_gap

    plt = pyplot()
    groups = list(breakdown["groups"])
    x = np.arange(len(groups))
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(4.5 + 1.6 * len(groups), 4.2), gridspec_kw={"width_ratios": [1, 1.4]}
    )
    width = 0.38
    for k, (metric, label, colour) in enumerate(_METRICS):
        values = [g[metric] for g in groups]
        errors = np.array([_error(g, metric) for g in groups]).T.reshape(2, len(groups))
        bars = left.bar(
            x + (k - 0.5) * width, values, width, yerr=errors, capsize=3, color=colour, label=label
        )
        for bar, g in zip(bars, groups, strict=True):
            if g["small"]:
                bar.set_hatch("//")
                bar.set_alpha(0.45)
    left.set_xticks(x, [_tick(g) for g in groups], fontsize=8)
    left.set_ylim(0, 1.2)
    left.set_yticks(np.linspace(0, 1, 6))
    left.set_ylabel("test score")
    left.legend(fontsize=8, loc="upper center", ncol=2)
    left.grid(axis="y", alpha=0.3)
    left.set_title(f"by {breakdown['attribute']} ({_ci_label(breakdown)})", fontsize=9)

    classes = list(groups[0]["per_class_recall"]) if groups else []
    cmap = plt.get_cmap("tab10")
    step = 0.8 / max(len(groups), 1)
    for k, g in enumerate(groups):
        recall = [g["per_class_recall"][c] for c in classes]
        pos = np.arange(len(classes)) + (k - (len(groups) - 1) / 2) * step
        bars = right.bar(pos, recall, step, color=cmap(k % 10), label=g["group"])
        if g["small"]:
            for bar in bars:
                bar.set_hatch("//")
                bar.set_alpha(0.45)
    right.set_xticks(np.arange(len(classes)), classes, rotation=30, ha="right", fontsize=8)
    right.set_ylim(0, 1.2)
    right.set_yticks(np.linspace(0, 1, 6))
    right.set_ylabel("recall")
    right.legend(fontsize=8, loc="upper center", ncol=min(len(groups), 6))
    right.grid(axis="y", alpha=0.3)
    right.set_title("per-class recall", fontsize=9)
    fig.suptitle(format_gap(breakdown["gaps"]["accuracy"]), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def _ci_label(breakdown: Mapping[str, Any]) -> str:
    if not breakdown.get("bootstrap"):
        return "no intervals"
    return f"{100 * breakdown['confidence']:g} % intervals, subject bootstrap"


def plot_variant_groups(
    attribute: str, breakdowns: Mapping[str, Mapping[str, Any]], path: str | Path
) -> Path:
    """Test accuracy per group of ``attribute`` for several variants (``label → breakdown``
    of :func:`affectvlm.eval.groups.attribute_breakdown`), bars with subject-bootstrap
    intervals; groups with too few subjects hatched."""
    plt = pyplot()
    labels = list(breakdowns)
    groups: list[str] = []
    for b in breakdowns.values():
        groups += [g["group"] for g in b["groups"] if g["group"] not in groups]
    x = np.arange(len(groups))
    width = 0.8 / max(len(labels), 1)
    fig, ax = plt.subplots(figsize=(3.0 + 1.1 * len(groups) * max(len(labels), 2) / 2, 4.0))
    cmap = plt.get_cmap("tab10")
    for k, label in enumerate(labels):
        by_group = {g["group"]: g for g in breakdowns[label]["groups"]}
        present = [i for i, g in enumerate(groups) if g in by_group]
        rows = [by_group[groups[i]] for i in present]
        errors = np.array([_error(g, "accuracy") for g in rows]).T.reshape(2, len(rows))
        bars = ax.bar(
            x[present] + (k - (len(labels) - 1) / 2) * width,
            [g["accuracy"] for g in rows],
            width,
            yerr=errors,
            capsize=2,
            color=cmap(k % 10),
            label=label,
        )
        for bar, g in zip(bars, rows, strict=True):
            if g["small"]:
                bar.set_hatch("//")
                bar.set_alpha(0.45)
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("test accuracy")
    ax.set_xlabel(attribute)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", ncol=min(len(labels), 3))
    first = next(iter(breakdowns.values()), {})
    ax.set_title(f"test accuracy by {attribute} ({_ci_label(first)}; hatched: too few)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
