"""The report of a run: ``results.json`` (per-fold metrics + summary + provenance),
``report.md`` and the pooled confusion matrix of all test folds."""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.metrics import mean_std
from affectvlm.fileio import atomic_write_json, atomic_write_text


def summarise(folds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean ± std (population) over folds of test accuracy and macro-F1, plus pooled counts."""
    acc = [f["test_metrics"]["accuracy"] for f in folds]
    f1 = [f["test_metrics"]["macro_f1"] for f in folds]
    acc_mean, acc_std = mean_std(acc)
    f1_mean, f1_std = mean_std(f1)
    summary: dict[str, Any] = {
        "folds": len(folds),
        "accuracy_mean": acc_mean,
        "accuracy_std": acc_std,
        "macro_f1_mean": f1_mean,
        "macro_f1_std": f1_std,
    }
    if folds:
        names = folds[0]["class_names"]
        pooled = np.sum([np.asarray(f["test_metrics"]["confusion"]) for f in folds], axis=0)
        summary["pooled_confusion"] = pooled.tolist()
        summary["class_names"] = list(names)
        summary["test_samples"] = int(pooled.sum())
    return summary


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that made the run, shell-quoted."""
    return shlex.join(list(sys.argv if argv is None else argv))


def write_report(
    out_dir: str | Path,
    folds: Sequence[Mapping[str, Any]],
    *,
    config: Mapping[str, Any],
    prompt_bank: Mapping[str, Any],
    prompt_fingerprint: str,
    folds_file: str | Path | None,
    folds_hash: str,
    command: str | None = None,
) -> dict[str, Any]:
    """Write ``results.json``, ``prompts.json``, ``report.md`` and ``confusion.png`` to
    ``out_dir``; return the results dict. ``folds`` are :meth:`FoldResult.to_dict` dicts."""
    from affectvlm import __version__
    from affectvlm.eval.plots import plot_confusion

    out = Path(out_dir)
    summary = summarise(folds)
    atomic_write_json(out / "prompts.json", dict(prompt_bank))
    results = {
        "affectvlm_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else command_line(),
        "folds_file": {"path": str(folds_file) if folds_file else None, "content_hash": folds_hash},
        "prompts": {"fingerprint": prompt_fingerprint, "file": "prompts.json"},
        "config": dict(config),
        "summary": summary,
        "folds": [
            {
                k: f[k]
                for k in (
                    "fold",
                    "best_epoch",
                    "epochs_run",
                    "select_metric",
                    "val_metrics",
                    "test_metrics",
                    "model_dir",
                )
            }
            for f in folds
        ],
    }
    atomic_write_json(out / "results.json", results)
    if folds:
        plot_confusion(
            summary["pooled_confusion"],
            summary["class_names"],
            out / "confusion.png",
            f"all test folds ({summary['test_samples']} samples)",
        )
    atomic_write_text(out / "report.md", format_markdown(results))
    return results


def format_markdown(results: Mapping[str, Any]) -> str:
    """A short human-readable summary of ``results.json``."""
    s = results["summary"]
    lines = [
        "# AffectVLM results",
        "",
        f"- command: `{results['command']}`",
        f"- folds file hash: `{results['folds_file']['content_hash'][:16]}`, "
        f"prompt set: `{results['prompts']['fingerprint']}`",
        f"- test accuracy: **{100 * s['accuracy_mean']:.2f} ± {100 * s['accuracy_std']:.2f} %**, "
        f"macro-F1: **{100 * s['macro_f1_mean']:.2f} ± {100 * s['macro_f1_std']:.2f} %** "
        f"over {s['folds']} fold(s) (mean ± population std)",
        "",
        "| fold | best epoch | val acc | test acc | test macro-F1 | test samples |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for f in results["folds"]:
        t = f["test_metrics"]
        val = f["val_metrics"].get("accuracy")
        val_text = f"{100 * val:.2f}" if val is not None else "–"
        lines.append(
            f"| {f['fold']} | {f['best_epoch']} | {val_text} | {100 * t['accuracy']:.2f} | "
            f"{100 * t['macro_f1']:.2f} | {t['num_samples']} |"
        )
    if "pooled_confusion" in s:
        lines += ["", "Pooled confusion matrix of all test folds: `confusion.png`."]
    return "\n".join(lines) + "\n"
