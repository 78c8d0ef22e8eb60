"""Paired comparison of two cells scored on the same examples.

`delta` is always `new - ref`. Only example ids present in both cells are paired.
0/1 scores: McNemar's test on the discordant pairs, exact (the default) or mid-p, and the
Newcombe paired interval. Other scores: two-sided sign-flip permutation test on the
paired differences, exact by full enumeration up to 2**EXACT_SIGN_FLIP_MAX sign patterns,
seeded Monte Carlo beyond (whose p is never below 1/(R+1)), and a seeded BCa bootstrap
interval of the mean difference.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np
from scipy.stats import binom, binomtest

from pytest_arbitrage.stats.intervals import bootstrap_mean_interval, newcombe_paired_interval
from pytest_arbitrage.stats.power import minimum_detectable_effect

# Full enumeration fixes the first sign (|sum| is symmetric), so 2**(k-1) patterns: ~0.5M at 20.
EXACT_SIGN_FLIP_MAX = 20
_CHUNK = 1 << 15  # sign patterns per matrix product, to bound memory
from pytest_arbitrage.stats.levels import MCNEMAR_METHODS


def mcnemar_exact_p(only_new: int, only_ref: int) -> float:
    """Exact two-sided McNemar p-value from the two discordant counts."""
    discordant = only_new + only_ref
    if discordant == 0:
        return 1.0
    return float(binomtest(only_new, discordant, 0.5).pvalue)


def mcnemar_midp(only_new: int, only_ref: int) -> float:
    """Mid-p McNemar (Fagerland et al. 2013): the exact p less the probability of the observed count.

    Less conservative than the exact test; its type-I error stays close to (rarely above) alpha.
    """
    discordant = only_new + only_ref
    if discordant == 0:
        return 1.0
    low = min(only_new, only_ref)
    return float(min(1.0, 2 * binom.cdf(low, discordant, 0.5) - binom.pmf(low, discordant, 0.5)))


def mcnemar_p(only_new: int, only_ref: int, method: str = "exact") -> float:
    """McNemar's p-value by `method` ("exact" or "midp")."""
    tests = {"exact": mcnemar_exact_p, "midp": mcnemar_midp}
    if method not in tests:
        raise ValueError(f"unknown McNemar method {method!r}; valid choices: {', '.join(MCNEMAR_METHODS)}")
    return tests[method](only_new, only_ref)


class SignFlip(NamedTuple):
    p: float
    method: str  # "sign-flip-exact" or "sign-flip-monte-carlo"
    n_resamples: int  # sign patterns enumerated (exact) or drawn (Monte Carlo)
    exact: bool


def sign_flip_p(diffs, *, seed: int = 0, n_resamples: int = 10_000) -> SignFlip:
    """Two-sided sign-flip test of mean(diffs) == 0: exact when cheap, else seeded Monte Carlo."""
    d = np.asarray(diffs, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return SignFlip(1.0, "sign-flip-exact", 1, True)
    # A tolerance so that sign patterns tying the observed sum count as "as extreme".
    observed = abs(d.sum()) - 1e-9 * max(1.0, abs(d.sum()))
    if d.size <= EXACT_SIGN_FLIP_MAX:
        return _exact_sign_flip(d, observed)
    return _monte_carlo_sign_flip(d, observed, seed, n_resamples)


def _exact_sign_flip(d: np.ndarray, observed: float) -> SignFlip:
    rest, bits = d[1:], np.arange(d.size - 1)
    total, hits = 2 ** (d.size - 1), 0
    for start in range(0, total, _CHUNK):
        patterns = np.arange(start, min(total, start + _CHUNK))
        signs = 1.0 - 2.0 * ((patterns[:, None] >> bits) & 1)  # every pattern, as bits of an integer
        hits += int(np.sum(np.abs(d[0] + signs @ rest) >= observed))
    return SignFlip(hits / total, "sign-flip-exact", 2 ** d.size, True)


def _monte_carlo_sign_flip(d: np.ndarray, observed: float, seed: int, n_resamples: int) -> SignFlip:
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_resamples, 2000):
        signs = rng.choice((-1.0, 1.0), size=(min(2000, n_resamples - start), d.size))
        hits += int(np.sum(np.abs(signs @ d) >= observed))
    return SignFlip((hits + 1) / (n_resamples + 1), "sign-flip-monte-carlo", n_resamples, False)


def paired_comparison(
    ref: Mapping[str, float], new: Mapping[str, float], *, binary: bool, alpha: float = 0.05,
    power: float = 0.8, confidence: float = 0.95, seed: int = 0, n_resamples: int = 10_000,
    n_bootstrap: int = 2000, mcnemar: str = "exact",
) -> dict:
    """Paired test, interval and minimum detectable effect of new - ref."""
    ids = sorted(set(ref) & set(new))
    row = {"n_ref": len(ref), "n_new": len(new), "n_paired": len(ids)}
    if not ids:
        return row | _empty_result()
    r = np.array([ref[i] for i in ids], dtype=float)
    x = np.array([new[i] for i in ids], dtype=float)
    diffs = x - r
    row |= {"mean_ref": float(r.mean()), "mean_new": float(x.mean()), "delta": float(diffs.mean())}
    if binary:
        row |= _binary_test(r, x, confidence, mcnemar)
    else:
        row |= _continuous_test(diffs, confidence, seed, n_resamples, n_bootstrap)
    row["mde"] = minimum_detectable_effect(diffs, alpha=alpha, power=power)
    return row


def _binary_test(r: np.ndarray, x: np.ndarray, confidence: float, mcnemar: str) -> dict:
    both = int(np.sum((x == 1) & (r == 1)))
    only_new = int(np.sum((x == 1) & (r == 0)))
    only_ref = int(np.sum((x == 0) & (r == 1)))
    neither = int(r.size - both - only_new - only_ref)
    low, high = newcombe_paired_interval(both, only_new, only_ref, neither, confidence=confidence)
    return {
        "test": f"mcnemar-{mcnemar}", "p": mcnemar_p(only_new, only_ref, mcnemar),
        "exact": True, "n_resamples": None, "p_floor": None,
        "ci_low": low, "ci_high": high, "ci_method": "newcombe-paired",
        "discordant": {"only_new": only_new, "only_ref": only_ref},
    }


def _continuous_test(diffs, confidence, seed, n_resamples, n_bootstrap) -> dict:
    test = sign_flip_p(diffs, seed=seed, n_resamples=n_resamples)
    low, high = bootstrap_mean_interval(
        diffs, confidence=confidence, seed=seed, n_resamples=n_bootstrap
    )
    return {"test": test.method, "p": test.p, "exact": test.exact, "n_resamples": test.n_resamples,
            # A Monte Carlo p-value cannot go below 1/(R+1), however strong the effect.
            "p_floor": None if test.exact else 1 / (test.n_resamples + 1),
            "ci_low": low, "ci_high": high, "ci_method": "paired-bootstrap-bca", "discordant": None}


def _empty_result() -> dict:
    return {"mean_ref": None, "mean_new": None, "delta": None, "ci_low": None, "ci_high": None,
            "ci_method": None, "test": None, "p": None, "exact": None, "n_resamples": None,
            "p_floor": None, "discordant": None, "mde": None}
