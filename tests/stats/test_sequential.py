"""The anytime-valid sequential test: its formula, its error rate under continuous peeking, its early stops."""
import math
import re

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import beta, binom

from pytest_arbitrage.stats.sequential import (
    SequentialPair, e_values, log_e_value, rejection_threshold, sequential_test, stopping_times,
)

STREAMS, PAIRS, ALPHA = 2000, 200, 0.05
MARGIN = 3 * math.sqrt(ALPHA * (1 - ALPHA) / STREAMS)  # three Monte Carlo standard errors


def streams(p_a, p_b, *, seed, shared=0.0, size=(STREAMS, PAIRS)):
    """Paired 0/1 outcomes; with probability `shared` an example's outcome is the same for both cells."""
    rng = np.random.default_rng(seed)
    a, b = rng.random(size) < p_a, rng.random(size) < p_b
    same = rng.random(size) < shared
    return a, np.where(same, a, b)


def naive_peeking_rejects(a, b) -> np.ndarray:
    """Exact McNemar checked after every pair, rejecting at the first p < alpha (invalid)."""
    only_a, only_b = np.cumsum(a > b, axis=1), np.cumsum(b > a, axis=1)
    k, low = only_a + only_b, np.minimum(only_a, only_b)
    p = np.where(k > 0, np.minimum(1.0, 2 * binom.cdf(low, k, 0.5)), 1.0)
    return (p < ALPHA).any(axis=1)


@pytest.mark.parametrize("shared, pairs", [(0.0, PAIRS), (0.7, PAIRS), (0.0, 5 * PAIRS)])
def test_null_error_rate_stays_below_alpha_under_continuous_peeking(shared, pairs):
    a, b = streams(0.6, 0.6, seed=1, shared=shared, size=(STREAMS, pairs))
    stop, _ = stopping_times(a, b, alpha=ALPHA)
    assert (stop > 0).mean() <= ALPHA + MARGIN


def test_the_simulation_catches_an_invalid_peeking_test():
    a, b = streams(0.5, 0.5, seed=2)
    assert naive_peeking_rejects(a, b).mean() > 2 * ALPHA  # the harness above can fail


def test_a_strong_effect_stops_well_before_n():
    a, b = streams(0.8, 0.4, seed=3)
    stop, lead = stopping_times(a, b, alpha=ALPHA)
    pairs_used = np.where(stop > 0, stop, PAIRS)
    print(f"mean stopping n {pairs_used.mean():.1f} of {PAIRS}")
    assert (stop > 0).mean() > 0.99 and (lead[stop > 0] == 1).all()
    assert pairs_used.mean() < 0.25 * PAIRS


def mixture_by_quadrature(s, f, c):
    """E as the likelihood ratio integrated over the Beta(c, c) prior, numerically."""
    ratio = lambda t: t ** s * (1 - t) ** f / 0.5 ** (s + f)
    if c < 1:  # the prior's density is infinite at 0 and 1: quad weights by t^(c-1) (1-t)^(c-1) itself
        beta_c = math.exp(2 * math.lgamma(c) - math.lgamma(2 * c))
        return quad(ratio, 0, 1, weight="alg", wvar=(c - 1, c - 1))[0] / beta_c
    return quad(lambda t: ratio(t) * beta.pdf(t, c, c), 0, 1)[0]


@pytest.mark.parametrize("c", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("s, f", [(0, 0), (1, 0), (3, 1), (10, 2), (0, 7), (25, 25)])
def test_e_value_matches_numerical_integration(s, f, c):
    assert math.exp(log_e_value(s, f, concentration=c)) == pytest.approx(mixture_by_quadrature(s, f, c), rel=1e-7)


def test_e_value_by_hand_and_concordant_pairs_leave_it_unchanged():
    # uniform prior: E = 2^k s! f! / (k+1)!
    assert math.exp(log_e_value(2, 0, concentration=1)) == pytest.approx(4 / 3)
    assert math.exp(log_e_value(3, 1, concentration=1)) == pytest.approx(16 * 6 / 120)
    e = e_values([1, 1, 0, 1, 0], [0, 1, 0, 0, 0], concentration=1)
    assert e == pytest.approx([1, 1, 1, 4 / 3, 4 / 3])


def test_sequential_test_and_the_stateful_pair_agree():
    a, b = streams(0.8, 0.4, seed=4, size=(PAIRS,))
    result = sequential_test(a, b, alpha=ALPHA)
    pair = SequentialPair(alpha=ALPHA)
    decided_at = next(i + 1 for i, (x, y) in enumerate(zip(a, b)) if pair.update(int(x), int(y)))
    assert result.decided and result.stopped_at == decided_at == pair.n_seen
    assert result.direction == pair.direction == "a"
    assert pair.e_value == pytest.approx(result.e_values[decided_at - 1]) and pair.e_value >= 1 / ALPHA
    assert result.e_values[decided_at - 2] < 1 / ALPHA


def test_the_decision_is_frozen_at_the_first_crossing():
    pair = SequentialPair(alpha=0.1)
    while not pair.update(0, 1):
        pass
    record = pair.as_dict()
    assert pair.update(1, 0) and pair.update(1, 0)
    assert pair.as_dict() == record | {"n_late": 2}
    assert record["direction"] == "b" and record["stopped_at"] == record["n_seen"] == 6


def test_a_family_raises_the_threshold():
    assert rejection_threshold(0.05, 4) == pytest.approx(80)
    a, b = [1] * 12, [0] * 12
    assert sequential_test(a, b, alpha=0.05).stopped_at < sequential_test(a, b, alpha=0.05, family_size=4).stopped_at


def test_undecided_streams_report_no_stop():
    result = sequential_test([1, 0, 1, 0], [0, 1, 0, 1])
    assert not result.decided and result.stopped_at is None and result.direction is None


@pytest.mark.parametrize("call, message", [
    (lambda: SequentialPair().update(0.5, 1), "a: the sequential test takes 0/1 scores, got 0.5"),
    (lambda: SequentialPair().update(1, None), "b: the sequential test takes 0/1 scores, got None"),
    (lambda: SequentialPair(alpha=1.5), "alpha must be strictly between 0 and 1, got 1.5"),
    (lambda: SequentialPair(family_size=0), "family_size must be a whole number >= 1, got 0"),
    (lambda: SequentialPair(concentration=-1), "must be a positive number, got -1"),
    (lambda: e_values([1, 0], [1]), "shapes (2,) and (1,) differ"),
    (lambda: e_values([1, 2], [1, 0]), "a: the sequential test takes 0/1 scores, got 2.0"),
    (lambda: sequential_test([[1]], [[0]]), "one stream of pairs"),
])
def test_bad_input_names_the_value(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
