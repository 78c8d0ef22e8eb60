"""Options of the statistics layer, shared by the plugin and the CLI."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StatsOptions:
    """Values are checked where users write them (`parse_alpha`, `parse_correction`), not here."""

    alpha: float = 0.05
    correction: str = "holm"
    baseline_records: list[dict] | None = None  # a saved run to compare with, example by example
    prices: dict | None = None  # from pricing.load_prices; None means the built-in table
    baseline_run: str | None = None  # label of the saved run, shown in reports
    seed: int = 0
    confidence: float = 0.95
    power: float = 0.8
    n_permutations: int = 10_000
    n_bootstrap: int = 2000
    gate: object | None = None  # a gate.GateRule for the comparison with baseline_records
    include_partial: bool = False  # cells cut short by an interrupt or crash enter comparisons
    reference: str | None = None  # the scoreboard's api model (None: the best pairable api baseline per task)
    baseline: str = "none"  # the optimizer every other one is measured against (`--baseline`)
    mcnemar: str = "exact"  # McNemar's test for 0/1 scores: "exact" or "midp" (stats.paired.MCNEMAR_METHODS)

    def public(self) -> dict:
        """The options as stored in summary.json (no records, no price table)."""
        return {
            "alpha": self.alpha, "correction": self.correction, "seed": self.seed,
            "confidence": self.confidence, "power": self.power,
            "n_permutations": self.n_permutations, "n_bootstrap": self.n_bootstrap,
            "baseline_run": self.baseline_run, "reference": self.reference,
            "baseline": self.baseline, "mcnemar": self.mcnemar,
        }
