"""Exact coverage and null simulations, for the calibration tests and benchmark."""
from __future__ import annotations

import numpy as np
from scipy.stats import binom, multinomial

from pytest_arbitrage.stats.intervals import newcombe_paired_interval, wilson_interval
from pytest_arbitrage.stats.multiple import adjust_pvalues


def wilson_coverage(p: float, n: int, *, confidence: float = 0.95) -> float:
    """Probability over Binomial(n, p) that the Wilson interval contains p."""
    ks = np.arange(n + 1)
    covered = [lo <= p <= hi for lo, hi in
               (wilson_interval(int(k), n, confidence=confidence) for k in ks)]
    return float(np.sum(binom.pmf(ks, n, p)[covered]))


def newcombe_coverage(probs: tuple[float, float, float, float], n: int) -> float:
    """Coverage of the paired interval over every 2x2 table of n pairs.

    probs: (both, only_new, only_ref, neither) cell probabilities.
    """
    truth = probs[1] - probs[2]
    total = 0.0
    for a in range(n + 1):
        for b in range(n + 1 - a):
            for c in range(n + 1 - a - b):
                lo, hi = newcombe_paired_interval(a, b, c, n - a - b - c)
                if lo <= truth <= hi:
                    total += multinomial.pmf([a, b, c, n - a - b - c], n, probs)
    return float(total)


def null_mcnemar_pvalues(
    rng: np.random.Generator, *, reps: int, family: int, n: int, discordance: float = 0.4
) -> np.ndarray:
    """(reps, family) exact McNemar p-values of comparisons with no true difference."""
    discordant = rng.binomial(n, discordance, size=(reps, family))
    only_new = rng.binomial(discordant, 0.5)
    low = np.minimum(only_new, discordant - only_new)
    return np.minimum(1.0, 2 * binom.cdf(low, discordant, 0.5))


def familywise_error(pvalues: np.ndarray, method: str, alpha: float = 0.05) -> float:
    """Share of families (rows) with at least one rejection after correction."""
    adjusted = np.array([adjust_pvalues(list(row), method) for row in pvalues], dtype=float)
    return float(np.mean((adjusted < alpha).any(axis=1)))
