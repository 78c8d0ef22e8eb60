"""Statistics for cells and paired comparisons: plain functions, no pytest."""
from pytest_arbitrage.stats.intervals import (
    bootstrap_mean_interval,
    mean_interval,
    newcombe_paired_interval,
    wilson_interval,
)
from pytest_arbitrage.stats.multiple import CORRECTIONS, adjust_pvalues
from pytest_arbitrage.stats.paired import mcnemar_exact_p, paired_comparison, sign_flip_p
from pytest_arbitrage.stats.power import minimum_detectable_effect

__all__ = [
    "CORRECTIONS", "adjust_pvalues", "bootstrap_mean_interval", "mcnemar_exact_p",
    "mean_interval", "minimum_detectable_effect", "newcombe_paired_interval",
    "paired_comparison", "sign_flip_p", "wilson_interval",
]
