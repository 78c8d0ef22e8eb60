"""Minimum detectable effect (MDE) of a paired comparison at its sample size.

Normal approximation for a two-sided paired test at level alpha and the given
power: MDE = (z_{1-alpha/2} + z_{power}) * sqrt(s2 / n), where s2 is the second
moment of the paired differences about zero (for 0/1 scores: the discordance
rate, as in McNemar power calculations), smoothed with one pseudo-pair of
difference 1 and one of difference 0 so that a comparison with no observed
discordance does not claim an MDE of zero.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm


def minimum_detectable_effect(diffs, *, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Smallest |delta| detectable with `power` at two-sided `alpha` for these pairs."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        return None
    second_moment = (float(np.sum(d**2)) + 1.0) / (d.size + 2)
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return float(min(1.0, z * math.sqrt(second_moment / d.size)))
