"""A study end to end on tiny data: report numbers, resume, other run kinds."""

import csv
import json

import numpy as np
import pytest
from conftest import one_thread, write_study

from affectvlm.eval.metrics import mean_std
from affectvlm.experiments import ExperimentError, load_study, run_study

TWO = """
[[variants]]
name = "full"
[[variants]]
name = "itc-only"
overrides = ["loss.use_mc=false", "loss.use_mt=false"]
"""


@pytest.fixture(scope="module")
def two_variant_run(tiny_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("two_variants")
    study = load_study(
        write_study(root / "study.toml", TWO, extra='reference = "full"\nconvergence = true')
    )
    out = root / "out"
    with one_thread():
        outcome = run_study(study, tiny_data, out, device="cpu", command="cmd", progress=False)
    return study, out, outcome


def test_study_trains_every_variant_on_every_fold(two_variant_run):
    _, out, outcome = two_variant_run
    assert len(outcome.units) == 4 and len(outcome.trained) == 4 and not outcome.skipped
    for variant in ("full", "itc-only"):
        results = json.loads((out / "runs" / variant / "seed_0" / "results.json").read_text())
        assert [f["fold"] for f in results["folds"]] == [0, 1]


def test_report_numbers_match_the_per_run_results_files(two_variant_run):
    _, out, _ = two_variant_run
    report = out / "report"
    rows = list(csv.DictReader((report / "runs.csv").open()))
    assert len(rows) == 4
    text = (report / "report.md").read_text()
    for variant in ("full", "itc-only"):
        results = json.loads((out / "runs" / variant / "seed_0" / "results.json").read_text())
        by_fold = {f["fold"]: f["test_metrics"] for f in results["folds"]}
        mine = [r for r in rows if r["variant"] == variant]
        for r in mine:
            assert float(r["test_accuracy"]) == pytest.approx(by_fold[int(r["fold"])]["accuracy"])
            assert float(r["test_macro_f1"]) == pytest.approx(by_fold[int(r["fold"])]["macro_f1"])
        acc = mean_std([m["accuracy"] for m in by_fold.values()])
        f1 = mean_std([m["macro_f1"] for m in by_fold.values()])
        assert acc == pytest.approx(
            (results["summary"]["accuracy_mean"], results["summary"]["accuracy_std"])
        )
        line = next(x for x in text.splitlines() if " | vlm | " in x and variant in x)
        assert f"{100 * acc[0]:.1f} ± {100 * acc[1]:.1f}" in line
        assert f"{100 * f1[0]:.1f} ± {100 * f1[1]:.1f}" in line
    diff = np.mean(
        [float(r["test_accuracy"]) for r in rows if r["variant"] == "itc-only"]
    ) - np.mean([float(r["test_accuracy"]) for r in rows if r["variant"] == "full"])
    assert f"{100 * diff:+.1f} pts test accuracy vs full" in text
    assert (report / "accuracy.png").stat().st_size > 0 and (report / "curves.png").is_file()
    assert "command: `cmd`" in text and "fold 1: train" in text
    assert "## Convergence" in text and "| 1 | " in text  # epoch 1 of the per-epoch table


def test_rerun_skips_finished_runs_and_redoes_a_missing_one(two_variant_run, tiny_data):
    study, out, _ = two_variant_run
    again = run_study(study, tiny_data, out, device="cpu", command="cmd", progress=False)
    assert not again.trained and len(again.skipped) == 4
    target = out / "runs" / "itc-only" / "seed_0" / "fold_01" / "fold_result.json"
    kept = out / "runs" / "full" / "seed_0" / "fold_00" / "fold_result.json"
    before = kept.stat().st_mtime_ns
    target.unlink()
    third = run_study(study, tiny_data, out, device="cpu", command="cmd", progress=False)
    assert [(u.variant, u.fold) for u in third.trained] == [("itc-only", 1)]
    assert target.is_file() and kept.stat().st_mtime_ns == before


@pytest.mark.slow
def test_other_kinds_write_the_same_result_layout(tiny_data, tmp_path):
    variants = """
[[variants]]
name = "ce-head"
kind = "ce-head"
[[variants]]
name = "pca"
kind = "pca-logreg"
overrides = ['render.model_input="depth"']
[[variants]]
name = "no-fear"
kind = "zero-shot"
holdout = "fear"
"""
    study = load_study(write_study(tmp_path / "s.toml", variants, extra="folds_only = [0]"))
    outcome = run_study(study, tiny_data, tmp_path / "out", device="cpu", progress=False)
    assert len(outcome.trained) == 3
    runs = tmp_path / "out" / "runs"
    for name in ("ce-head", "pca", "no-fear"):
        result = json.loads((runs / name / "seed_0" / "fold_00" / "fold_result.json").read_text())
        assert len(result["class_names"]) == 6
        assert sum(map(sum, result["test_metrics"]["confusion"])) > 0
    ce = json.loads((runs / "ce-head" / "seed_0" / "fold_00" / "fold_result.json").read_text())
    assert len(ce["history"]) == 1 and "val_accuracy" in ce["history"][0]
    shot = json.loads((runs / "no-fear" / "seed_0" / "fold_00" / "fold_result.json").read_text())
    assert "fear" not in shot["extras"]["seen_test_metrics"]["class_names"]
    assert (
        shot["extras"]["zero_shot"]["samples"]
        == sum(shot["extras"]["zero_shot"]["predicted_as"].values())
        > 0
    )
    report = (tmp_path / "out" / "report" / "report.md").read_text()
    assert "## Zero-shot emotion" in report and "held out: fear" in report


def test_a_failing_run_is_recorded_and_the_others_go_on(tiny_data, tmp_path):
    variants = """
[[variants]]
name = "pca-texture"
kind = "pca-logreg"
[[variants]]
name = "pca-depth"
kind = "pca-logreg"
overrides = ['render.model_input="depth"']
"""
    study = load_study(write_study(tmp_path / "s.toml", variants, extra="folds_only = [0]"))
    outcome = run_study(study, tiny_data, tmp_path / "out", device="cpu", progress=False)
    assert list(outcome.failed) == ["pca-texture/seed_0/fold_0"]
    assert "depth" in outcome.failed["pca-texture/seed_0/fold_0"]
    assert [u.variant for u in outcome.trained] == ["pca-depth"]
    failures = json.loads((tmp_path / "out" / "failures.json").read_text())
    assert failures == outcome.failed
    assert "1 run(s) failed" in (tmp_path / "out" / "report" / "report.md").read_text()


def test_a_finished_run_made_with_other_settings_is_not_reused(tiny_data, tmp_path):
    variants = '[[variants]]\nname = "pca"\nkind = "pca-logreg"\n'
    variants += "overrides = ['render.model_input=\"depth\"']\n"
    first = load_study(write_study(tmp_path / "a.toml", variants, extra="folds_only = [0]"))
    run_study(first, tiny_data, tmp_path / "out", device="cpu", progress=False)
    changed = write_study(
        tmp_path / "b.toml", variants, base=["data.batch_size=4"], extra="folds_only = [0]"
    )
    with pytest.raises(ExperimentError, match=r"data\.batch_size") as info:
        run_study(load_study(changed), tiny_data, tmp_path / "out", device="cpu", progress=False)
    assert "fold_00" in str(info.value)


def test_report_checks_cv_scores_the_other_family_and_names_no_machine_path(
    two_variant_run, tiny_data
):
    _, out, _ = two_variant_run
    text = (out / "report" / "report.md").read_text()
    cv = json.loads((out / "cv" / "results.json").read_text())
    ref = json.loads((out / "runs" / "full" / "seed_0" / "results.json").read_text())
    cv_acc = [f["test_metrics"]["accuracy"] for f in cv["folds"]]
    ref_acc = [f["test_metrics"]["accuracy"] for f in ref["folds"]]
    assert cv_acc == ref_acc  # the same recipe, data and seed on CPU: the same runs
    mean, sd = mean_std(cv_acc)
    assert f"{100 * mean:.1f} ± {100 * sd:.1f} %; the reference variant" in text
    assert "— agree (within the spread over folds)" in text
    rows = list(csv.DictReader((out / "report" / "runs.csv").open()))
    for r in rows:
        fold = json.loads((out / r["result_file"]).read_text())
        assert float(r["test_accuracy@rbf"]) == fold["extra_test_metrics"]["rbf"]["accuracy"]
    rbf = mean_std([float(r["test_accuracy@rbf"]) for r in rows if r["variant"] == "itc-only"])
    line = next(x for x in text.splitlines() if " | vlm | " in x and "itc-only" in x)
    assert f"{100 * rbf[0]:.1f} ± {100 * rbf[1]:.1f}" in line
    assert "test accuracy on rbf %" in text
    assert "face family base; also tested on family rbf; 4 subjects a dataset, seed 0" in text
    assert "affectvlm commit `" in text
    assert str(out) not in text and str(tiny_data.folds.parent) not in text
