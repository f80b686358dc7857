"""Paired significance tests over folds, in plain Python (no scipy).

``paired_t_test`` uses Student's t distribution through the regularised incomplete beta
function (Lentz's continued fraction, as in Numerical Recipes §6.4); ``sign_flip_test`` is
the exact permutation test that flips the sign of every paired difference (2ⁿ patterns).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """``I_x(a, b)`` for ``a, b > 0`` and ``0 ≤ x ≤ 1``."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must lie in [0, 1], got {x}")
    if x in (0.0, 1.0):
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value ``P(|T| ≥ |t|)`` of Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df must be positive, got {df}")
    if math.isinf(t):
        return 0.0
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


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


def _diffs(a: Sequence[float], b: Sequence[float]) -> list[float]:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    return [float(x) - float(y) for x, y in zip(a, b, strict=True)]


def paired_t_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Student's paired t-test. n < 2 or all differences zero give p = 1; a non-zero
    constant difference leaves t undefined (p = NaN: use :func:`sign_flip_test`)."""
    d = _diffs(a, b)
    n = len(d)
    mean = sum(d) / n if n else 0.0
    if n < 2:
        return PairedTest(n, mean, 0.0, 0.0, 1.0, "paired t-test")
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    if sd <= 1e-12 * max(1.0, abs(mean)):  # constant differences: t is undefined
        p = 1.0 if abs(mean) <= 1e-12 else math.nan
        return PairedTest(n, mean, 0.0, math.nan, p, "paired t-test")
    t = mean / (sd / math.sqrt(n))
    return PairedTest(n, mean, sd, t, t_two_sided_p(t, n - 1), "paired t-test")


def sign_flip_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Exact two-sided sign-flip permutation test of the mean paired difference (n ≤ 20)."""
    d = _diffs(a, b)
    n = len(d)
    if n > 20:
        raise ValueError(f"exact sign-flip test enumerates 2^n patterns; n={n} is too many")
    mean = sum(d) / n if n else 0.0
    observed = abs(sum(d))
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed - 1e-12
        for signs in itertools.product((1.0, -1.0), repeat=n)
    )
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
    return PairedTest(n, mean, sd, mean, hits / 2**n if n else 1.0, "sign-flip permutation test")
