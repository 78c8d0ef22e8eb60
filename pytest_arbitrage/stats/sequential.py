"""An anytime-valid sequential test for two cells scored 0/1 on the same examples.

Only discordant pairs carry evidence: under H0 (the two cells are equally good, McNemar's
null) a discordant pair is (1, 0) or (0, 1) with probability 1/2 each, whatever the example.
The test statistic is a mixture martingale over the share theta of (1, 0) among discordant
pairs, with a symmetric Beta(c, c) prior on theta:

    E_k = 2**k * B(c + s, c + f) / B(c, c)        s = #(1, 0), f = #(0, 1), k = s + f

E is a non-negative martingale with E_0 = 1 under H0 (concordant pairs leave it unchanged),
so by Ville's inequality P(E ever reaches 1/alpha) <= alpha: the test may be checked after
every pair, and stopped at the first crossing, with its error rate still at most alpha.
The prior is symmetric, so the test is two-sided; the direction is the side s or f leads on.
It only ever rejects: a pair of cells that never crosses is scored to the full n.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln

DEFAULT_CONCENTRATION = 0.5  # Beta(1/2, 1/2), the Jeffreys / Krichevsky-Trofimov mixture


def log_e_value(only_a, only_b, *, concentration: float = DEFAULT_CONCENTRATION):
    """log E from the discordant counts (numbers or numpy arrays of the same shape)."""
    c = _checked_concentration(concentration)
    s, f = np.asarray(only_a, dtype=float), np.asarray(only_b, dtype=float)
    return (s + f) * math.log(2.0) + betaln(c + s, c + f) - betaln(c, c)


def e_values(a, b, *, concentration: float = DEFAULT_CONCENTRATION) -> np.ndarray:
    """E after each pair of a stream of paired 0/1 scores (last axis: the pairs, in order)."""
    only_a, only_b = discordant_counts(a, b)
    return np.exp(log_e_value(only_a, only_b, concentration=concentration))


def discordant_counts(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Running counts of (1, 0) and (0, 1) pairs along the last axis."""
    a, b = _binary(a, "a"), _binary(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must pair up: shapes {a.shape} and {b.shape} differ")
    return np.cumsum(a > b, axis=-1), np.cumsum(b > a, axis=-1)


@dataclass(frozen=True)
class SequentialResult:
    e_values: np.ndarray  # E after each pair
    decided: bool
    stopped_at: int | None  # pairs seen when E first reached the threshold (1-based)
    direction: str | None  # "a" or "b": the cell ahead at the stop


def sequential_test(a, b, *, alpha: float = 0.05, concentration: float = DEFAULT_CONCENTRATION,
                    family_size: int = 1) -> SequentialResult:
    """Run the test over one stream of pairs; it stops at the first pair with E >= threshold."""
    only_a, only_b = discordant_counts(a, b)
    if only_a.ndim != 1:
        raise ValueError(f"sequential_test takes one stream of pairs, got shape {only_a.shape}; "
                         "use stopping_times for many")
    stop, lead = stopping_times(a, b, alpha=alpha, concentration=concentration, family_size=family_size)
    e = np.exp(log_e_value(only_a, only_b, concentration=concentration))
    if not stop:
        return SequentialResult(e, False, None, None)
    return SequentialResult(e, True, int(stop), "a" if lead > 0 else "b")


def stopping_times(a, b, *, alpha: float = 0.05, concentration: float = DEFAULT_CONCENTRATION,
                   family_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(stop, lead) per stream: the 1-based pair at the first crossing (0: never) and the
    sign of only_a - only_b there (+1: a ahead). Compared in log space, so long streams
    cannot overflow."""
    log_threshold = math.log(rejection_threshold(alpha, family_size))
    only_a, only_b = discordant_counts(a, b)
    crossed = log_e_value(only_a, only_b, concentration=concentration) >= log_threshold
    first = np.argmax(crossed, axis=-1)
    any_crossed = np.take_along_axis(crossed, first[..., None], axis=-1)[..., 0]
    lead = np.take_along_axis(only_a - only_b, first[..., None], axis=-1)[..., 0]
    return np.where(any_crossed, first + 1, 0), np.where(any_crossed, np.sign(lead), 0)


def rejection_threshold(alpha: float, family_size: int = 1) -> float:
    """1/alpha, or family_size/alpha for a Bonferroni family of sequential pairs."""
    if isinstance(alpha, bool) or not (isinstance(alpha, numbers.Real) and 0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    if isinstance(family_size, bool) or not (isinstance(family_size, numbers.Integral) and family_size >= 1):
        raise ValueError(f"family_size must be a whole number >= 1, got {family_size!r}")
    return family_size / alpha


class SequentialPair:
    """The test for one pair of cells, fed one scored example at a time.

    Feed pairs in an order fixed before scoring (the examples' order), never in the order
    calls finish: arrival order can depend on the outcome (a right answer may come faster),
    and then discordant pairs are no longer fair coins under H0. Once decided the result is
    frozen: later pairs (calls still in flight at the stop) are counted in `n_late` only.
    """

    def __init__(self, *, alpha: float = 0.05, concentration: float = DEFAULT_CONCENTRATION,
                 family_size: int = 1):
        self.threshold = rejection_threshold(alpha, family_size)
        self.concentration = _checked_concentration(concentration)
        self.n_seen = 0  # pairs the test used
        self.only_a = 0
        self.only_b = 0
        self.n_late = 0
        self.decided = False
        self.direction: str | None = None
        self.log_e = 0.0

    @property
    def e_value(self) -> float:
        return math.exp(self.log_e)  # finite: frozen at the first crossing, below 2 * threshold

    def update(self, a, b) -> bool:
        """Add one pair of 0/1 scores; True once the pair of cells is decided."""
        a, b = _one_score(a, "a"), _one_score(b, "b")
        if self.decided:
            self.n_late += 1
            return True
        self.n_seen += 1
        self.only_a += a > b
        self.only_b += b > a
        self.log_e = float(log_e_value(self.only_a, self.only_b, concentration=self.concentration))
        if self.log_e >= math.log(self.threshold):
            self.decided = True
            self.direction = "a" if self.only_a > self.only_b else "b"
        return self.decided

    def as_dict(self) -> dict:
        """What a run records for the pair (plain JSON types)."""
        return {"decided": self.decided, "stopped_at": self.n_seen if self.decided else None,
                "n_seen": self.n_seen, "n_late": self.n_late, "direction": self.direction,
                "e_value": self.e_value, "threshold": self.threshold,
                "discordant": {"only_a": self.only_a, "only_b": self.only_b},
                "concentration": self.concentration}


def _checked_concentration(value: float) -> float:
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
        raise ValueError(f"concentration (the Beta prior's parameter) must be a positive number, got {value!r}")
    return float(value)


def _binary(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    bad = array[(array != 0) & (array != 1)]
    if bad.size:
        raise ValueError(f"{name}: the sequential test takes 0/1 scores, got {float(bad.flat[0])!r}")
    return array


def _one_score(value, name: str) -> int:
    if isinstance(value, bool) or value in (0, 1):
        return int(value)
    raise ValueError(f"{name}: the sequential test takes 0/1 scores, got {value!r}")
