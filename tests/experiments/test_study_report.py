"""Report arithmetic on hand-made rows: pairing, conclusions, convergence epochs, CSV."""

import csv
import io

import pytest

from affectvlm.experiments.report import (
    compare,
    epochs_to_fraction,
    per_fold,
    runs_csv,
)
from affectvlm.experiments.report_text import conclusion
from affectvlm.experiments.stats import paired_t_test


def _row(variant, fold, seed, acc):
    return {"variant": variant, "fold": fold, "seed": seed, "test_accuracy": acc}


def test_pairs_are_seed_averaged_folds():
    rows = [_row("a", k, s, 0.5 + 0.1 * k + 0.02 * s) for k in range(3) for s in range(2)]
    rows += [_row("ref", k, s, 0.4 + 0.1 * k) for k in range(3) for s in range(2)]
    rows[0]["test_accuracy"] = 0.2  # fold 0, seed 0 of "a"
    assert per_fold(rows, "a", "test_accuracy") == pytest.approx({0: 0.36, 1: 0.61, 2: 0.71})
    t, perm = compare(rows, "a", "ref", "test_accuracy")
    expected = paired_t_test([0.36, 0.61, 0.71], [0.4, 0.5, 0.6])
    assert (t.n, t.over) == (3, "folds")
    assert t.p_value == pytest.approx(expected.p_value)
    assert perm.p_value == pytest.approx(0.5)  # d = -0.04, 0.11, 0.11: 4 of 8 patterns reach 0.18


def test_one_fold_protocol_pairs_over_seeds():
    rows = [_row("a", 0, s, 0.5 + 0.01 * s) for s in range(3)]
    rows += [_row("ref", 0, s, 0.4 - 0.02 * s) for s in range(3)]
    t, _ = compare(rows, "a", "ref", "test_accuracy")
    assert t.n == 3 and t.over.startswith("runs")
    assert t.mean_diff == pytest.approx(0.13)


def test_too_few_pairs_give_no_test_and_say_so():
    rows = [_row("a", 0, 0, 0.5), _row("ref", 0, 0, 0.4)]
    assert compare(rows, "a", "ref", "test_accuracy") is None
    text = conclusion({"label": "a", "vs_ref": None}, "ref")
    assert "no test" in text


def test_conclusion_states_size_direction_and_significance():
    rows = [_row("a", k, 0, 0.50 + 0.01 * (k % 2)) for k in range(4)]
    rows += [_row("ref", k, 0, 0.51) for k in range(4)]
    summary = {"label": "−L_mc", "vs_ref": compare(rows, "a", "ref", "test_accuracy")}
    text = conclusion(summary, "full")
    assert text.startswith("−L_mc: -0.5 pts test accuracy vs full (lower), not significant")
    assert "over 4 folds" in text


def test_constant_differences_fall_back_to_the_sign_flip_test():
    rows = [_row("a", k, 0, 0.6) for k in range(5)] + [_row("ref", k, 0, 0.5) for k in range(5)]
    text = conclusion({"label": "a", "vs_ref": compare(rows, "a", "ref", "test_accuracy")}, "r")
    assert "significant (p=0.062, sign-flip test" in text  # 2/32: all five folds agree


def test_epochs_to_ninety_percent_of_the_final_accuracy():
    history = [{"epoch": e, "val_accuracy": a} for e, a in enumerate([0.1, 0.3, 0.46, 0.5, 0.5], 1)]
    assert epochs_to_fraction(history) == 3  # 0.9 × 0.5 = 0.45
    assert epochs_to_fraction(history, 0.5) == 2
    assert epochs_to_fraction([]) is None


def test_runs_csv_leaves_out_private_columns_and_blanks_missing_values():
    rows = [{"variant": "a", "x": None, "_history": [1]}, {"variant": "b", "y": 2}]
    table = list(csv.DictReader(io.StringIO(runs_csv(rows))))
    assert table == [{"variant": "a", "x": "", "y": ""}, {"variant": "b", "x": "", "y": "2"}]
