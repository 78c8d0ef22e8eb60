"""Statistics for cells and paired comparisons: plain functions, no pytest.

Names are imported on first use, so the option table can read `stats.levels` without numpy.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "bootstrap_mean_interval": "intervals", "mean_interval": "intervals",
    "newcombe_paired_interval": "intervals", "wilson_interval": "intervals",
    "CORRECTIONS": "levels", "adjust_pvalues": "multiple",
    "mcnemar_exact_p": "paired", "mcnemar_midp": "paired", "mcnemar_p": "paired",
    "paired_comparison": "paired", "sign_flip_p": "paired",
    "minimum_detectable_effect": "power",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'pytest_arbitrage.stats' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pytest_arbitrage.stats.{_PUBLIC[name]}"), name)
