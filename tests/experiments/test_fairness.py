"""The study report's group breakdowns: pooled predictions, paired gap changes, the section."""

from __future__ import annotations

import json

import pytest

from affectvlm.config import from_dict
from affectvlm.eval.groups import GroupConfig
from affectvlm.experiments.fairness import (
    PREDICTIONS_FILE,
    fairness_section,
    spread_change,
    variant_predictions,
)
from affectvlm.experiments.study import RunSpec, Study
from affectvlm.train.result import FoldResult, save_fold_result

CLASSES = ["anger", "happiness"]
A, H = CLASSES


def _rows(correct: dict[str, float], subjects: int = 6, scans: int = 4) -> list[dict]:
    """``subjects`` women and men; a share ``correct[sex]`` of each person's scans right."""
    rows = []
    for sex in ("F", "M"):
        for s in range(subjects):
            right = round(correct[sex] * scans)
            for k in range(scans):
                rows.append(
                    {
                        "subject": f"bu3dfe/{sex}{s:04d}",
                        "sex": sex,
                        "ethnicity": "WH",
                        "age": "30",
                        "true": A,
                        "pred": A if k < right else H,
                    }
                )
    return rows


CONFIG = GroupConfig(min_subjects=3, bootstrap=400, seed=0)


def test_identical_variants_change_nothing_and_the_paired_tests_see_it():
    rows = _rows({"F": 1.0, "M": 0.5})
    change = spread_change(rows, rows, CLASSES, "sex", ["F", "M"], config=CONFIG)
    assert change["reference_spread"] == pytest.approx(0.5) and change["change"] == 0.0
    assert change["ci"] == [0.0, 0.0]  # the same subjects are drawn for both variants
    assert change["p_value"] == 1.0


def test_a_variant_that_closes_the_gap_narrows_the_spread_significantly():
    ref, new = _rows({"F": 1.0, "M": 0.5}), _rows({"F": 0.75, "M": 0.75})
    change = spread_change(ref, new, CLASSES, "sex", ["F", "M"], config=CONFIG)
    assert change["spread"] == pytest.approx(0.0)
    assert change["change"] == pytest.approx(-0.5)
    assert change["ci"][1] < 0 and change["p_value"] < 0.01


def _study() -> Study:
    return from_dict(
        Study,
        {
            "name": "toy",
            "reference": "ref",
            "variants": [{"name": "ref"}, {"name": "fair", "label": "fair prompts"}],
        },
    )


def _write(out, variant, fold, rows, keep=True):
    folder = RunSpec(variant, 0, fold).run_dir(out) / f"fold_{fold:02d}"
    folder.mkdir(parents=True)
    result = FoldResult(
        fold, 1, 1, "accuracy", {}, {}, CLASSES, "", predictions=rows if keep else []
    )
    save_fold_result(folder, result)
    return folder


def test_predictions_are_pooled_per_variant_from_results_files_or_recovered(tmp_path):
    rows = _rows({"F": 1.0, "M": 0.5}, subjects=2, scans=1)
    _write(tmp_path, "ref", 0, rows[:2])
    _write(tmp_path, "ref", 1, rows[2:])
    kept = _write(tmp_path, "fair", 0, [], keep=False)
    (kept / PREDICTIONS_FILE).write_text(json.dumps(rows[:1]))
    _write(tmp_path, "fair", 1, [], keep=False)
    asked = []

    def recover(unit, folder):
        asked.append((unit.variant, unit.fold))
        return rows[1:2]

    pooled = variant_predictions(_study(), tmp_path, [0], [0, 1], recover)
    assert len(pooled["ref"]) == 4 and {r["fold"] for r in pooled["ref"]} == {0, 1}
    assert asked == [("fair", 1)] and len(pooled["fair"]) == 2


def test_fairness_section_tables_gaps_changes_and_figures(tmp_path):
    _write(tmp_path, "ref", 0, _rows({"F": 1.0, "M": 0.5}))
    _write(tmp_path, "fair", 0, _rows({"F": 0.75, "M": 0.75}))
    target = tmp_path / "report"
    target.mkdir()
    lines = fairness_section(_study(), tmp_path, [0], [0], target, CLASSES, CONFIG)
    text = "\n".join(lines)
    assert "## By group" in text and "### sex (`groups_sex.png`)" in text
    assert "| **ref** | 100.0" in text
    assert "fair prompts: spread 0.0 pts vs 50.0 for the reference" in text
    assert "the spread narrows" in text
    saved = json.loads((target / "groups.json").read_text())
    assert saved["reference"] == "ref"
    assert saved["spread_changes"]["sex"]["fair"]["change"] == pytest.approx(-0.5)
    assert (target / "groups_sex.png").stat().st_size > 1000
    assert fairness_section(_study(), tmp_path / "none", [0], [0], target, CLASSES) == []
