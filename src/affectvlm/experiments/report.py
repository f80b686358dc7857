"""The study report: ``runs.csv`` (one row per run), ``report.md`` and its PNGs.

Every number in the report is computed here from the runs' ``fold_result.json`` files;
the conclusions are sentences generated from those numbers, so a claim the data does not
support reads as such.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.metrics import mean_std
from affectvlm.experiments.fairness import fairness_section, model_recovery
from affectvlm.experiments.plots import plot_study_curves, plot_variant_bars
from affectvlm.experiments.report_text import CVCheck, format_report
from affectvlm.experiments.stats import paired_t_test, sign_flip_test
from affectvlm.experiments.study import Study, expand_runs, expand_variants
from affectvlm.fileio import atomic_write_text
from affectvlm.train.cv import fold_dir
from affectvlm.train.result import load_fold_result

CONVERGENCE_FRACTION = 0.9


def epochs_to_fraction(
    history: Sequence[Mapping[str, Any]], fraction: float = CONVERGENCE_FRACTION
):
    """First epoch whose validation accuracy reaches ``fraction`` of the last epoch's;
    None without a history."""
    points = [(int(h["epoch"]), float(h["val_accuracy"])) for h in history if "val_accuracy" in h]
    if not points:
        return None
    target = fraction * points[-1][1]
    return next(e for e, acc in points if acc >= target - 1e-12)


def collect_rows(study: Study, out: Path, seeds: Sequence[int], folds: Sequence[int]) -> list[dict]:
    """One row per finished unit with its metrics (missing units are left out)."""
    labels = {v.name: (v.title, v.kind) for v in expand_variants(study.variants)}
    timing = _read(out / "timing.json") or {}
    rows = []
    for unit in expand_runs(study, list(seeds), list(folds)):
        where = fold_dir(unit.run_dir(out), unit.fold)
        r = load_fold_result(where)
        if r is None:
            continue
        t = r.test_metrics
        history = r.history
        row: dict[str, Any] = {
            "variant": unit.variant,
            "label": labels[unit.variant][0],
            "kind": labels[unit.variant][1],
            "seed": unit.seed,
            "fold": unit.fold,
            "test_accuracy": t["accuracy"],
            "test_macro_f1": t["macro_f1"],
        }
        for name, metrics in sorted(r.extra_test_metrics.items()):
            row[f"test_accuracy@{name}"] = metrics["accuracy"]
            row[f"test_macro_f1@{name}"] = metrics["macro_f1"]
        row |= {
            "val_accuracy": r.val_metrics.get("accuracy"),
            "best_epoch": r.best_epoch,
            "epochs_run": r.epochs_run,
            "final_val_accuracy": history[-1].get("val_accuracy") if history else None,
            "epochs_to_90": epochs_to_fraction(history),
            "test_samples": t["num_samples"],
            "wall_s": timing.get(f"{unit.variant}/seed_{unit.seed}/fold_{unit.fold}"),
            "result_file": str((where / "fold_result.json").relative_to(out)),
        }
        for name, value in t["per_class_recall"].items():
            row[f"recall_{name}"] = value
        if "zero_shot" in r.extras:
            shot = r.extras["zero_shot"]
            row["heldout"] = shot["holdout"]
            row["heldout_recall"] = shot["recall"]
            row["heldout_predicted_as"] = json.dumps(shot["predicted_as"])
        row["_history"] = history
        rows.append(row)
    return rows


def extra_test_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the extra test sets (e.g. another face family) found in the rows."""
    return sorted({k.split("@", 1)[1] for r in rows for k in r if k.startswith("test_accuracy@")})


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def runs_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV text of the rows (history left out), columns in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if not k.startswith("_") and k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buf.getvalue()


def per_fold(
    rows: Sequence[Mapping[str, Any]], variant: str, key: str, by_seed: bool = False
) -> dict[Any, float]:
    """Mean of ``key`` over seeds per fold (or per ``(fold, seed)`` run) for one variant."""
    groups: dict[Any, list[float]] = {}
    for r in rows:
        if r["variant"] == variant and r.get(key) is not None:
            unit = (r["fold"], r["seed"]) if by_seed else r["fold"]
            groups.setdefault(unit, []).append(float(r[key]))
    return {k: float(np.mean(v)) for k, v in sorted(groups.items())}


def compare(rows: Sequence[Mapping[str, Any]], variant: str, reference: str, key: str):
    """Paired tests of ``variant − reference`` over the folds both have (seed-averaged);
    with fewer than 2 shared folds (a cross-dataset protocol) over the shared seeds
    instead. None when fewer than 2 pairs exist."""
    for by_seed, over in ((False, "folds"), (True, "runs (fold, seed)")):
        a, b = per_fold(rows, variant, key, by_seed), per_fold(rows, reference, key, by_seed)
        common = sorted(set(a) & set(b))
        if len(common) >= 2:
            xs, ys = [a[k] for k in common], [b[k] for k in common]
            return (
                replace(paired_t_test(xs, ys), over=over),
                replace(sign_flip_test(xs, ys), over=over),
            )
    return None


def summarise_variants(rows: Sequence[Mapping[str, Any]], study: Study) -> list[dict[str, Any]]:
    """Mean ± std (population, over folds × seeds) per variant, and the test vs reference
    (``vs_ref`` on the study's own test subjects, ``vs_ref@<name>`` on each extra test set)."""
    ref = study.reference_name
    extras = extra_test_names(rows)
    keys = ["test_accuracy", "test_macro_f1", "epochs_to_90", "final_val_accuracy"]
    keys += [f"test_accuracy@{name}" for name in extras]
    out = []
    for v in expand_variants(study.variants):
        mine = [r for r in rows if r["variant"] == v.name]
        if not mine:
            continue
        s: dict[str, Any] = {"variant": v.name, "label": v.title, "kind": v.kind, "runs": len(mine)}
        for key in keys:
            vals = [r[key] for r in mine if r.get(key) is not None]
            s[key] = mean_std(vals) if vals else None
        recalls = sorted(k for k in mine[0] if k.startswith("recall_"))
        s["recall"] = {k[7:]: float(np.mean([r[k] for r in mine])) for k in recalls}
        s["wall_s"] = sum(r["wall_s"] or 0.0 for r in mine)
        if v.name != ref:
            s["vs_ref"] = compare(rows, v.name, ref, "test_accuracy")
            s["vs_ref_f1"] = compare(rows, v.name, ref, "test_macro_f1")
            s["vs_ref_conv"] = compare(rows, v.name, ref, "epochs_to_90")
            for name in extras:
                s[f"vs_ref@{name}"] = compare(rows, v.name, ref, f"test_accuracy@{name}")
        out.append(s)
    return out


def write_study_report(
    study: Study,
    out: str | Path,
    seeds: Sequence[int],
    folds: Sequence[int],
    *,
    data: Any,
    foldset: Any,
    command: str | None,
    report_dir: str | Path | None = None,
    failures: Mapping[str, str] | None = None,
    cv_check: CVCheck | None = None,
    device: str = "auto",
) -> Path:
    """Write ``runs.csv``, the PNGs and ``report.md`` to ``report_dir`` (default
    ``<out>/report``); return the path of ``report.md``."""
    out = Path(out)
    target = Path(report_dir) if report_dir else out / "report"
    target.mkdir(parents=True, exist_ok=True)
    rows = collect_rows(study, out, seeds, folds)
    atomic_write_text(target / "runs.csv", runs_csv(rows))
    summary = summarise_variants(rows, study)
    chance = 1.0 / len(foldset.protocol.classes)
    figures = []
    if summary:
        plot_variant_bars(
            [s["label"] for s in summary],
            [s["test_accuracy"][0] for s in summary],
            [s["test_accuracy"][1] for s in summary],
            target / "accuracy.png",
            f"{study.name}: test accuracy (mean ± std over folds × seeds)",
            chance,
        )
        figures.append(("Test accuracy per variant", "accuracy.png"))
    if study.curves:
        curves = {
            s["label"]: [r["_history"] for r in rows if r["variant"] == s["variant"]]
            for s in summary
        }
        if plot_study_curves(
            curves,
            target / "curves.png",
            f"{study.name}: validation accuracy per epoch (mean ± std)",
            chance,
        ):
            figures.append(("Learning curves (validation subjects)", "curves.png"))
    created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    text = format_report(
        study,
        summary,
        rows,
        seeds=seeds,
        folds=folds,
        data=data,
        foldset=foldset,
        command=command,
        figures=figures,
        created=created,
        chance=chance,
        failures=dict(failures or {}),
        cv_check=cv_check,
    )
    recover = model_recovery(study, data, foldset, device) if data is not None else None
    classes = list(foldset.protocol.classes)
    groups = fairness_section(study, out, seeds, folds, target, classes, recover=recover)
    text += "\n".join(groups) + "\n"
    return atomic_write_text(target / "report.md", text)
