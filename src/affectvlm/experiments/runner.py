"""Run a study: every ``(variant, seed, fold)`` unit, resumably, then the report.

Unit ``(v, s, k)`` lives in ``<out>/runs/<v>/seed_<s>/fold_<k>/`` — the layout of
:func:`affectvlm.train.cv.run_folds`, which trains the ``vlm`` units. A unit whose
``fold_result.json`` exists is finished and skipped; an interrupted VLM unit continues from
its checkpoint. When all units are done each ``runs/<v>/seed_<s>/`` gets the trainer's
``results.json``/``report.md`` and the study report is written.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectvlm.config import to_dict
from affectvlm.data import load_folds
from affectvlm.eval.metrics import mean_std
from affectvlm.eval.report import write_report
from affectvlm.experiments.baselines import pca_logreg_fold
from affectvlm.experiments.data import ExperimentError, StudyData, ensure_rendered
from affectvlm.experiments.report import write_study_report
from affectvlm.experiments.report_text import CVCheck
from affectvlm.experiments.study import (
    RunSpec,
    Study,
    Variant,
    expand_runs,
    expand_variants,
    find_variant,
    variant_config,
)
from affectvlm.experiments.zeroshot import train_zero_shot_fold
from affectvlm.fileio import atomic_write_json
from affectvlm.progress import progress_bar
from affectvlm.text import PromptBank
from affectvlm.train.checkpoint import config_differences, train_config_defaults
from affectvlm.train.config import TrainConfig
from affectvlm.train.cv import fold_dir, run_folds
from affectvlm.train.result import fold_result_path, load_fold_result


@dataclass
class StudyOutcome:
    """What :func:`run_study` did: units trained now, units found finished, the report."""

    units: list[RunSpec]
    trained: list[RunSpec] = field(default_factory=list)
    skipped: list[RunSpec] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    report: Path | None = None
    seconds: float = 0.0


UNIT_FILE = "study_unit.json"


def unit_identity(variant: Variant, config: TrainConfig) -> dict[str, Any]:
    """What makes a unit's result: its kind, held-out emotion and resolved config."""
    return {"kind": variant.kind, "holdout": variant.holdout, "config": to_dict(config)}


def check_unit(fold_dir: Path, identity: Mapping[str, Any]) -> None:
    """A finished unit may be reused only if it was made by the same kind and config."""
    path = fold_dir / UNIT_FILE
    stored = _read_json(path)
    if not stored:
        raise ExperimentError(path, "finished run without its study_unit.json; cannot reuse it")
    defaults = {"config": train_config_defaults()}
    diffs = config_differences(stored, dict(identity), ignore=(), defaults=defaults)
    if diffs:
        raise ExperimentError(
            fold_dir,
            f"finished run was made with other settings ({', '.join(diffs[:5])}); "
            "use another --out or delete the folder",
        )


def unit_name(unit: RunSpec) -> str:
    return f"{unit.variant}/seed_{unit.seed}/fold_{unit.fold}"


def unit_dir(out: Path, unit: RunSpec) -> Path:
    return fold_dir(unit.run_dir(out), unit.fold)


def _execute(
    unit: RunSpec,
    variant: Variant,
    config: TrainConfig,
    records: list[Any],
    data: StudyData,
    foldset: Any,
    cache: Any,
    out: Path,
    device: str,
    study: Study,
    extra: dict[str, list[Any]],
) -> None:
    run_dir = unit.run_dir(out)
    if variant.kind in ("vlm", "ce-head"):  # one trainer; ce-head sets model.head="linear"
        run_folds(
            config,
            records,
            data.folds,
            run_dir,
            device,
            fold_indices=[unit.fold],
            resume=True,
            cache=cache,
            extra_tests=extra,
        )
    elif variant.kind == "pca-logreg":
        pca_logreg_fold(
            config,
            records,
            foldset,
            unit.fold,
            fold_dir(run_dir, unit.fold),
            study.baseline,
            cache,
            extra_tests=extra,
        )
    else:
        train_zero_shot_fold(
            config,
            records,
            foldset,
            data.folds,
            unit.fold,
            run_dir,
            variant.holdout,
            device,
            cache,
        )


def run_study(
    study: Study,
    data: StudyData,
    out: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    folds: Sequence[int] | None = None,
    device: str = "auto",
    command: str | None = None,
    report_dir: str | Path | None = None,
    progress: bool = True,
    render_workers: int = 1,
    cv_check: bool = True,
    cv_dir: str | Path | None = None,
) -> StudyOutcome:
    """Run (or finish) every unit of ``study`` on ``data`` under ``out``, then report.

    With ``cv_check`` the study's recipe is also cross-validated by ``run_folds`` (what
    ``affectvlm cv`` runs) into ``<out>/cv`` on the same folds, and the report sets that
    beside its reference variant (:class:`~affectvlm.experiments.report_text.CVCheck`);
    ``cv_dir`` puts that run elsewhere, e.g. one run shared by studies of the same data and
    reference recipe (its finished folds are reused after a config check)."""
    out = Path(out)
    started = time.perf_counter()
    foldset = load_folds(data.folds)
    seeds = list(seeds or study.seeds)
    fold_list = list(folds or study.folds_only or range(len(foldset.folds)))
    bad = [k for k in fold_list if not 0 <= k < len(foldset.folds)]
    if bad:
        raise ValueError(f"{data.folds}: folds {bad} out of range 0..{len(foldset.folds) - 1}")
    units = expand_runs(study, seeds, fold_list)
    variants = {v.name: v for v in expand_variants(study.variants)}
    classes = list(foldset.protocol.classes)
    records = data.records()
    extra = data.extra_records()  # other families' records, read once
    outcome = StudyOutcome(units)
    caches: dict[str, Any] = {}
    timing = _read_json(out / "timing.json")
    # resolved once, up front: a preset edited while the study runs cannot mix settings
    configs = {
        (v.name, seed): variant_config(study, v, seed, classes)
        for v in variants.values()
        for seed in seeds
    }
    bar = progress_bar(units, enabled=progress, desc=f"study {study.name}", unit="run")
    for unit in bar:
        bar.set_postfix_str(f"{unit.variant} seed {unit.seed} fold {unit.fold}")
        variant = variants[unit.variant]
        config = configs[(unit.variant, unit.seed)]
        identity = unit_identity(variant, config)
        if fold_result_path(unit_dir(out, unit)).is_file():
            check_unit(unit_dir(out, unit), identity)
            outcome.skipped.append(unit)
            continue
        key = json.dumps(to_dict(config.render), sort_keys=True)
        if key not in caches:  # a render failure stops the study: every run would fail
            caches[key] = ensure_rendered(data, config.render, render_workers)
        t0 = time.perf_counter()
        name = unit_name(unit)
        try:
            _execute(
                unit,
                variant,
                config,
                records,
                data,
                foldset,
                caches[key],
                out,
                device,
                study,
                extra,
            )
        except Exception as exc:  # a batch job records the failure, goes on, and reports it
            outcome.failed[name] = f"{type(exc).__name__}: {exc}"
            bar.write(f"run {name} failed: {outcome.failed[name]}")
            continue
        finally:
            atomic_write_json(out / "failures.json", outcome.failed)
        atomic_write_json(unit_dir(out, unit) / UNIT_FILE, identity)
        timing[name] = time.perf_counter() - t0
        atomic_write_json(out / "timing.json", timing)
        outcome.trained.append(unit)
    bar.close()
    _write_run_reports(study, out, seeds, fold_list, classes, foldset, data, command)
    check = None
    if cv_check:
        where = Path(cv_dir) if cv_dir is not None else out / "cv"
        check = _cv_check(
            study, data, out, where, seeds, fold_list, records, extra, device, caches, outcome
        )
    outcome.seconds = time.perf_counter() - started
    outcome.report = write_study_report(
        study,
        out,
        seeds,
        fold_list,
        data=data,
        foldset=foldset,
        command=command,
        report_dir=report_dir,
        failures=outcome.failed,
        cv_check=check,
        device=device,
    )
    return outcome


def _cv_check(
    study, data, out, where, seeds, folds, records, extra, device, caches, outcome
) -> CVCheck | None:
    """Cross-validate the reference variant's recipe (seed ``seeds[0]``) as ``affectvlm cv``
    does and pair it with the reference runs over the folds both finished; None when the
    reference is not a trainer variant or nothing pairs (a failure is recorded)."""
    reference = find_variant(study, study.reference_name)
    if reference.kind not in ("vlm", "ce-head"):
        return None
    classes = list(load_folds(data.folds).protocol.classes)
    config = variant_config(study, reference, seeds[0], classes)
    key = json.dumps(to_dict(config.render), sort_keys=True)
    if key not in caches:
        caches[key] = ensure_rendered(data, config.render)
    try:
        cv = run_folds(
            config,
            records,
            data.folds,
            where,
            device,
            fold_indices=folds,
            resume=True,
            cache=caches[key],
            extra_tests=extra,
        )
    except Exception as exc:  # reported like a failed unit
        outcome.failed["cv"] = f"{type(exc).__name__}: {exc}"
        return None
    ref = study.reference_name
    mine = [load_fold_result(unit_dir(out, RunSpec(ref, seeds[0], k))) for k in folds]
    pairs = [(c, r) for c, r in zip(cv.folds, mine, strict=True) if r is not None]
    if not pairs:
        return None
    cv_acc = [c.test_metrics["accuracy"] for c, _ in pairs]
    ref_acc = [r.test_metrics["accuracy"] for _, r in pairs]
    shown = Path(os.path.relpath(where, out)).as_posix()
    return CVCheck(
        *mean_std(cv_acc), *mean_std(ref_acc), len(pairs), f"`{shown}/`, seed {seeds[0]}"
    )


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _write_run_reports(
    study: Study,
    out: Path,
    seeds: list[int],
    folds: list[int],
    classes: list[str],
    foldset: Any,
    data: StudyData,
    command: str | None,
) -> None:
    """The trainer's ``results.json``/``report.md`` for every ``(variant, seed)`` folder."""
    for variant in expand_variants(study.variants):
        for seed in seeds:
            run = RunSpec(variant.name, seed, 0).run_dir(out)
            config = variant_config(study, variant, seed, classes)
            bank = PromptBank.from_config(config.text)
            found = [load_fold_result(unit_dir(out, RunSpec(variant.name, seed, k))) for k in folds]
            folds_done = [r.to_dict() for r in found if r is not None]
            if not folds_done:
                continue
            write_report(
                run,
                folds_done,
                config=to_dict(config),
                prompt_bank=bank.to_dict(),
                prompt_fingerprint=bank.fingerprint(),
                folds_file=data.folds,
                folds_hash=foldset.content_hash,
                command=command,
            )
