"""Paired significance tests over folds (or seeds), computed by :mod:`scipy.stats`.

``paired_t_test`` is Student's paired t-test (``scipy.stats.ttest_rel``); ``sign_flip_test``
is the exact permutation test that flips the sign of every paired difference, all 2ⁿ
patterns enumerated (``scipy.stats.permutation_test`` with ``n_resamples=inf``). The
degenerate cases, where scipy answers NaN or ±inf, are decided here before it is called.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

MAX_SIGN_FLIP_PAIRS = 20  # 2^20 patterns: the most the exact enumeration is allowed


@dataclass
class PairedTest:
    """Outcome of a paired test of ``a - b`` (positive ``mean_diff``: ``a`` is higher)."""

    n: int
    mean_diff: float
    std_diff: float  # sample std (ddof=1) of the differences
    statistic: float
    p_value: float
    method: str
    over: str = "pairs"  # what the pairs are (folds, seeds), for the report


def _diffs(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    return np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)


def _mean_std(d: np.ndarray) -> tuple[float, float]:
    mean = float(d.mean()) if len(d) else 0.0
    return mean, float(d.std(ddof=1)) if len(d) > 1 else 0.0


def paired_t_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Student's paired t-test. n < 2 or all differences zero give p = 1; a non-zero
    constant difference leaves t undefined (statistic and p NaN: use :func:`sign_flip_test`)."""
    d = _diffs(a, b)
    n, (mean, sd) = len(d), _mean_std(d)
    method = "paired t-test"
    if n < 2:
        return PairedTest(n, mean, 0.0, 0.0, 1.0, method)
    if sd <= 1e-12 * max(1.0, abs(mean)):  # constant differences: scipy would say ±inf or NaN
        p = 1.0 if abs(mean) <= 1e-12 else math.nan
        return PairedTest(n, mean, 0.0, math.nan, p, method)
    with warnings.catch_warnings():  # nearly constant differences: scipy's precision warning
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_rel(a, b)
    return PairedTest(n, mean, sd, float(result.statistic), float(result.pvalue), method)


def sign_flip_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Exact two-sided sign-flip permutation test of the mean paired difference (n ≤ 20);
    the statistic is the mean difference, and n < 2 gives p = 1."""
    d = _diffs(a, b)
    n, (mean, sd) = len(d), _mean_std(d)
    if n > MAX_SIGN_FLIP_PAIRS:
        raise ValueError(f"exact sign-flip test enumerates 2^n patterns; n={n} is too many")
    method = "sign-flip permutation test"
    if n < 2:  # both signs of a single difference reach it: p = 1
        return PairedTest(n, mean, sd, mean, 1.0, method)
    result = stats.permutation_test(
        (d,), np.mean, permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
    )
    return PairedTest(n, mean, sd, mean, float(result.pvalue), method)
