"""Paired tests: agreement with statsmodels/scipy, pairing rules, MDE power."""
import numpy as np
import pytest
from scipy.stats import binom, permutation_test

from pytest_arbitrage.stats.paired import (
    EXACT_SIGN_FLIP_MAX, mcnemar_exact_p, paired_comparison, sign_flip_p,
)
from pytest_arbitrage.stats.power import minimum_detectable_effect

tables = pytest.importorskip("statsmodels.stats.contingency_tables")


def test_mcnemar_matches_statsmodels_exact_on_random_tables():
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(500):
        a, b, c, d = (int(x) for x in rng.integers(0, 60, size=4))
        theirs = tables.mcnemar([[a, b], [c, d]], exact=True).pvalue
        worst = max(worst, abs(mcnemar_exact_p(b, c) - theirs))
    assert worst < 1e-12


def test_mcnemar_without_discordant_pairs_is_one():
    assert mcnemar_exact_p(0, 0) == 1.0


def scipy_sign_flip(diffs):
    def statistic(x, y):
        return np.mean(x - y)

    zeros = np.zeros_like(diffs)
    return permutation_test((diffs, zeros), statistic, permutation_type="samples",
                            n_resamples=np.inf).pvalue


def test_exact_sign_flip_matches_scipy_permutation_test():
    rng = np.random.default_rng(8)
    for _ in range(20):
        diffs = np.round(rng.normal(0.1, 0.3, size=int(rng.integers(3, 11))), 3)
        ours = sign_flip_p(diffs)
        assert (ours.method, ours.exact, ours.n_resamples) == ("sign-flip-exact", True, 2 ** diffs.size)
        assert ours.p == pytest.approx(scipy_sign_flip(diffs), abs=1e-9)


def convolution_sign_flip(diffs) -> float:
    """Exact two-sided sign-flip p for integer diffs, from the distribution of the signed sum."""
    dist = {0: 1.0}
    for d in diffs:
        nxt: dict = {}
        for total, p in dist.items():
            for step in (d, -d):
                nxt[total + step] = nxt.get(total + step, 0.0) + p / 2
        dist = nxt
    observed = abs(sum(diffs))
    return sum(p for total, p in dist.items() if abs(total) >= observed)


@pytest.mark.parametrize("k", [17, EXACT_SIGN_FLIP_MAX])
def test_sign_flip_enumerates_every_pattern_up_to_the_maximum(k):
    """Beyond 2**16 patterns the test is still exact; checked against the sum's exact distribution."""
    diffs = np.random.default_rng(k).choice([-3, -2, -1, 1, 2, 3, 4], size=k)
    ours = sign_flip_p(diffs)
    assert ours.exact and ours.n_resamples == 2 ** k
    assert ours.p == pytest.approx(convolution_sign_flip([int(d) for d in diffs]), abs=1e-12)


def test_monte_carlo_sign_flip_is_seeded_and_close_to_normal_theory():
    diffs = np.random.default_rng(2).normal(0.05, 0.3, size=200)
    p, method, n_resamples, exact = sign_flip_p(diffs, seed=1, n_resamples=5000)
    assert (method, n_resamples, exact) == ("sign-flip-monte-carlo", 5000, False)
    assert p == sign_flip_p(diffs, seed=1, n_resamples=5000).p
    z = abs(diffs.sum()) / np.sqrt(np.sum(diffs**2))
    from scipy.stats import norm

    assert p == pytest.approx(2 * norm.sf(z), abs=0.02)


def test_sign_flip_on_binary_diffs_equals_mcnemar():
    diffs = np.array([1] * 9 + [-1] * 3 + [0] * 30, dtype=float)
    assert 9 + 3 <= EXACT_SIGN_FLIP_MAX
    assert sign_flip_p(diffs)[0] == pytest.approx(mcnemar_exact_p(9, 3))


def test_only_shared_examples_are_paired():
    ref = {"a": 1.0, "b": 0.0, "c": 1.0, "x": 0.0}
    new = {"a": 1.0, "b": 1.0, "c": 1.0, "y": 1.0}
    row = paired_comparison(ref, new, binary=True)
    assert (row["n_ref"], row["n_new"], row["n_paired"]) == (4, 4, 3)
    assert row["delta"] == pytest.approx(1 / 3)
    assert row["discordant"] == {"only_new": 1, "only_ref": 0}


def test_no_shared_examples_gives_explicit_nulls():
    row = paired_comparison({"a": 1.0}, {"b": 1.0}, binary=True)
    assert row["n_paired"] == 0
    assert row["p"] is None and row["delta"] is None and row["mde"] is None


def test_continuous_comparison_uses_sign_flip_and_bootstrap():
    rng = np.random.default_rng(4)
    ref = {str(i): float(v) for i, v in enumerate(rng.uniform(0.3, 0.6, size=80))}
    new = {k: min(1.0, v + 0.1) for k, v in ref.items()}
    row = paired_comparison(ref, new, binary=False, seed=3)
    assert row["test"] == "sign-flip-monte-carlo"
    assert (row["exact"], row["n_resamples"], row["p_floor"]) == (False, 10_000, 1 / 10_001)
    assert row["p_floor"] <= row["p"] < 0.001
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    assert row["ci_method"] == "paired-bootstrap-bca"


def test_mde_shrinks_with_n_and_is_none_without_pairs():
    rng = np.random.default_rng(0)
    small = minimum_detectable_effect(rng.choice([-1, 0, 0, 1], size=50))
    large = minimum_detectable_effect(rng.choice([-1, 0, 0, 1], size=800))
    assert large < small / 3
    assert minimum_detectable_effect([]) is None
    assert minimum_detectable_effect([0] * 100) > 0  # no discordance seen is not certainty


def mcnemar_power(n: int, p_new: float, p_ref: float, reps: int, rng) -> float:
    """Simulated power of the exact McNemar test at alpha 0.05 for independent-ish pairs."""
    only_new = rng.binomial(n, p_new * (1 - p_ref), size=reps)
    only_ref = rng.binomial(n, p_ref * (1 - p_new), size=reps)
    m = only_new + only_ref
    p = np.minimum(1.0, 2 * binom.cdf(np.minimum(only_new, only_ref), m, 0.5))
    return float(np.mean(p < 0.05))


def test_power_at_the_mde_is_near_the_target():
    rng = np.random.default_rng(12)
    n, p_ref = 200, 0.5
    discordance = 2 * p_ref * (1 - p_ref)
    diffs = np.array([1] * round(n * discordance / 2) + [-1] * round(n * discordance / 2)
                     + [0] * round(n * (1 - discordance)))
    mde = minimum_detectable_effect(diffs)
    power = mcnemar_power(n, p_ref + mde, p_ref, 4000, rng)
    assert 0.7 <= power <= 0.92


def test_a_monte_carlo_p_value_never_goes_below_its_floor():
    """However strong the effect, R resamples cannot give p < 1/(R+1); the row states that floor."""
    ref = {str(i): 0.0 for i in range(60)}
    new = {str(i): 0.5 + i / 200 for i in range(60)}
    row = paired_comparison(ref, new, binary=False, n_resamples=99)
    assert row["p"] == row["p_floor"] == pytest.approx(1 / 100)


def test_small_continuous_comparisons_are_exact_and_say_so():
    ref = {str(i): 0.2 for i in range(12)}
    new = {str(i): 0.2 + 0.05 * (i % 3) for i in range(12)}
    row = paired_comparison(ref, new, binary=False)
    assert (row["test"], row["exact"], row["n_resamples"], row["p_floor"]) == ("sign-flip-exact", True, 2 ** 8, None)
