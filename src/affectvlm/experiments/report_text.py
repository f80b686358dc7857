"""The Markdown of a study report (numbers come from :mod:`affectvlm.experiments.report`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from affectvlm.config import dumps_toml, to_dict
from affectvlm.data import format_folds
from affectvlm.env_info import source_commit
from affectvlm.experiments.plots import curve_stats
from affectvlm.experiments.study import Study, expand_variants, variant_config
from affectvlm.text import PromptBank

ALPHA = 0.05


@dataclass
class CVCheck:
    """``affectvlm cv`` of the study's recipe on the same data and folds, beside the
    reference variant: mean ± population std of test accuracy over the same folds."""

    cv_mean: float
    cv_std: float
    reference_mean: float
    reference_std: float
    folds: int
    source: str  # where the cv figures come from (a run folder relative to the study out)

    @property
    def agrees(self) -> bool:
        """Within the spread over folds: |difference| ≤ the larger of the two stds."""
        return abs(self.cv_mean - self.reference_mean) <= max(self.cv_std, self.reference_std)


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


def conclusion_on(s: Mapping[str, Any], name: str, reference_label: str) -> str | None:
    """The sentence of :func:`conclusion` for the extra test set ``name``."""
    test = s.get(f"vs_ref@{name}")
    if test is None:
        return None
    t, perm = test
    p, method = decisive_p(test)
    verdict = "significant" if p < ALPHA else "not significant"
    return (
        f"{s['label']} on {name}: {100 * t.mean_diff + 0.0:+.1f} pts vs {reference_label}, "
        f"{verdict} (p={p:.2g}, {method} over {t.n} {t.over}; sign-flip p={perm.p_value:.2g})."
    )


def _results_table(
    summary: Sequence[Mapping[str, Any]], reference: str, extras: Sequence[str] = ()
) -> list[str]:
    extra_head = "".join(f" test accuracy on {n} % | Δ on {n} (pts), p |" for n in extras)
    lines = [
        "| variant | kind | runs | test accuracy % | macro-F1 % |"
        + extra_head
        + " Δ acc vs ref (pts) | p (t-test) | p (sign-flip) | Δ F1 (pts) | p F1 | verdict |",
        "|---|---|---:|---:|---:|" + "---:|---:|" * len(extras) + "---:|---:|---:|---:|---:|---|",
    ]
    for s in summary:
        cells = [
            f"**{s['label']}**" if s["variant"] == reference else s["label"],
            s["kind"],
            str(s["runs"]),
            _pm(s["test_accuracy"]),
            _pm(s["test_macro_f1"]),
        ]
        for name in extras:
            cells.append(_pm(s.get(f"test_accuracy@{name}")))
            test = s.get(f"vs_ref@{name}")
            if s["variant"] == reference:
                cells.append("reference")
            elif test is None:
                cells.append("–")
            else:
                cells.append(f"{100 * test[0].mean_diff:+.1f}, p={decisive_p(test)[0]:.2g}")
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
        implied = ['model.head="linear"'] if v.kind == "ce-head" else []
        extra = " ".join([*implied, *v.overrides]) or "–"
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
    cv_check: CVCheck | None = None,
) -> str:
    """The whole ``report.md``. Files are named, never given as machine paths."""
    ref = next((s for s in summary if s["variant"] == study.reference_name), None)
    ref_label = ref["label"] if ref else study.reference_name
    extras = sorted(
        {k.split("@", 1)[1] for s in summary for k in s if k.startswith("test_accuracy@")}
    )
    wall = sum(r["wall_s"] or 0.0 for r in rows)
    spec = getattr(data, "spec", None)
    described = (
        spec.describe()
        if spec is not None
        else ("the user's datasets: " + ", ".join(f"`{m.name}`" for m in data.manifests))
    )
    lines = [
        f"# Study `{study.name}`",
        "",
        study.description.strip(),
        "",
        f"- command: `{command or '(not recorded)'}`",
        f"- source: affectvlm commit `{source_commit() or 'unknown (not a git checkout)'}`",
        f"- data: {described}",
        f"- recipe: training preset `{study.preset}` with "
        f"`{' '.join(study.base) or '(no overrides)'}` — what `affectvlm cv --config "
        f"{study.preset}{''.join(f' --set {b}' for b in study.base)}` trains; every variant "
        "changes only what its row says (configurations below)",
        f"- created: {created}; {len(rows)} run(s) (variant × seed × fold), seeds "
        f"{list(seeds)}, folds {list(folds)}; summed training wall time of these runs "
        f"(measured as each ran): {wall / 60:.1f} min",
        f"- reference variant: **{ref_label}**; chance accuracy {100 * chance:.1f} %",
        "- significance: paired t-test of test accuracy over folds (seed-averaged per fold; "
        f"over runs when the protocol has one fold), "
        f"α = {ALPHA}; the exact sign-flip permutation p is shown beside it "
        f"(with n folds its smallest possible value is 2/2ⁿ); p-values are not corrected for "
        f"the {max(len(summary) - 1, 0) * (1 + len(extras))} comparisons of this report (at α "
        "= 0.05 about one in twenty comes out significant by chance)",
        "",
    ]
    lines += _cv_lines(cv_check)
    lines += ["## Conclusions (generated from the numbers)", ""]
    for s in summary:
        if s["variant"] == study.reference_name:
            continue
        lines.append(f"- {conclusion(s, ref_label)}")
        lines += [f"  {t}" for name in extras if (t := conclusion_on(s, name, ref_label))]
    if study.convergence:
        lines += [f"- {t}" for s in summary if (t := convergence_sentence(s, ref_label))]
    if failures:
        lines += ["", f"**{len(failures)} run(s) failed** and are left out of every number:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in sorted(failures.items())]
    lines += ["", "## Results (test subjects; mean ± population std over folds × seeds)", ""]
    if extras:
        lines += [
            f"Every model is also tested on the same folds' test subjects of {', '.join(extras)} "
            "(never trained or selected on).",
            "",
        ]
    lines += _results_table(summary, study.reference_name, extras)
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
    lines += [
        "## Protocol",
        "",
        f"Fold file `{data.folds.name}` (content hash `{foldset.content_hash[:16]}`), "
        f"manifests {', '.join(f'`{m.name}`' for m in data.manifests)}:",
        "",
        "```",
        format_folds(foldset, data.records()),
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


def _cv_lines(check: CVCheck | None) -> list[str]:
    if check is None:
        return []
    verdict = (
        "agree (within the spread over folds)"
        if check.agrees
        else "**DISAGREE beyond the spread over folds: the study does not reproduce `cv`**"
    )
    return [
        "## Reproduces `cv`?",
        "",
        f"`affectvlm cv` of the recipe on the same data and folds ({check.source}): "
        f"{100 * check.cv_mean:.1f} ± {100 * check.cv_std:.1f} %; the reference variant: "
        f"{100 * check.reference_mean:.1f} ± {100 * check.reference_std:.1f} % over "
        f"{check.folds} folds — {verdict}.",
        "",
    ]
