"""Paired tests over folds against scipy, a brute-force enumeration and values by hand."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from affectvlm.experiments.stats import paired_t_test, sign_flip_test

# Test accuracy of two variants on the same five folds.
FOLDS_A = [0.62, 0.58, 0.71, 0.66, 0.60]
FOLDS_B = [0.55, 0.57, 0.64, 0.61, 0.62]


def _brute_force_sign_flip_p(d: list[float]) -> float:
    observed = abs(sum(d))
    patterns = list(itertools.product((1, -1), repeat=len(d)))
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed - 1e-12
        for signs in patterns
    )
    return hits / len(patterns)


def test_paired_t_test_matches_scipy_on_a_table_of_fold_accuracies():
    result = paired_t_test(FOLDS_A, FOLDS_B)
    expected = stats.ttest_rel(FOLDS_A, FOLDS_B)
    d = np.subtract(FOLDS_A, FOLDS_B)
    assert result.n == 5 and result.method == "paired t-test" and result.over == "pairs"
    assert result.mean_diff == pytest.approx(d.mean())
    assert result.std_diff == pytest.approx(d.std(ddof=1))
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_sign_flip_test_matches_a_brute_force_enumeration_of_the_fold_table():
    result = sign_flip_test(FOLDS_A, FOLDS_B)
    d = [x - y for x, y in zip(FOLDS_A, FOLDS_B, strict=True)]
    assert result.n == 5 and result.method == "sign-flip permutation test"
    assert result.statistic == pytest.approx(np.mean(d))
    assert result.p_value == pytest.approx(_brute_force_sign_flip_p(d))


def test_paired_t_test_matches_hand_computation():
    a = [1.0, 2.0, 3.0, 4.0, 5.0]
    b = [0.5, 2.5, 2.0, 3.0, 4.0]  # differences 0.5, -0.5, 1, 1, 1
    result = paired_t_test(a, b)
    sd = math.sqrt(((0.5 - 0.6) ** 2 + 1.1**2 + 3 * 0.4**2) / 4)
    t = 0.6 / (sd / math.sqrt(5))
    assert result.mean_diff == pytest.approx(0.6)
    assert result.std_diff == pytest.approx(sd)
    assert result.statistic == pytest.approx(t)
    assert result.p_value == pytest.approx(2 * stats.t.sf(t, 4))
    assert 0.10 < result.p_value < 0.20  # t = 2.06 lies between the 0.10 and 0.20 points


def test_paired_t_test_gives_the_table_p_at_the_critical_t_value():
    # Differences m + (-2, -1, 0, 1, 2): sd = sqrt(2.5), so m = t·sd/√5 makes t = 2.776445,
    # the two-sided 5 % point of Student's t with 4 degrees of freedom.
    t = 2.776445
    m = t * math.sqrt(2.5) / math.sqrt(5)
    a = [m + e for e in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    result = paired_t_test(a, [0.0] * 5)
    assert result.statistic == pytest.approx(t, rel=1e-9)
    assert result.p_value == pytest.approx(0.05, abs=1e-6)


def test_paired_tests_are_symmetric_in_sign():
    a, b = [0.4, 0.5, 0.7], [0.3, 0.55, 0.5]
    for test in (paired_t_test, sign_flip_test):
        assert test(a, b).p_value == pytest.approx(test(b, a).p_value)
        assert test(a, b).mean_diff == pytest.approx(-test(b, a).mean_diff)
    assert paired_t_test(a, b).statistic == pytest.approx(-paired_t_test(b, a).statistic)


def test_paired_t_test_degenerate_cases(recwarn):
    zero = paired_t_test([1.0, 2.0], [1.0, 2.0])
    assert zero.p_value == 1.0 and zero.std_diff == 0.0
    constant = paired_t_test([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])
    assert math.isnan(constant.statistic) and math.isnan(constant.p_value)
    assert constant.mean_diff == pytest.approx(0.5)
    assert paired_t_test([1.0], [0.0]).p_value == 1.0
    assert paired_t_test([], []).p_value == 1.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    with pytest.raises(ValueError, match="length: 2 vs 1"):
        paired_t_test([1.0, 2.0], [1.0])


def test_sign_flip_test_degenerate_cases():
    assert sign_flip_test([1.0, 2.0], [1.0, 2.0]).p_value == 1.0
    assert sign_flip_test([1.0], [0.0]).p_value == 1.0
    assert sign_flip_test([], []).p_value == 1.0
    # a constant non-zero difference, where t is undefined, still has an exact p
    assert sign_flip_test([1.0, 2.0, 3.0], [0.5, 1.5, 2.5]).p_value == pytest.approx(2 / 8)
    with pytest.raises(ValueError, match="length: 1 vs 2"):
        sign_flip_test([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="n=21"):
        sign_flip_test([1.0] * 21, [0.0] * 21)


def test_sign_flip_p_of_five_positive_differences_is_two_in_thirty_two():
    assert sign_flip_test([0.7, 0.6, 0.8, 0.65, 0.9], [0.5] * 5).p_value == pytest.approx(2 / 32)


def test_sign_flip_test_enumerates_all_patterns():
    assert sign_flip_test([1, 0], [0, 1]).p_value == 1.0
    d = [3.0, 1.0, -1.0]  # signed sums 3, 5, 1, 3, -3, -1, -5, -3: six reach |3|
    assert sign_flip_test(d, [0, 0, 0]).p_value == pytest.approx(_brute_force_sign_flip_p(d))
    assert sign_flip_test(d, [0, 0, 0]).p_value == pytest.approx(6 / 8)
