"""Demographic breakdowns of a study: per variant and attribute, and whether a variant
changes how far apart the groups are compared with the reference variant.

A variant's test predictions are pooled over its runs (folds × seeds); a subject is one
cluster in every resampling, whatever the number of its scans or seeds. The spread of an
attribute is the best minus the worst group (of those with enough subjects in the
reference), each variant with its own best and worst, so picking extremes affects both
sides alike. Its change is tested with a paired permutation test over subjects (both
variants saw the same test subjects) and given a paired subject-bootstrap interval.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.config import to_dict
from affectvlm.device import resolve_device
from affectvlm.eval.fairness_plots import plot_variant_groups
from affectvlm.eval.group_stats import resample_weights, spread
from affectvlm.eval.groups import (
    GroupConfig,
    PredictionTable,
    format_gap,
    group_labels,
    group_report,
    subject_confusions,
)
from affectvlm.experiments.data import ensure_rendered
from affectvlm.experiments.study import (
    RunSpec,
    Study,
    expand_runs,
    expand_variants,
    find_variant,
    variant_config,
)
from affectvlm.fileio import atomic_write_json
from affectvlm.model import AffectVLM
from affectvlm.train.components import load_fold_data
from affectvlm.train.cv import fold_dir
from affectvlm.train.engine import evaluate_part
from affectvlm.train.result import load_fold_result

PREDICTIONS_FILE = "test_predictions.json"
Recover = Callable[[RunSpec, Path], "list[dict[str, Any]] | None"]


def variant_predictions(
    study: Study,
    out: Path,
    seeds: Sequence[int],
    folds: Sequence[int],
    recover: Recover | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every finished run's per-sample test predictions, pooled per variant.

    They come from ``fold_result.json`` (``predictions``), else from ``test_predictions.json``
    beside it, else from ``recover(unit, fold_dir)`` (e.g. :func:`model_recovery`)."""
    pooled: dict[str, list[dict[str, Any]]] = {v.name: [] for v in expand_variants(study.variants)}
    for unit in expand_runs(study, list(seeds), list(folds)):
        where = fold_dir(unit.run_dir(out), unit.fold)
        result = load_fold_result(where)
        if result is None:
            continue
        rows = result.predictions
        if not rows and (where / PREDICTIONS_FILE).is_file():
            rows = json.loads((where / PREDICTIONS_FILE).read_text(encoding="utf-8"))
        if not rows and recover is not None:
            rows = recover(unit, where)
        tag = {"fold": unit.fold, "seed": unit.seed}
        pooled[unit.variant] += [{**tag, **r} for r in rows or []]
    return pooled


def test_predictions(
    config: Any,
    records: Sequence[Any],
    foldset: Any,
    fold: int,
    where: Path,
    cache: Any,
    device: str = "auto",
) -> list[dict[str, Any]]:
    """The test predictions of a finished trainer run, from its selected model
    (``where/model``), by the trainer's own evaluation on ``device``."""
    dev = resolve_device(device)
    data = load_fold_data(config, list(records), foldset, fold, cache)
    model = AffectVLM.from_pretrained(where / "model").to(dev)
    return evaluate_part(model, config, data, "test", dev).rows()


def model_recovery(study: Study, data: Any, foldset: Any, device: str = "auto") -> Recover:
    """A ``recover`` for :func:`variant_predictions`: re-run the test pass of trainer runs
    whose results carry no predictions and keep them in ``test_predictions.json``."""
    classes = list(foldset.protocol.classes)
    caches: dict[str, Any] = {}
    records: list[Any] = []

    def recover(unit: RunSpec, where: Path) -> list[dict[str, Any]] | None:
        variant = find_variant(study, unit.variant)
        if variant.kind not in ("vlm", "ce-head") or not (where / "model").is_dir():
            return None
        config = variant_config(study, variant, unit.seed, classes)
        key = json.dumps(to_dict(config.render), sort_keys=True)
        if key not in caches:
            caches[key] = ensure_rendered(data, config.render)
        if not records:
            records.extend(data.records())
        rows = test_predictions(config, records, foldset, unit.fold, where, caches[key], device)
        atomic_write_json(where / PREDICTIONS_FILE, rows)
        return rows

    return recover


def _aligned(
    rows: Sequence[Mapping[str, Any]],
    class_names: Sequence[str],
    attribute: str,
    groups: Sequence[str],
    config: GroupConfig,
) -> tuple[list[str], np.ndarray]:
    """Per-subject confusions ``(S, C, C)`` of the samples in ``groups``, in a fixed order
    per group, and each subject's group index."""
    table = PredictionTable.from_rows(rows, class_names)
    labels = group_labels(table, attribute, config)
    keys, mats = [], []
    for g, group in enumerate(groups):
        subjects, cm = subject_confusions(table, labels == group)
        keys += [(g, s) for s in subjects]
        mats.append(cm)
    return keys, np.concatenate(mats) if mats else np.zeros((0, 0, 0))


def spread_change(
    reference_rows: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    class_names: Sequence[str],
    attribute: str,
    groups: Sequence[str],
    metric: str = "accuracy",
    config: GroupConfig | None = None,
) -> dict[str, Any]:
    """How a variant changes the spread (best minus worst of ``groups``, each variant its
    own best and worst) against the reference, on the same test subjects.

    ``p_value``: paired permutation test — under "the variant makes no difference" each
    subject's predictions could have come from either variant, so they are swapped at
    random per subject. ``ci``: paired subject bootstrap (the same subjects drawn for both).
    """
    config = config or GroupConfig()
    keys_a, conf_a = _aligned(reference_rows, class_names, attribute, groups, config)
    keys_b, conf_b = _aligned(rows, class_names, attribute, groups, config)
    keys = sorted(set(keys_a) | set(keys_b))
    a = np.zeros((len(keys), *conf_a.shape[1:]))
    b = np.zeros_like(a)
    index = {k: i for i, k in enumerate(keys)}
    a[[index[k] for k in keys_a]] = conf_a
    b[[index[k] for k in keys_b]] = conf_b
    owner = np.array([g for g, _ in keys])
    onehot = np.eye(len(groups))[owner]  # (S, k)

    def spreads(weights_a: np.ndarray, weights_b: np.ndarray) -> np.ndarray:
        """Spread of B minus spread of A for per-subject weights ``(R, S)``."""
        sa = spread(np.einsum("rs,sk,scd->rkcd", weights_a, onehot, a), metric)
        sb = spread(np.einsum("rs,sk,scd->rkcd", weights_b, onehot, b), metric)
        return sb - sa

    ones = np.ones((1, len(keys)))
    observed = float(spreads(ones, ones)[0])
    ref_spread = float(spread(np.einsum("sk,scd->kcd", onehot, a), metric))
    rng = np.random.default_rng([config.seed, 11])
    boot = np.zeros((config.bootstrap, len(keys)))
    for g in range(len(groups)):
        members = np.flatnonzero(owner == g)
        boot[:, members] = resample_weights(len(members), config.bootstrap, rng)
    tail = 100 * (1 - config.confidence) / 2
    draws = spreads(boot, boot)
    ci = [float(v) for v in np.percentile(draws, [tail, 100 - tail])]
    swap = rng.random((config.bootstrap, len(keys))) < 0.5
    null_b = np.where(swap[..., None, None], a, b)
    null_a = np.where(swap[..., None, None], b, a)
    null = spread(np.einsum("sk,rscd->rkcd", onehot, null_b), metric) - spread(
        np.einsum("sk,rscd->rkcd", onehot, null_a), metric
    )
    p = float((1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + config.bootstrap))
    return {
        "groups": list(groups),
        "metric": metric,
        "reference_spread": ref_spread,
        "spread": ref_spread + observed,
        "change": observed,
        "ci": ci,
        "p_value": p,
    }


def _cell(group: Mapping[str, Any] | None) -> str:
    if group is None:
        return "–"
    ci = group.get("accuracy_ci")
    text = f"{100 * group['accuracy']:.1f}"
    if ci:
        text += f" [{100 * ci[0]:.0f}, {100 * ci[1]:.0f}]"
    text += f" ({group['subjects']} subj.)"
    return text + (" *too few*" if group["small"] else "")


def _interval_text(value: float, ci: Sequence[float] | None) -> str:
    text = f"{100 * value:+.1f}"
    return text + (f" [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else "")


def _verdict(change: Mapping[str, Any]) -> str:
    if change["p_value"] >= 0.05:
        return "no evidence of a change"
    return "the spread narrows" if change["change"] < 0 else "the spread widens"


def _caveat(reference_gap: Mapping[str, Any], change: Mapping[str, Any]) -> str:
    """A significant change of a spread the reference itself cannot tell from chance says
    how much accuracy varies between subjects under each variant, not that groups differ."""
    p_ref = reference_gap.get("p_value")
    if change["p_value"] < 0.05 and p_ref is not None and p_ref >= 0.05:
        return (
            f"; but the reference's own gap is within subject-to-subject variation "
            f"(p={p_ref:.2g}), so this reflects how much accuracy varies between subjects "
            "under each variant rather than a group effect"
        )
    return ""


def fairness_section(
    study: Study,
    out: Path,
    seeds: Sequence[int],
    folds: Sequence[int],
    target: Path,
    class_names: Sequence[str],
    config: GroupConfig | None = None,
    recover: Recover | None = None,
) -> list[str]:
    """Write ``groups.json`` and ``groups_<attribute>.png`` to ``target`` and return the
    report's "By group" markdown lines (empty when no run has per-sample predictions)."""
    config = config or GroupConfig()
    pooled = variant_predictions(study, out, seeds, folds, recover)
    variants = [v for v in expand_variants(study.variants) if pooled[v.name]]
    if not variants:
        return []
    missing = [v.title for v in expand_variants(study.variants) if not pooled[v.name]]
    reports = {v.name: group_report(pooled[v.name], class_names, config) for v in variants}
    ref = study.reference_name if study.reference_name in reports else variants[0].name
    attributes = [a for a in config.attributes if a in reports[ref]["attributes"]]
    changes: dict[str, dict[str, Any]] = {}
    lines = [
        "",
        "## By group (test predictions pooled over folds × seeds)",
        "",
        f"Intervals: {100 * config.confidence:g} % bootstrap over subjects "
        f"({config.bootstrap} resamples, seed {config.seed}; a subject is one cluster across "
        f"folds and seeds). Groups with fewer than {config.min_subjects} subjects are marked "
        "*too few* and left out of the gaps. A gap's p-value is a permutation test of "
        '"the group makes no difference" (group labels shuffled over subjects). The spread '
        "(best − worst group) of each variant is compared with the reference's by a paired "
        "permutation test over subjects; its interval is a paired subject bootstrap.",
    ]
    if missing:
        lines += ["", f"No per-sample test predictions (left out here): {', '.join(missing)}."]
    for attribute in attributes:
        breakdowns = {v.title: reports[v.name]["attributes"].get(attribute) for v in variants}
        plot_variant_groups(
            attribute,
            {k: b for k, b in breakdowns.items() if b},
            target / f"groups_{attribute}.png",
        )
        ref_gap = reports[ref]["attributes"][attribute]["gaps"]["accuracy"]
        groups = [g["group"] for g in reports[ref]["attributes"][attribute]["groups"]]
        eligible = ref_gap.get("groups_compared", [])
        lines += [
            "",
            f"### {attribute} (`groups_{attribute}.png`)",
            "",
            "| variant | " + " | ".join(groups) + " | best − worst (pts) | Δ spread vs reference |",
            "|---|" + "---:|" * len(groups) + "---:|---|",
        ]
        sentences = []
        for v in variants:
            b = reports[v.name]["attributes"].get(attribute)
            by_group = {g["group"]: g for g in (b["groups"] if b else [])}
            gap = b["gaps"]["accuracy"] if b else {"value": None}
            gap_text = (
                f"{gap['best']} − {gap['worst']}: {_interval_text(gap['value'], gap.get('ci'))}"
                if gap.get("value") is not None
                else "–"
            )
            delta = "reference" if v.name == ref else "–"
            if v.name != ref and len(eligible) >= 2:
                change = spread_change(
                    pooled[ref], pooled[v.name], class_names, attribute, eligible, config=config
                )
                changes.setdefault(attribute, {})[v.name] = change
                delta = (
                    f"{_interval_text(change['change'], change['ci'])}, p={change['p_value']:.2g}"
                )
                sentences.append(
                    f"- {v.title}: spread {100 * change['spread']:.1f} pts vs "
                    f"{100 * change['reference_spread']:.1f} for the reference, a change of "
                    f"{_interval_text(change['change'], change['ci'])} pts (paired permutation "
                    f"p={change['p_value']:.2g}) — {_verdict(change)}{_caveat(ref_gap, change)}."
                )
            cells = " | ".join(_cell(by_group.get(g)) for g in groups)
            name = f"**{v.title}**" if v.name == ref else v.title
            lines.append(f"| {name} | {cells} | {gap_text} | {delta} |")
        lines += ["", f"- reference: {format_gap(ref_gap, 'accuracy')}", *sentences]
    atomic_write_json(
        target / "groups.json", {"reference": ref, "variants": reports, "spread_changes": changes}
    )
    return lines
