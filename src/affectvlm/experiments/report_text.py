"""The Markdown of a study report (numbers come from :mod:`affectvlm.experiments.report`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from affectvlm.config import dumps_toml, to_dict
from affectvlm.experiments.report import (
    ALPHA,
    _pm,
    conclusion,
    convergence_sentence,
    decisive_p,
)
from affectvlm.experiments.study import Study, expand_variants


def _results_table(summary: Sequence[Mapping[str, Any]], reference: str) -> list[str]:
    lines = [
        "| variant | kind | runs | test accuracy % | macro-F1 % | Δ acc vs ref (pts) | p (t-test) "
        "| p (sign-flip) | Δ F1 (pts) | p F1 | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in summary:
        cells = [
            f"**{s['label']}**" if s["variant"] == reference else s["label"],
            s["kind"],
            str(s["runs"]),
            _pm(s["test_accuracy"]),
            _pm(s["test_macro_f1"]),
        ]
        test, test_f1 = s.get("vs_ref"), s.get("vs_ref_f1")
        if s["variant"] == reference:
            cells += ["reference", "", "", "", "", ""]
        elif test is None:
            cells += ["–", "–", "–", "–", "–", "too few folds"]
        else:
            t, perm = test
            cells += [f"{100 * t.mean_diff:+.1f}", f"{t.p_value:.3g}", f"{perm.p_value:.3g}"]
            cells += (
                [f"{100 * test_f1[0].mean_diff:+.1f}", f"{test_f1[0].p_value:.3g}"]
                if test_f1
                else ["–", "–"]
            )
            cells.append("significant" if decisive_p(test)[0] < ALPHA else "not significant")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _recall_table(summary: Sequence[Mapping[str, Any]]) -> list[str]:
    classes = list(summary[0]["recall"]) if summary else []
    lines = ["| variant | " + " | ".join(classes) + " |", "|---|" + "---:|" * len(classes)]
    for s in summary:
        lines.append(
            f"| {s['label']} | " + " | ".join(f"{100 * s['recall'][c]:.1f}" for c in classes) + " |"
        )
    return lines


def _convergence_table(summary: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| variant | epochs to 90 % of own final val acc | final val accuracy % | Δ epochs vs ref "
        "| p (t-test) |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in summary:
        if s.get("epochs_to_90") is None:
            continue
        test = s.get("vs_ref_conv")
        delta = f"{test[0].mean_diff:+.2f} | {test[0].p_value:.3g}" if test else "reference | "
        lines.append(
            f"| {s['label']} | {_pm(s['epochs_to_90'], 1.0, 2)} | "
            f"{_pm(s['final_val_accuracy'])} | {delta} |"
        )
    return lines


def _curve_table(rows: Sequence[Mapping[str, Any]], summary: Sequence[Mapping[str, Any]]):
    """Mean validation accuracy % per epoch (columns: variants with a history)."""
    from affectvlm.experiments.plots import curve_stats

    stats = {}
    for s in summary:
        epochs, mean, _, _ = curve_stats(
            [r["_history"] for r in rows if r["variant"] == s["variant"]]
        )
        if len(epochs):
            stats[s["label"]] = dict(zip(epochs.tolist(), mean.tolist(), strict=True))
    if not stats:
        return []
    all_epochs = sorted({e for v in stats.values() for e in v})
    lines = ["| epoch | " + " | ".join(stats) + " |", "|---:|" + "---:|" * len(stats)]
    for e in all_epochs:
        cells = [f"{100 * v[e]:.1f}" if e in v else "–" for v in stats.values()]
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    return ["", "Mean validation accuracy % per epoch (over folds × seeds):", "", *lines]


def _zero_shot(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    shot = [r for r in rows if r.get("heldout")]
    if not shot:
        return []
    lines = [
        "## Zero-shot emotion",
        "",
        "Each held-out emotion never appears in training; it is scored from its prompts "
        "alone. Recall of the held-out class and where its test samples went "
        "(summed over folds × seeds):",
        "",
    ]
    by_variant: dict[str, list[Mapping[str, Any]]] = {}
    for r in shot:
        by_variant.setdefault(r["label"], []).append(r)
    for label, group in by_variant.items():
        total: dict[str, int] = {}
        for r in group:
            for name, n in json.loads(r["heldout_predicted_as"]).items():
                total[name] = total.get(name, 0) + n
        recall = sum(r["heldout_recall"] for r in group) / len(group)
        spread = ", ".join(f"{k} {v}" for k, v in sorted(total.items(), key=lambda kv: -kv[1]))
        chance = 1.0 / len(total)
        lines.append(
            f"- **{label}** (held out: {group[0]['heldout']}): recall {100 * recall:.1f} % "
            f"(chance {100 * chance:.1f} %) over {len(group)} run(s); predicted as: {spread}."
        )
    return [*lines, ""]


def _configs(study: Study, seeds: Sequence[int], classes: list[str]) -> list[str]:
    from affectvlm.experiments.runner import variant_config
    from affectvlm.text import PromptBank

    lines = [
        "## Configurations",
        "",
        f"Training preset `{study.preset}`; overrides for every variant: "
        f"`{' '.join(study.base) or '(none)'}`; each run also sets `seed=<seed>` "
        "and `progress=false`.",
        "",
        "| variant | kind | overrides | prompt set fingerprint |",
        "|---|---|---|---|",
    ]
    ref_config = None
    for v in expand_variants(study.variants):
        config = variant_config(study, v, seeds[0], classes)
        fp = PromptBank.from_config(config.text).fingerprint()
        extra = " ".join(v.overrides) or "–"
        if v.holdout:
            extra += f" (held out: {v.holdout})"
        lines.append(f"| {v.title} | {v.kind} | `{extra}` | `{fp}` |")
        if v.name == study.reference_name:
            ref_config = config
    if ref_config is not None:
        lines += [
            "",
            f"Resolved configuration of the reference variant (seed {seeds[0]}):",
            "",
            "```toml",
            dumps_toml(to_dict(ref_config)).rstrip(),
            "```",
        ]
    return [*lines, ""]


def format_report(
    study: Study,
    summary: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    *,
    seeds: Sequence[int],
    folds: Sequence[int],
    data: Any,
    foldset: Any,
    command: str | None,
    figures: Sequence[tuple[str, str]],
    created: str,
    chance: float,
    failures: Mapping[str, str] | None = None,
) -> str:
    """The whole ``report.md``."""
    from affectvlm.data import format_folds

    ref = next((s for s in summary if s["variant"] == study.reference_name), None)
    ref_label = ref["label"] if ref else study.reference_name
    wall = sum(r["wall_s"] or 0.0 for r in rows)
    lines = [
        f"# Study `{study.name}`",
        "",
        study.description.strip(),
        "",
        f"- command: `{command or '(not recorded)'}`",
        f"- created: {created}; {len(rows)} run(s) (variant × seed × fold), seeds "
        f"{list(seeds)}, folds {list(folds)}; summed training wall time of these runs "
        f"(measured as each ran): {wall / 60:.1f} min",
        f"- reference variant: **{ref_label}**; chance accuracy {100 * chance:.1f} %",
        "- significance: paired t-test of test accuracy over folds (seed-averaged per fold; "
        f"over runs when the protocol has one fold), "
        f"α = {ALPHA}; the exact sign-flip permutation p is shown beside it "
        f"(with n folds its smallest possible value is 2/2ⁿ)",
        "",
        "## Conclusions (generated from the numbers)",
        "",
    ]
    lines += [
        f"- {conclusion(s, ref_label)}" for s in summary if s["variant"] != study.reference_name
    ]
    if study.convergence:
        lines += [f"- {t}" for s in summary if (t := convergence_sentence(s, ref_label))]
    if failures:
        lines += ["", f"**{len(failures)} run(s) failed** and are left out of every number:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in sorted(failures.items())]
    lines += ["", "## Results (test subjects; mean ± population std over folds × seeds)", ""]
    lines += _results_table(summary, study.reference_name)
    if study.convergence:
        lines += [
            "",
            "## Convergence",
            "",
            "Epochs until validation accuracy first reaches 90 % of that run's final "
            "(last-epoch) validation accuracy; runs train every epoch (`patience=0`).",
            "",
        ]
        lines += _convergence_table(summary)
        lines += _curve_table(rows, summary)
    lines += ["", "## Per-class test recall % (mean over runs)", "", *_recall_table(summary), ""]
    lines += _zero_shot(rows)
    for title, name in figures:
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
    records = data.records()
    lines += [
        "## Protocol",
        "",
        f"Fold file `{data.folds}` (content hash `{foldset.content_hash[:16]}`), "
        f"manifests {', '.join(f'`{m}`' for m in data.manifests)}:",
        "",
        "```",
        format_folds(foldset, records),
        "```",
        "",
    ]
    lines += _configs(study, seeds, list(foldset.protocol.classes))
    lines += [
        "## Files",
        "",
        "`runs.csv` has one row per run (variant, seed, fold) with test accuracy, "
        "macro-F1, per-class recall, the selected epoch, epochs to 90 % and the run's "
        "`fold_result.json` path relative to the study output folder.",
        "",
    ]
    return "\n".join(lines)
