"""The report of a run: ``results.json`` (per-fold metrics + summary + provenance),
``report.md``, the pooled confusion matrix of all test folds and — when the folds carry
per-sample test predictions — the demographic breakdowns (``groups`` in ``results.json``,
``predictions.csv``, one ``groups_<attribute>.png`` per attribute)."""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.groups import PREDICTION_COLUMNS, GroupConfig, format_gap, group_report
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
    groups: GroupConfig | None = None,
) -> dict[str, Any]:
    """Write ``results.json``, ``prompts.json``, ``report.md`` and ``confusion.png`` to
    ``out_dir``; return the results dict. ``folds`` are :meth:`FoldResult.to_dict` dicts;
    their ``predictions`` rows (if any) are pooled into the demographic breakdowns."""
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
        "groups": write_group_breakdowns(out, folds, groups),
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


def pooled_predictions(folds: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every fold's per-sample test predictions, tagged with the fold."""
    return [{"fold": f["fold"], **row} for f in folds for row in (f.get("predictions") or [])]


def write_group_breakdowns(
    out_dir: str | Path,
    folds: Sequence[Mapping[str, Any]],
    config: GroupConfig | None = None,
) -> dict[str, Any]:
    """Pool the folds' test predictions, write ``predictions.csv`` and one
    ``groups_<attribute>.png`` per attribute, and return the ``groups`` object of
    ``results.json`` (with ``available: false`` when no fold kept its predictions)."""
    from affectvlm.eval.fairness_plots import plot_group_breakdown

    rows = pooled_predictions(folds)
    if not rows:
        return {"available": False, "reason": "the folds carry no per-sample test predictions"}
    out = Path(out_dir)
    write_predictions_csv(out / "predictions.csv", rows)
    report = group_report(rows, folds[0]["class_names"], config)
    for attribute, breakdown in report["attributes"].items():
        plot_group_breakdown(breakdown, out / f"groups_{attribute}.png")
        breakdown["figure"] = f"groups_{attribute}.png"
    return {"available": True, "predictions": "predictions.csv", **report}


def write_predictions_csv(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """The pooled prediction table as CSV (fold, path, subject, true, pred, attributes)."""
    import csv
    import io

    columns = ["fold", "path", *PREDICTION_COLUMNS]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buf.getvalue())


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
        "| fold | kept epoch | val acc | test acc | test macro-F1 | test samples |",
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
    lines += format_groups_markdown(results.get("groups"))
    return "\n".join(lines) + "\n"


def format_groups_markdown(groups: Mapping[str, Any] | None) -> list[str]:
    """The "By group" section: one table per attribute, the gaps and the figure names."""
    if not groups:
        return []
    lines = ["", "## By group (all test folds pooled)", ""]
    if not groups.get("available"):
        return [*lines, f"Not available: {groups.get('reason', 'no predictions')}."]
    cfg = groups["config"]
    lines += [
        f"{groups['samples']} test samples of {groups['subjects']} subjects. Intervals: "
        f"{100 * cfg['confidence']:g} % bootstrap over subjects ({cfg['bootstrap']} "
        f"resamples, seed {cfg['seed']}); groups with fewer than {cfg['min_subjects']} "
        "subjects are marked *too few* and left out of the gaps.",
    ]
    for attribute, b in groups["attributes"].items():
        lines += [
            "",
            f"### {attribute}" + (f" (`{b['figure']}`)" if "figure" in b else ""),
            "",
            "| group | scans | subjects | accuracy | macro-F1 | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for g in b["groups"]:
            lines.append(
                f"| {g['group']} | {g['samples']} | {g['subjects']} | "
                f"{_pct_ci(g['accuracy'], g.get('accuracy_ci'))} | "
                f"{_pct_ci(g['macro_f1'], g.get('macro_f1_ci'))} | "
                f"{'too few' if g['small'] else ''} |"
            )
        if b["unknown_samples"]:
            lines.append(f"\n{b['unknown_samples']} samples with unknown {attribute} left out.")
        lines += ["", f"- {format_gap(b['gaps']['accuracy'], 'accuracy')}"]
        lines += [f"- {format_gap(b['gaps']['macro_f1'], 'macro-F1')}"]
    return lines


def _pct_ci(value: float, ci: Sequence[float] | None) -> str:
    text = f"{100 * value:.1f}"
    return text + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")
