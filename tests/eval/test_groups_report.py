"""Demographic breakdowns inside the run report (results.json, report.md, PNGs, CSV)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from affectvlm.eval.groups import GroupConfig
from affectvlm.eval.metrics import classification_metrics
from affectvlm.eval.report import write_report

CLASSES = ["anger", "happiness", "surprise"]


def _fold(k: int, subjects: list[str], rng: np.random.Generator) -> dict:
    rows = []
    for s in subjects:
        sex = "F" if int(s[1:]) % 2 else "M"
        for c in CLASSES:
            wrong = sex == "M" and rng.random() < 0.5  # men are misread half the time
            pred = CLASSES[(CLASSES.index(c) + 1) % 3] if wrong else c
            rows.append(
                {
                    "path": f"{s}/{c}.wrl",
                    "subject": f"bu3dfe/{s}",
                    "true": c,
                    "pred": pred,
                    "sex": sex,
                    "ethnicity": "WH" if int(s[1:]) < 6 else "BL",
                    "age": str(20 + 3 * int(s[1:])),
                }
            )
    y = [CLASSES.index(r["true"]) for r in rows]
    p = [CLASSES.index(r["pred"]) for r in rows]
    return {
        "fold": k,
        "best_epoch": 1,
        "epochs_run": 1,
        "select_metric": "accuracy",
        "val_metrics": {"accuracy": 0.5},
        "model_dir": f"fold_{k}/model",
        "class_names": CLASSES,
        "test_metrics": classification_metrics(y, p, CLASSES).to_dict(),
        "predictions": rows,
    }


def _report(tmp_path, folds, groups=None):
    return write_report(
        tmp_path,
        folds,
        config={},
        prompt_bank={},
        prompt_fingerprint="x",
        folds_file=None,
        folds_hash="0" * 64,
        command="affectvlm cv",
        groups=groups,
    )


def test_report_pools_fold_predictions_into_group_breakdowns(tmp_path):
    rng = np.random.default_rng(0)
    folds = [
        _fold(0, [f"s{i}" for i in range(6)], rng),
        _fold(1, [f"s{i}" for i in range(6, 12)], rng),
    ]
    results = _report(tmp_path, folds, GroupConfig(min_subjects=3, bootstrap=200))
    on_disk = json.loads((tmp_path / "results.json").read_text())
    groups = on_disk["groups"]
    assert groups == json.loads(json.dumps(results["groups"]))
    assert groups["available"] and groups["samples"] == 36 and groups["subjects"] == 12
    sex = {g["group"]: g for g in groups["attributes"]["sex"]["groups"]}
    assert sex["F"]["subjects"] == 6 and sex["F"]["accuracy"] == 1.0
    assert sex["M"]["accuracy"] < 1.0
    assert groups["attributes"]["sex"]["gaps"]["accuracy"]["best"] == "F"
    assert [g["group"] for g in groups["attributes"]["age"]["groups"]] == [
        "18–29",
        "30–44",
        "45–59",
    ]
    with open(tmp_path / "predictions.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 36 and {r["fold"] for r in table} == {"0", "1"}
    for attribute in ("sex", "ethnicity", "age"):
        assert Image.open(tmp_path / f"groups_{attribute}.png").size[0] > 300
    md = (tmp_path / "report.md").read_text()
    assert "## By group" in md and "### sex (`groups_sex.png`)" in md
    assert "accuracy gap F − M" in md


def test_report_without_predictions_says_breakdowns_are_unavailable(tmp_path):
    fold = _fold(0, ["s1", "s2"], np.random.default_rng(0))
    del fold["predictions"]
    results = _report(tmp_path, [fold])
    assert results["groups"]["available"] is False
    assert "Not available" in (tmp_path / "report.md").read_text()
    assert not list(tmp_path.glob("groups_*.png"))


@pytest.mark.parametrize("min_subjects", [1, 50])
def test_report_lists_small_groups_as_too_few(tmp_path, min_subjects):
    fold = _fold(0, [f"s{i}" for i in range(8)], np.random.default_rng(1))
    results = _report(tmp_path, [fold], GroupConfig(min_subjects=min_subjects, bootstrap=50))
    sex = results["groups"]["attributes"]["sex"]
    assert all(g["small"] == (min_subjects == 50) for g in sex["groups"])
    assert ("| too few |" in (tmp_path / "report.md").read_text()) == (min_subjects == 50)


def test_variant_comparison_figure_draws_every_variant(tmp_path):
    from affectvlm.eval.fairness_plots import plot_variant_groups
    from affectvlm.eval.groups import group_report

    rng = np.random.default_rng(2)
    rows = _fold(0, [f"s{i}" for i in range(10)], rng)["predictions"]
    a = group_report(rows, CLASSES, GroupConfig(min_subjects=3, bootstrap=50))
    b = group_report(rows[:12], CLASSES, GroupConfig(min_subjects=3, bootstrap=50))
    path = plot_variant_groups(
        "sex",
        {"full": a["attributes"]["sex"], "attr-free": b["attributes"]["sex"]},
        tmp_path / "g.png",
    )
    assert Image.open(path).size[0] > 300
