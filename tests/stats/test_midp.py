"""Mid-p McNemar: against exact rational arithmetic, by simulation under the null, and as a choice."""
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from pytest_arbitrage.reports import StatsOptions, build_summary
from pytest_arbitrage.reports.synthetic import synthetic_run
from pytest_arbitrage.stats.paired import (
    MCNEMAR_METHODS, mcnemar_exact_p, mcnemar_midp, mcnemar_p, paired_comparison,
)


def rational_midp(only_new: int, only_ref: int) -> Fraction:
    """Twice the one-sided mid-p of the LARGER count's upper tail (equal by symmetry), in exact fractions."""
    m, high = only_new + only_ref, max(only_new, only_ref)
    if m == 0:
        return Fraction(1)
    upper = sum(Fraction(comb(m, k), 2**m) for k in range(high + 1, m + 1))
    return min(Fraction(1), 2 * (upper + Fraction(comb(m, high), 2 ** (m + 1))))


def test_midp_matches_exact_rational_arithmetic():
    rng = np.random.default_rng(3)
    tables = [(int(b), int(c)) for b, c in rng.integers(0, 80, size=(300, 2))] + [(0, 0), (0, 1), (7, 7), (0, 40)]
    worst = max(abs(mcnemar_midp(b, c) - float(rational_midp(b, c))) for b, c in tables)
    assert worst < 1e-12


def test_midp_is_the_exact_p_less_the_observed_probability():
    for b, c in [(3, 12), (10, 4), (0, 9), (25, 40)]:
        m = b + c
        observed = comb(m, min(b, c)) / 2**m
        assert mcnemar_midp(b, c) == pytest.approx(mcnemar_exact_p(b, c) - observed, abs=1e-12)
        assert mcnemar_midp(b, c) < mcnemar_exact_p(b, c)
    assert mcnemar_midp(6, 6) == pytest.approx(1.0) and mcnemar_exact_p(6, 6) == 1.0


def null_rejection_rates(rng, *, n: int, discordance: float, reps: int, alpha: float = 0.05) -> dict:
    """Share of null paired designs (n pairs, no true difference) each test rejects at alpha."""
    discordant = rng.binomial(n, discordance, size=reps)
    only_new = rng.binomial(discordant, 0.5)
    tables = list(zip(only_new.tolist(), discordant.tolist()))
    rates = {}
    for method in MCNEMAR_METHODS:
        p = {t: mcnemar_p(t[0], t[1] - t[0], method) for t in set(tables)}  # each distinct table once
        rates[method] = float(np.mean([p[t] < alpha for t in tables]))
    return rates


@pytest.mark.parametrize("n, discordance", [(40, 0.3), (100, 0.2), (200, 0.4)])
def test_type_one_error_by_simulation(n, discordance):
    """Under the null exact stays below alpha; mid-p rejects more often but stays near alpha."""
    rates = null_rejection_rates(np.random.default_rng(n), n=n, discordance=discordance, reps=6000)
    se = (0.05 * 0.95 / 6000) ** 0.5
    assert rates["exact"] <= 0.05 + 3 * se
    assert rates["exact"] <= rates["midp"] <= 0.05 + 0.005 + 3 * se
    assert abs(rates["midp"] - 0.05) < abs(rates["exact"] - 0.05) + 3 * se


def test_paired_comparison_uses_the_chosen_test_and_refuses_others():
    ref = {str(i): float(i < 20) for i in range(60)}
    new = {str(i): float(i < 28) for i in range(60)}
    exact = paired_comparison(ref, new, binary=True)
    midp = paired_comparison(ref, new, binary=True, mcnemar="midp")
    assert (exact["test"], midp["test"]) == ("mcnemar-exact", "mcnemar-midp")
    assert midp["p"] == pytest.approx(mcnemar_midp(8, 0)) and midp["p"] < exact["p"]
    with pytest.raises(ValueError, match="'mid-p'.*exact, midp"):
        paired_comparison(ref, new, binary=True, mcnemar="mid-p")


def test_the_report_uses_exact_by_default_and_midp_when_asked():
    records, cells = synthetic_run(lambda t, m, o: 0.8 if o == "bootstrap" else 0.6, n=60, tasks=("math",))
    default = build_summary(records, cells, meta={}, options=StatsOptions())
    midp = build_summary(records, cells, meta={}, options=StatsOptions(mcnemar="midp"))
    assert {r["test"] for r in default["deltas"]} == {"mcnemar-exact"}
    assert {r["test"] for r in midp["deltas"]} == {"mcnemar-midp"}
    assert all(m["p"] <= d["p"] for m, d in zip(midp["deltas"], default["deltas"]))
    assert "mid-p McNemar" in midp["methods"]["test"] and "exact McNemar" in default["methods"]["test"]
    assert midp["options"]["mcnemar"] == "midp"
