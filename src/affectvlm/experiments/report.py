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
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.eval.metrics import mean_std
from affectvlm.experiments.stats import paired_t_test, sign_flip_test
from affectvlm.experiments.study import Study, expand_runs, expand_variants
from affectvlm.fileio import atomic_write_text

ALPHA = 0.05
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
        path = unit.run_dir(out) / f"fold_{unit.fold:02d}" / "fold_result.json"
        if not path.is_file():
            continue
        r = json.loads(path.read_text(encoding="utf-8"))
        t = r["test_metrics"]
        history = r.get("history", [])
        row: dict[str, Any] = {
            "variant": unit.variant,
            "label": labels[unit.variant][0],
            "kind": labels[unit.variant][1],
            "seed": unit.seed,
            "fold": unit.fold,
            "test_accuracy": t["accuracy"],
            "test_macro_f1": t["macro_f1"],
            "val_accuracy": r["val_metrics"].get("accuracy"),
            "best_epoch": r["best_epoch"],
            "epochs_run": r["epochs_run"],
            "final_val_accuracy": history[-1].get("val_accuracy") if history else None,
            "epochs_to_90": epochs_to_fraction(history),
            "test_samples": t["num_samples"],
            "wall_s": timing.get(f"{unit.variant}/seed_{unit.seed}/fold_{unit.fold}"),
            "result_file": str(path.relative_to(out)),
        }
        for name, value in t["per_class_recall"].items():
            row[f"recall_{name}"] = value
        if "zero_shot" in r:
            row["heldout"] = r["zero_shot"]["holdout"]
            row["heldout_recall"] = r["zero_shot"]["recall"]
            row["heldout_predicted_as"] = json.dumps(r["zero_shot"]["predicted_as"])
        row["_history"] = history
        rows.append(row)
    return rows


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
    """Mean ± std (population, over folds × seeds) per variant, and the test vs reference."""
    ref = study.reference_name
    out = []
    for v in expand_variants(study.variants):
        mine = [r for r in rows if r["variant"] == v.name]
        if not mine:
            continue
        s: dict[str, Any] = {"variant": v.name, "label": v.title, "kind": v.kind, "runs": len(mine)}
        for key in ("test_accuracy", "test_macro_f1", "epochs_to_90", "final_val_accuracy"):
            vals = [r[key] for r in mine if r.get(key) is not None]
            s[key] = mean_std(vals) if vals else None
        recalls = sorted(k for k in mine[0] if k.startswith("recall_"))
        s["recall"] = {k[7:]: float(np.mean([r[k] for r in mine])) for k in recalls}
        s["wall_s"] = sum(r["wall_s"] or 0.0 for r in mine)
        if v.name != ref:
            s["vs_ref"] = compare(rows, v.name, ref, "test_accuracy")
            s["vs_ref_f1"] = compare(rows, v.name, ref, "test_macro_f1")
            s["vs_ref_conv"] = compare(rows, v.name, ref, "epochs_to_90")
        out.append(s)
    return out


def decisive_p(test: tuple[Any, Any]) -> tuple[float, str]:
    """The p-value a verdict rests on: the paired t-test's, or the sign-flip test's when t
    is undefined (every fold differs by the same amount)."""
    t, perm = test
    if math.isnan(t.p_value):
        return perm.p_value, "sign-flip test (t undefined: constant differences)"
    return t.p_value, "paired t-test"


def conclusion(s: Mapping[str, Any], reference_label: str) -> str:
    """One sentence on a variant vs the reference, e.g. ``−L_mc: −0.8 pts vs full, not
    significant (p=0.41, paired t-test over 5 folds)``."""
    test = s.get("vs_ref")
    if test is None:
        return f"{s['label']}: fewer than 2 runs paired with {reference_label}; no test."
    t, perm = test
    p, method = decisive_p(test)
    verdict = "significant" if p < ALPHA else "not significant"
    shown = round(100 * t.mean_diff, 1)
    direction = "higher" if shown > 0 else "lower" if shown < 0 else "equal"
    return (
        f"{s['label']}: {shown + 0.0:+.1f} pts test accuracy vs {reference_label} "
        f"({direction}), {verdict} (p={p:.2g}, {method} over {t.n} {t.over}; "
        f"sign-flip p={perm.p_value:.2g})."
    )


def convergence_sentence(s: Mapping[str, Any], reference_label: str) -> str | None:
    """Epochs to reach 90 % of own final validation accuracy vs the reference."""
    test = s.get("vs_ref_conv")
    if s.get("epochs_to_90") is None or test is None:
        return None
    t, _ = test
    p, _method = decisive_p(test)
    faster = "fewer" if t.mean_diff < 0 else "more" if t.mean_diff > 0 else "as many"
    verdict = "significant" if p < ALPHA else "not significant"
    return (
        f"{s['label']} needs {s['epochs_to_90'][0]:.1f} epochs to reach 90 % of its final "
        f"validation accuracy ({faster} than {reference_label}: {t.mean_diff:+.1f} epochs, "
        f"{verdict}, p={p:.2g})."
    )


def _pm(pair: Any, scale: float = 100.0, digits: int = 1) -> str:
    if pair is None:
        return "–"
    return f"{scale * pair[0]:.{digits}f} ± {scale * pair[1]:.{digits}f}"


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
) -> Path:
    """Write ``runs.csv``, the PNGs and ``report.md`` to ``report_dir`` (default
    ``<out>/report``); return the path of ``report.md``."""
    from affectvlm.experiments.plots import plot_study_curves, plot_variant_bars
    from affectvlm.experiments.report_text import format_report

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
            figures.append(("Learning curves", "curves.png"))
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
    )
    text += "\n".join(group_lines(study, out, seeds, folds, target, data, foldset)) + "\n"
    return atomic_write_text(target / "report.md", text)


def group_lines(
    study: Study,
    out: Path,
    seeds: Sequence[int],
    folds: Sequence[int],
    target: Path,
    data: Any,
    foldset: Any,
) -> list[str]:
    """The "By group" section of every study report (:mod:`affectvlm.experiments.fairness`);
    runs that kept no per-sample predictions get them from their saved model."""
    from affectvlm.experiments.fairness import fairness_section, model_recovery

    recover = model_recovery(study, data, foldset) if data is not None else None
    classes = list(foldset.protocol.classes)
    return fairness_section(study, out, seeds, folds, target, classes, recover=recover)
