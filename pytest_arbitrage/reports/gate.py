"""The CI gate: each cell of this run against the same cell of a saved run.

The gate decides a cell the moment it finishes, so that the cell's own pytest item
fails (JUnit, `--lf`, CI annotations see it). A decision per cell needs a
single-step correction, so the family-wise level is alpha / m over the m cells the
run selected (Bonferroni, Holm's first step), or alpha itself with
`--arb-correction=none`. The session summary and `compare` use the same rule, so
a cell gets one verdict everywhere.

Verdicts (SPEC 13):
- `regression`: significantly worse at that level;
- `inconclusive`: not significantly worse, but its minimum detectable effect at that
  level is above `--arb-min-effect` (the run could not have seen the drop that matters);
- `untestable`: nothing to compare (not in the saved run, or untestable by the rule every
  comparison row uses, `reports.verdicts`: no shared example, different example hashes, too
  few pairs to reach the gate's level);
- `pass`: none of these.

Each result also carries the paired test's own verdict (`finding`, `why`), the one
vocabulary of every comparison row.
"""
from __future__ import annotations

from dataclasses import dataclass

from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import paired_scores
from pytest_arbitrage.reports.verdicts import UNTESTABLE, WORSE, decide, untestable_why
from pytest_arbitrage.stats.power import minimum_detectable_effect

VERDICTS = ("pass", "regression", "inconclusive", "untestable")


@dataclass(frozen=True)
class GateRule:
    alpha: float = 0.05
    correction: str = "holm"
    family_size: int = 0  # 0: every cell of the run (set by whoever knows the selection)
    min_effect: float | None = None
    fail_on: tuple[str, ...] = ("regression",)
    against: str | None = None  # the saved run's name, for messages

    @property
    def level(self) -> float:
        return self.alpha if self.correction == "none" else self.alpha / max(1, self.family_size)

    @property
    def method(self) -> str:
        return "uncorrected" if self.correction == "none" else f"bonferroni over {self.family_size} cells"

    def fails(self, verdict: str) -> bool:
        """A gate that could not compare never passes; the rest as `--arb-fail-on` says."""
        return verdict == "untestable" or verdict in self.fail_on


def judge(old: ScoredCell | None, new: ScoredCell, row: dict | None, rule: GateRule) -> dict:
    """The gate's verdict on one cell; `row` is `reports.comparisons.compare(old, new)`."""
    if old is None:
        return _result("untestable", None, rule, f"{_name(new)} is not in the saved run{_against(rule)}: "
                                                 "save a new baseline run that has this cell",
                       finding={"why": "not in the saved run"})
    why = untestable_why(row or {}, level=rule.level)
    if why is not None:
        return _result("untestable", None, rule, f"{_name(new)} cannot be compared with the saved "
                                                 f"run{_against(rule)}: {why}", finding={"why": why})
    p_adj = min(1.0, row["p"] * rule.alpha / rule.level)  # p * m, or p uncorrected
    mde = minimum_detectable_effect(_diffs(old, new), alpha=rule.level)
    finding = decide(row, p_adj=p_adj, alpha=rule.alpha, level=rule.level, mde=mde)
    if finding["verdict"] == WORSE:
        return _result("regression", p_adj, rule, _regression_message(new, row, p_adj, rule), mde, finding)
    if rule.min_effect is not None and (mde is None or mde > rule.min_effect):
        message = (f"{_name(new)} is inconclusive: at n={row['n_paired']} paired the gate can only detect a "
                   f"drop of {mde:.1%} or more, not the {rule.min_effect:.1%} of --arb-min-effect")
        return _result("inconclusive", p_adj, rule, message, mde, finding)
    return _result("pass", p_adj, rule, None, mde, finding)


def _result(verdict: str, p_adj: float | None, rule: GateRule, message: str | None, mde=None,
            finding: dict | None = None) -> dict:
    finding = finding or {}
    return {"verdict": verdict, "p_adj": p_adj, "mde_gate": mde, "method": rule.method,
            "fails": rule.fails(verdict), "message": message,
            "finding": finding.get("verdict", UNTESTABLE), "why": finding.get("why")}


def _diffs(old: ScoredCell, new: ScoredCell) -> list[float]:
    old_scores, new_scores, _ = paired_scores(old, new)
    return [new_scores[i] - old_scores[i] for i in sorted(old_scores.keys() & new_scores.keys())]


def _name(cell: ScoredCell) -> str:
    return cell.id


def _against(rule: GateRule) -> str:
    return f" {rule.against}" if rule.against else ""


def _regression_message(new: ScoredCell, row: dict, p_adj: float, rule: GateRule) -> str:
    return (
        f"{_name(new)} is significantly worse than the saved run{_against(rule)}: "
        f"{row['mean_ref']:.1%} -> {row['mean_new']:.1%} ({row['delta'] * 100:+.1f}pp, "
        f"95% CI [{row['ci_low'] * 100:+.1f}, {row['ci_high'] * 100:+.1f}]pp, "
        f"n={row['n_paired']} paired, p={row['p']:.3g}, adjusted p={p_adj:.3g} ({rule.method}) "
        f"< alpha={rule.alpha})"
    )
