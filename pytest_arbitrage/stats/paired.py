"""Paired comparison of two cells scored on the same examples.

`delta` is always `new - ref`. Only example ids present in both cells are paired.
0/1 scores: exact McNemar test (binomial test on the discordant pairs) and the
Newcombe paired interval. Other scores: two-sided sign-flip permutation test on
the paired differences (exact up to 2**16 sign patterns, seeded Monte Carlo
beyond) and a seeded BCa bootstrap interval of the mean difference.
"""
from __future__ import annotations

import itertools
from typing import Mapping

import numpy as np
from scipy.stats import binomtest

from pytest_arbitrage.stats.intervals import bootstrap_mean_interval, newcombe_paired_interval
from pytest_arbitrage.stats.power import minimum_detectable_effect

EXACT_SIGN_FLIP_MAX = 16


def mcnemar_exact_p(only_new: int, only_ref: int) -> float:
    """Exact two-sided McNemar p-value from the two discordant counts."""
    discordant = only_new + only_ref
    if discordant == 0:
        return 1.0
    return float(binomtest(only_new, discordant, 0.5).pvalue)


def sign_flip_p(diffs, *, seed: int = 0, n_resamples: int = 10_000) -> tuple[float, str]:
    """Two-sided sign-flip test of mean(diffs) == 0; returns (p, method name)."""
    d = np.asarray(diffs, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return 1.0, "sign-flip-exact"
    observed = abs(d.sum()) - 1e-9 * max(1.0, abs(d.sum()))
    if d.size <= EXACT_SIGN_FLIP_MAX:
        signs = np.array(list(itertools.product((1, -1), repeat=d.size)), dtype=float)
        return float(np.mean(np.abs(signs @ d) >= observed)), "sign-flip-exact"
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_resamples, 2000):
        size = min(2000, n_resamples - start)
        signs = rng.choice((-1.0, 1.0), size=(size, d.size))
        hits += int(np.sum(np.abs(signs @ d) >= observed))
    return (hits + 1) / (n_resamples + 1), "sign-flip-monte-carlo"


def paired_comparison(
    ref: Mapping[str, float], new: Mapping[str, float], *, binary: bool, alpha: float = 0.05,
    power: float = 0.8, confidence: float = 0.95, seed: int = 0, n_resamples: int = 10_000,
    n_bootstrap: int = 2000,
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
        row |= _binary_test(r, x, confidence)
    else:
        row |= _continuous_test(diffs, confidence, seed, n_resamples, n_bootstrap)
    row["mde"] = minimum_detectable_effect(diffs, alpha=alpha, power=power)
    return row


def _binary_test(r: np.ndarray, x: np.ndarray, confidence: float) -> dict:
    both = int(np.sum((x == 1) & (r == 1)))
    only_new = int(np.sum((x == 1) & (r == 0)))
    only_ref = int(np.sum((x == 0) & (r == 1)))
    neither = int(r.size - both - only_new - only_ref)
    low, high = newcombe_paired_interval(both, only_new, only_ref, neither, confidence=confidence)
    return {
        "test": "mcnemar-exact", "p": mcnemar_exact_p(only_new, only_ref),
        "ci_low": low, "ci_high": high, "ci_method": "newcombe-paired",
        "discordant": {"only_new": only_new, "only_ref": only_ref},
    }


def _continuous_test(diffs, confidence, seed, n_resamples, n_bootstrap) -> dict:
    p, method = sign_flip_p(diffs, seed=seed, n_resamples=n_resamples)
    low, high = bootstrap_mean_interval(
        diffs, confidence=confidence, seed=seed, n_resamples=n_bootstrap
    )
    return {"test": method, "p": p, "ci_low": low, "ci_high": high,
            "ci_method": "paired-bootstrap-bca", "discordant": None}


def _empty_result() -> dict:
    return {"mean_ref": None, "mean_new": None, "delta": None, "ci_low": None, "ci_high": None,
            "ci_method": None, "test": None, "p": None, "discordant": None, "mde": None}
