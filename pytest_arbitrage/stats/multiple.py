"""Multiple-comparison correction over one family of p-values.

`None` entries (comparisons that could not be tested) are left out of the family
and come back as `None`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from pytest_arbitrage.stats.levels import CORRECTIONS


def adjust_pvalues(pvalues: Sequence[float | None], method: str = "holm") -> list[float | None]:
    """Adjusted p-values: Holm, Bonferroni, Benjamini-Hochberg (`bh`) or `none`."""
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; choose one of {', '.join(CORRECTIONS)}")
    index = [i for i, p in enumerate(pvalues) if p is not None]
    adjusted: list[float | None] = [None] * len(pvalues)
    if not index:
        return adjusted
    p = np.array([pvalues[i] for i in index], dtype=float)
    values = _ADJUSTERS[method](p)
    for i, value in zip(index, values):
        adjusted[i] = float(value)
    return adjusted


def _holm(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    return _unsort(np.minimum(1.0, stepped), order)


def _bh(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    return _unsort(np.minimum(1.0, stepped), order)


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[order] = values
    return out


_ADJUSTERS = {
    "holm": _holm,
    "bh": _bh,
    "bonferroni": lambda p: np.minimum(1.0, p * p.size),
    "none": lambda p: p,
}
