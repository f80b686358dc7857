"""Group metrics on hand-made prediction tables, checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from affectvlm.eval.groups import (
    GroupConfig,
    PredictionTable,
    age_group,
    attribute_breakdown,
    balance_weights,
    format_gap,
    group_report,
    prediction_rows,
)
from affectvlm.io.layouts.record import SampleRecord

CLASSES = ["anger", "happiness"]
A, H = CLASSES


def _rows(subject, sex, age, pairs, ethnicity="WH"):
    return [
        {"subject": subject, "sex": sex, "age": age, "ethnicity": ethnicity, "true": t, "pred": p}
        for t, p in pairs
    ]


def hand_table() -> list[dict]:
    """s1 (F, 25): 3/4 right; s2 (F, 35): 2/2; s3 (M, 50): 1/2; s4 (M, age unknown): 1/2."""
    return (
        _rows("s1", "F", "25", [(A, A), (A, A), (H, H), (H, A)])
        + _rows("s2", "F", "35", [(A, A), (H, H)])
        + _rows("s3", "M", "50", [(A, H), (H, H)])
        + _rows("s4", "M", "", [(A, A), (H, A)])
    )


def _group(breakdown, name):
    return next(g for g in breakdown["groups"] if g["group"] == name)


def test_sex_groups_match_hand_computed_metrics():
    table = PredictionTable.from_rows(hand_table(), CLASSES)
    out = attribute_breakdown(table, "sex", GroupConfig(min_subjects=2, bootstrap=200))
    f, m = _group(out, "F"), _group(out, "M")
    assert (f["samples"], f["subjects"], m["samples"], m["subjects"]) == (6, 2, 4, 2)
    assert f["accuracy"] == pytest.approx(5 / 6)
    # F: confusion [[3, 0], [1, 2]] -> F1 anger 6/7, happiness 4/5
    assert f["macro_f1"] == pytest.approx((6 / 7 + 4 / 5) / 2)
    assert f["per_class_recall"] == pytest.approx({A: 1.0, H: 2 / 3})
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx(0.5)
    assert m["per_class_recall"] == pytest.approx({A: 0.5, H: 0.5})
    gap = out["gaps"]["accuracy"]
    assert (gap["best"], gap["worst"]) == ("F", "M")
    assert gap["value"] == pytest.approx(5 / 6 - 0.5)
    lo, hi = gap["ci"]
    assert lo <= gap["value"] <= hi


def test_age_groups_use_configured_bins_and_count_unknown_ages():
    assert [age_group(a, [18, 30, 45, 60]) for a in (17, 18, 29, 30, 44.9, 59, 60, 81)] == [
        "<18",
        "18–29",
        "18–29",
        "30–44",
        "30–44",
        "45–59",
        "60+",
        "60+",
    ]
    assert age_group("", [18, 30]) == "" and age_group("n/a", [18, 30]) == ""
    table = PredictionTable.from_rows(hand_table(), CLASSES)
    out = attribute_breakdown(table, "age", GroupConfig(min_subjects=1, bootstrap=0))
    assert [g["group"] for g in out["groups"]] == ["18–29", "30–44", "45–59"]
    assert [g["accuracy"] for g in out["groups"]] == pytest.approx([0.75, 1.0, 0.5])
    assert out["unknown_samples"] == 2
    coarse = attribute_breakdown(table, "age", GroupConfig(age_bins=[20, 40], bootstrap=0))
    assert [g["group"] for g in coarse["groups"]] == ["20–39", "40+"]


def test_small_groups_are_marked_reported_and_left_out_of_the_gap():
    rows = hand_table() + _rows("s5", "F", "70", [(A, A)], ethnicity="BL")
    table = PredictionTable.from_rows(rows, CLASSES)
    out = attribute_breakdown(table, "ethnicity", GroupConfig(min_subjects=2, bootstrap=100))
    bl, wh = _group(out, "BL"), _group(out, "WH")
    assert bl["small"] and not wh["small"]
    assert bl["accuracy"] == 1.0 and bl["subjects"] == 1
    gap = out["gaps"]["accuracy"]
    assert gap["value"] is None and "fewer than two groups" in gap["reason"]
    assert "not estimated" in format_gap(gap)


def test_bootstrap_resamples_subjects_not_scans():
    # One subject with 100 correct scans, four subjects with one wrong scan each: per scan
    # the group is 96 % right, but a fifth of the people drawn are the right one, so
    # resampled groups without that subject (p = 0.8**5 ≈ 0.33) score 0.
    rows = _rows("big", "F", "30", [(A, A)] * 100)
    for k in range(4):
        rows += _rows(f"one{k}", "F", "30", [(A, H)])
    rows += _rows("m1", "M", "30", [(A, A)]) + _rows("m2", "M", "30", [(A, H)])
    table = PredictionTable.from_rows(rows, CLASSES)
    out = attribute_breakdown(table, "sex", GroupConfig(min_subjects=2, bootstrap=2000, seed=3))
    f = _group(out, "F")
    assert f["accuracy"] == pytest.approx(100 / 104)
    assert f["subjects"] == 5 and f["samples"] == 104
    lo, hi = f["accuracy_ci"]
    assert lo == 0.0 and hi > 0.95  # a scan bootstrap would give roughly [0.92, 0.99]


def test_interval_width_follows_subject_count_at_equal_scan_count():
    def table(subjects, scans_each):
        rows = []
        for s in range(subjects):
            pred = A if s % 2 else H  # half the people always right, half always wrong
            rows += _rows(f"s{s}", "F", "30", [(A, pred)] * scans_each)
            rows += _rows(f"m{s}", "M", "30", [(A, pred)] * scans_each)
        return PredictionTable.from_rows(rows, CLASSES)

    config = GroupConfig(min_subjects=2, bootstrap=2000, seed=1)
    widths = []
    for subjects, scans in ((40, 2), (4, 20)):  # 80 scans per group either way
        f = _group(attribute_breakdown(table(subjects, scans), "sex", config), "F")
        assert f["samples"] == 80 and f["accuracy"] == pytest.approx(0.5)
        widths.append(f["accuracy_ci"][1] - f["accuracy_ci"][0])
    assert widths[1] > 2 * widths[0]


def test_bootstrap_is_seeded():
    table = PredictionTable.from_rows(hand_table(), CLASSES)
    config = GroupConfig(min_subjects=2, bootstrap=300, seed=7)
    first = attribute_breakdown(table, "sex", config)
    assert attribute_breakdown(table, "sex", config) == first
    other = attribute_breakdown(table, "sex", GroupConfig(min_subjects=2, bootstrap=300, seed=8))
    assert other["gaps"]["accuracy"]["value"] == first["gaps"]["accuracy"]["value"]


def test_group_report_skips_attributes_nobody_has_and_counts_subjects():
    rows = [{k: v for k, v in r.items() if k != "ethnicity"} for r in hand_table()]
    report = group_report(rows, CLASSES, GroupConfig(min_subjects=2, bootstrap=50))
    assert set(report["attributes"]) == {"sex", "age"}
    assert (report["samples"], report["subjects"]) == (10, 4)
    assert report["config"]["min_subjects"] == 2


def test_unknown_label_in_a_row_is_an_error_naming_the_row():
    rows = hand_table()
    rows[3]["pred"] = "contempt"
    with pytest.raises(ValueError, match=r"row 3.*contempt"):
        PredictionTable.from_rows(rows, CLASSES)


def test_prediction_rows_from_records_key_subjects_by_dataset():
    records = [
        SampleRecord("F0001/a.wrl", "bu3dfe", "F0001", A, "AN01", "emotion", "F", "WH", "27"),
        SampleRecord("F001/Happy", "bu4dfe", "F001", H, "HA", "emotion", "F", "AE", ""),
    ]
    rows = prediction_rows(records, [0, 1], [1, 1], CLASSES)
    assert rows[0] == {
        "path": "F0001/a.wrl",
        "subject": "bu3dfe/F0001",
        "true": A,
        "pred": H,
        "sex": "F",
        "ethnicity": "WH",
        "age": "27",
    }
    assert rows[1]["subject"] == "bu4dfe/F001" and rows[1]["age"] == ""
    with pytest.raises(ValueError, match="2 records but 1 labels"):
        prediction_rows(records, [0], [1], CLASSES)


def test_balance_weights_give_each_group_the_same_total():
    records = [
        SampleRecord(f"{i}.wrl", "bu3dfe", f"S{i}", A, "AN01", "emotion", sex)
        for i, sex in enumerate("FFFFFFMM")
    ] + [SampleRecord("x.wrl", "bu3dfe", "S9", A, "AN01", "emotion", "")]
    w = balance_weights(records, "sex")
    assert w.mean() == pytest.approx(1.0)
    totals = {g: w[[r.sex == g for r in records]].sum() for g in ("F", "M", "")}
    assert totals["F"] == pytest.approx(totals["M"]) == pytest.approx(totals[""])
    assert w[0] * 3 == pytest.approx(w[6])  # 6 women vs 2 men
    ages = [SampleRecord("a", "bu3dfe", "S", A, "", "emotion", age=a) for a in ("20", "25", "61")]
    assert balance_weights(ages, "age").tolist() == pytest.approx([0.75, 0.75, 1.5])
    with pytest.raises(ValueError, match="unknown attribute"):
        balance_weights(records, "height")


def test_permutation_test_separates_a_real_gap_from_picking_extremes_among_many_groups():
    rng = np.random.default_rng(0)
    rows = []
    for s in range(48):  # women are read right far more often; ethnicity plays no part
        code = ["AE", "AM", "BL", "IN", "LA", "WH"][(s // 2) % 6]  # independent of sex
        sex = "F" if s % 2 else "M"
        for _ in range(6):
            right = rng.random() < (0.9 if sex == "F" else 0.4)
            rows += _rows(f"s{s}", sex, "30", [(A, A if right else H)], ethnicity=code)
    table = PredictionTable.from_rows(rows, CLASSES)
    config = GroupConfig(min_subjects=3, bootstrap=500, seed=0)
    sex = attribute_breakdown(table, "sex", config)["gaps"]["accuracy"]
    assert sex["p_value"] < 0.01 and "the groups differ" in format_gap(sex)
    ethnicity = attribute_breakdown(table, "ethnicity", config)["gaps"]["accuracy"]
    assert ethnicity["value"] > 0.1  # the extremes of six groups always differ somewhat
    assert ethnicity["p_value"] > 0.05 and "no evidence" in format_gap(ethnicity)
