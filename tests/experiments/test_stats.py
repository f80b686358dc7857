"""Paired tests over folds against values computed by hand."""

import math

import pytest

from affectvlm.experiments.stats import (
    paired_t_test,
    regularized_beta,
    sign_flip_test,
    t_two_sided_p,
)


def test_regularized_beta_matches_closed_forms():
    for x in (0.1, 0.37, 0.8):
        assert regularized_beta(1.0, 1.0, x) == pytest.approx(x, abs=1e-12)
        assert regularized_beta(3.0, 1.0, x) == pytest.approx(x**3, abs=1e-12)
        assert regularized_beta(1.0, 2.0, x) == pytest.approx(1 - (1 - x) ** 2, abs=1e-12)


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 12.7])
def test_t_p_value_matches_exact_cauchy_and_df2_formulas(t):
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-10)
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-10)


def test_t_p_value_matches_table_critical_values():
    assert t_two_sided_p(2.776445, 4) == pytest.approx(0.05, abs=1e-6)
    assert t_two_sided_p(2.131847, 4) == pytest.approx(0.10, abs=1e-6)
    assert t_two_sided_p(2.262157, 9) == pytest.approx(0.05, abs=1e-6)
    assert t_two_sided_p(1.959964, 1e7) == pytest.approx(0.05, abs=1e-5)


def test_paired_t_test_matches_hand_computation():
    a = [1.0, 2.0, 3.0, 4.0, 5.0]
    b = [0.5, 2.5, 2.0, 3.0, 4.0]  # differences 0.5, -0.5, 1, 1, 1
    result = paired_t_test(a, b)
    sd = math.sqrt(((0.5 - 0.6) ** 2 + 1.1**2 + 3 * 0.4**2) / 4)
    t = 0.6 / (sd / math.sqrt(5))
    assert result.mean_diff == pytest.approx(0.6)
    assert result.std_diff == pytest.approx(sd)
    assert result.statistic == pytest.approx(t)
    assert result.p_value == pytest.approx(t_two_sided_p(t, 4))
    assert 0.10 < result.p_value < 0.20  # t = 2.06 lies between the 0.10 and 0.20 points


def test_paired_t_test_is_symmetric_in_sign():
    a, b = [0.4, 0.5, 0.7], [0.3, 0.55, 0.5]
    assert paired_t_test(a, b).p_value == pytest.approx(paired_t_test(b, a).p_value)
    assert paired_t_test(a, b).mean_diff == pytest.approx(-paired_t_test(b, a).mean_diff)


def test_paired_t_test_degenerate_cases():
    assert paired_t_test([1.0, 2.0], [1.0, 2.0]).p_value == 1.0
    assert math.isnan(paired_t_test([1.0, 2.0, 3.0], [0.5, 1.5, 2.5]).p_value)
    assert paired_t_test([1.0], [0.0]).p_value == 1.0
    with pytest.raises(ValueError, match="length"):
        paired_t_test([1.0, 2.0], [1.0])


def test_sign_flip_test_enumerates_all_patterns():
    assert sign_flip_test([1, 2, 3], [0, 0, 0]).p_value == pytest.approx(2 / 8)
    assert sign_flip_test([1, 0], [0, 1]).p_value == 1.0
    # d = 3, 1, -1: |sum| = 3; patterns reaching ±3 or beyond: (+,+,-), (+,-,+)... count by hand
    d = [3, 1, -1]
    hits = 0
    for s0 in (1, -1):
        for s1 in (1, -1):
            for s2 in (1, -1):
                hits += abs(s0 * d[0] + s1 * d[1] + s2 * d[2]) >= 3
    assert sign_flip_test(d, [0, 0, 0]).p_value == pytest.approx(hits / 8)
