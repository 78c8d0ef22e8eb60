"""Multiple-comparison correction: agreement with statsmodels, FWER under the null."""
import numpy as np
import pytest

from pytest_arbitrage.stats.calibration import familywise_error, null_mcnemar_pvalues
from pytest_arbitrage.stats.multiple import adjust_pvalues

multitest = pytest.importorskip("statsmodels.stats.multitest")
STATSMODELS_NAME = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


@pytest.mark.parametrize("method", sorted(STATSMODELS_NAME))
def test_matches_statsmodels_on_random_pvalues(method):
    rng = np.random.default_rng(21)
    worst = 0.0
    for _ in range(20):  # statsmodels' holm takes ~70 ms a call
        p = rng.uniform(size=int(rng.integers(1, 30))) ** 3
        p[rng.uniform(size=p.size) < 0.2] = p[0]  # ties
        theirs = multitest.multipletests(p, method=STATSMODELS_NAME[method])[1]
        worst = max(worst, float(np.max(np.abs(np.array(adjust_pvalues(list(p), method)) - theirs))))
    assert worst < 1e-12


def test_untestable_comparisons_stay_out_of_the_family():
    adjusted = adjust_pvalues([0.01, None, 0.04], "bonferroni")
    assert adjusted == [pytest.approx(0.02), None, pytest.approx(0.08)]
    assert adjust_pvalues([None], "holm") == [None]


def test_none_leaves_pvalues_and_unknown_method_is_rejected():
    assert adjust_pvalues([0.2, 0.01], "none") == [0.2, 0.01]
    with pytest.raises(ValueError, match="holm"):
        adjust_pvalues([0.1], "sidak")


def test_familywise_error_under_the_null_is_at_most_alpha_with_holm():
    rng = np.random.default_rng(2024)
    reps, alpha = 3000, 0.05
    pvalues = null_mcnemar_pvalues(rng, reps=reps, family=12, n=50)
    fwer = familywise_error(pvalues, "holm", alpha)
    raw = familywise_error(pvalues, "none", alpha)
    assert fwer <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / reps)
    assert raw > 3 * alpha  # without correction the family would be badly inflated
