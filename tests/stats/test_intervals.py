"""Cell intervals: agreement with statsmodels, exact coverage, seeded bootstrap."""
import numpy as np
import pytest

from pytest_arbitrage.stats.calibration import newcombe_coverage, wilson_coverage
from pytest_arbitrage.stats.intervals import (
    bootstrap_mean_interval, mean_interval, newcombe_paired_interval, wilson_interval,
)

proportion = pytest.importorskip("statsmodels.stats.proportion")


def test_wilson_matches_statsmodels_on_random_counts():
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(300):
        n = int(rng.integers(1, 400))
        k = int(rng.integers(0, n + 1))
        ours = wilson_interval(k, n)
        theirs = proportion.proportion_confint(k, n, alpha=0.05, method="wilson")
        worst = max(worst, abs(ours[0] - theirs[0]), abs(ours[1] - theirs[1]))
    assert worst < 1e-12


def test_wilson_empty_cell_has_no_interval():
    assert wilson_interval(0, 0) == (None, None)


@pytest.mark.parametrize("n", [30, 100])
def test_wilson_coverage_is_near_nominal(n):
    coverages = [wilson_coverage(p, n) for p in np.linspace(0.05, 0.95, 37)]
    assert 0.935 <= float(np.mean(coverages)) <= 0.965
    assert min(coverages) > 0.88


@pytest.mark.parametrize("probs", [(0.4, 0.15, 0.1, 0.35), (0.6, 0.05, 0.05, 0.3)])
def test_newcombe_paired_coverage_is_near_nominal(probs):
    assert 0.93 <= newcombe_coverage(probs, 25) <= 0.985


def test_newcombe_contains_observed_delta_and_orders_bounds():
    lo, hi = newcombe_paired_interval(30, 10, 3, 7)
    assert lo < (10 - 3) / 50 < hi
    assert lo > 0  # 10 vs 3 discordant at n=50 is a real improvement


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = np.random.default_rng(0).uniform(size=40)
    first = bootstrap_mean_interval(values, seed=7)
    assert first == bootstrap_mean_interval(values, seed=7)
    assert first != bootstrap_mean_interval(values, seed=8)
    assert first[0] < values.mean() < first[1]


def test_bootstrap_coverage_is_near_nominal():
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(400):
        values = rng.beta(2, 5, size=40)
        lo, hi = bootstrap_mean_interval(values, seed=int(rng.integers(1 << 30)), n_resamples=1000)
        hits += lo <= 2 / 7 <= hi
    assert 0.90 <= hits / 400 <= 0.98


def test_mean_interval_picks_method_and_handles_degenerate_cells():
    assert mean_interval([1, 0, 1], binary=True)[1] == "wilson"
    assert mean_interval([0.2, 0.4], binary=False)[1] == "bootstrap-bca"
    assert mean_interval([], binary=False)[0] == (None, None)
    assert mean_interval([0.5, 0.5], binary=False)[0] == (0.5, 0.5)
