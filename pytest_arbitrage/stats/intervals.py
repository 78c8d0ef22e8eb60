"""Intervals for one cell's mean score and for a paired difference of 0/1 scores.

All values are fractions in [0, 1]; an interval is a `(low, high)` tuple, or
`(None, None)` when the data cannot support one (no examples).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import norm

Interval = tuple[float | None, float | None]


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion."""
    if n <= 0:
        return (None, None)
    z = z_value(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean_interval(
    values: Sequence[float], *, confidence: float = 0.95, seed: int = 0, n_resamples: int = 2000
) -> Interval:
    """Seeded BCa bootstrap interval for a mean (percentile when BCa is undefined)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (None, None)
    if x.size == 1 or np.ptp(x) == 0:
        return (float(x.mean()), float(x.mean()))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)
    lo_q, hi_q = _bca_quantiles(x, means, confidence)
    return (float(np.quantile(means, lo_q)), float(np.quantile(means, hi_q)))


def _bca_quantiles(x: np.ndarray, means: np.ndarray, confidence: float) -> tuple[float, float]:
    """Bias-corrected and accelerated quantile levels (Efron 1987)."""
    alpha = (1 - confidence) / 2
    prop = (np.sum(means < x.mean()) + 0.5 * np.sum(means == x.mean())) / means.size
    if not 0 < prop < 1:
        return alpha, 1 - alpha
    z0 = norm.ppf(prop)
    jack = (x.sum() - x) / (x.size - 1)
    dev = jack.mean() - jack
    denom = 6 * np.sum(dev**2) ** 1.5
    accel = np.sum(dev**3) / denom if denom > 0 else 0.0
    levels = []
    for z in (norm.ppf(alpha), norm.ppf(1 - alpha)):
        levels.append(float(norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))))
    return levels[0], levels[1]


def mean_interval(
    values: Sequence[float], *, binary: bool, confidence: float = 0.95, seed: int = 0,
    n_resamples: int = 2000,
) -> tuple[Interval, str]:
    """Interval for a cell mean: Wilson for 0/1 scores, seeded bootstrap otherwise."""
    if binary:
        return wilson_interval(int(round(sum(values))), len(values), confidence=confidence), "wilson"
    interval = bootstrap_mean_interval(
        values, confidence=confidence, seed=seed, n_resamples=n_resamples
    )
    return interval, "bootstrap-bca"


def newcombe_paired_interval(
    both: int, only_new: int, only_ref: int, neither: int, *, confidence: float = 0.95
) -> Interval:
    """Newcombe (1998, method 10) interval for p_new - p_ref from a paired 2x2 table."""
    n = both + only_new + only_ref + neither
    if n == 0:
        return (None, None)
    p_new, p_ref = (both + only_new) / n, (both + only_ref) / n
    l_new, u_new = wilson_interval(both + only_new, n, confidence=confidence)
    l_ref, u_ref = wilson_interval(both + only_ref, n, confidence=confidence)
    phi = _phi(both, only_new, only_ref, neither)
    d_lo = math.sqrt(max(0.0, (p_new - l_new) ** 2 - 2 * phi * (p_new - l_new) * (u_ref - p_ref)
                         + (u_ref - p_ref) ** 2))
    d_hi = math.sqrt(max(0.0, (u_new - p_new) ** 2 - 2 * phi * (u_new - p_new) * (p_ref - l_ref)
                         + (p_ref - l_ref) ** 2))
    delta = p_new - p_ref
    return (max(-1.0, delta - d_lo), min(1.0, delta + d_hi))


def _phi(a: int, b: int, c: int, d: int) -> float:
    """Phi correlation of a 2x2 table (0 when a margin is empty)."""
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    return (a * d - b * c) / math.sqrt(denom) if denom > 0 else 0.0
