"""`--arb-sequential`: stop scoring an optimized cell once its pair with the baseline is decided.

The baseline cell is scored in full first (it comes first in the grid); each optimized cell
then feeds its pair's anytime-valid test (`stats.sequential.SequentialPair`) in the examples'
fixed order — never in the order calls finish, which can depend on the outcome — and stops
once the test crosses its threshold (alpha / m over the m optimized cells: Bonferroni across
the pairs). Only 0/1 scores with one replicate can be tested this way; any other cell, or one
whose baseline has no records yet (another xdist worker still scoring it), runs its full n.
"""
from __future__ import annotations

import threading

from pytest_arbitrage.stats.sequential import SequentialPair


class PairFeed:
    """Feeds one pair's test from a cell's records as they arrive, in the examples' order."""

    def __init__(self, examples: list, reference: dict[str, float], *, alpha: float, family_size: int):
        self.order = [str(e.example_id) for e in examples if str(e.example_id) in reference]
        self.reference = reference
        self.pair = SequentialPair(alpha=alpha, family_size=family_size)
        self._scores: dict[str, float] = {}
        self._next = 0
        self._lock = threading.Lock()

    def observe(self, record) -> None:
        with self._lock:
            self._scores[str(record.example_id)] = record.score
            while self._next < len(self.order) and self.order[self._next] in self._scores:
                example = self.order[self._next]
                self.pair.update(self.reference[example], self._scores[example])
                self._next += 1

    def decided(self) -> bool:
        return self.pair.decided

    def summary(self, reference_id: str, planned: int) -> dict:
        """What the cell info records, and the reason line reports show."""
        result = self.pair.as_dict() | {"reference": reference_id, "planned": planned}
        if self.pair.decided:
            side = "better" if self.pair.direction == "b" else "worse"
            result["reason"] = (f"stopped early at n={self.pair.n_seen} of {planned}: significantly {side} than "
                                f"{reference_id} (e-value {self.pair.e_value:.1f} >= {self.pair.threshold:.0f})")
        return result


def why_not_sequential(*, binary: bool, repeats: int, reference: dict) -> str | None:
    if not binary:
        return "the task's scores are not 0/1"
    if repeats > 1:
        return "several replicates per example"
    if not reference:
        return "its baseline cell has no records yet"
    return None
