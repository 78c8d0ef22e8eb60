"""The significance level and the correction of a family, as users write them.

Plain Python (no numpy): the plugin's option table and the CLI check these values with the
same two functions, before any statistics module is imported.
"""
from __future__ import annotations

CORRECTIONS = ("holm", "bonferroni", "bh", "none")
MCNEMAR_METHODS = ("exact", "midp")  # McNemar's test for 0/1 scores (stats.paired)


def parse_alpha(text) -> float:
    """The significance level from user text; the one check both the plugin and the CLI use."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"expected a number strictly between 0 and 1, got {text!r}") from None
    if not 0.0 < value < 1.0:  # also refuses nan
        raise ValueError(f"expected a number strictly between 0 and 1, got {text!r}")
    return value


def parse_correction(text) -> str:
    value = str(text).strip()
    if value not in CORRECTIONS:
        raise ValueError(f"invalid value {text!r}; valid choices: {', '.join(CORRECTIONS)}")
    return value
