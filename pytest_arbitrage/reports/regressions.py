"""This run against a saved run: cells paired by (task, model, optimizer, axes, example_id).

Every cell of this run gets the gate's verdict (`pytest_arbitrage.reports.gate`): regression,
inconclusive, untestable or pass, by the same rule the plugin applied to the cell's
test item. Cells of the saved run that this run did not select are listed, not judged.
"""
from __future__ import annotations

from pytest_arbitrage.reports.gate import GateRule, judge
from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell, group_cells
from pytest_arbitrage.reports.comparisons import compare, family_label
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.verdicts import BETTER, WORSE


def gate_rule(options: StatsOptions, family_size: int) -> GateRule:
    rule = options.gate or GateRule(alpha=options.alpha, correction=options.correction)
    return GateRule(alpha=rule.alpha, correction=rule.correction, family_size=rule.family_size or family_size,
                    min_effect=rule.min_effect, fail_on=rule.fail_on, against=options.baseline_run)


def comparison_rows(cells: dict[CellKey, ScoredCell], options: StatsOptions) -> dict | None:
    if options.baseline_records is None:
        return None
    old_cells = group_cells(options.baseline_records, [])
    rule = gate_rule(options, len(cells))
    rows = []
    for key, cell in cells.items():
        old = old_cells.get(key)
        row = compare(old, cell, options) if old is not None else {}
        verdict = judge(old, cell, row, rule)
        rows.append({"task": cell.task, "model": cell.model, "tier": cell.tier, "optimizer": cell.optimizer,
                     "axes": cell.axes, "old": row.get("mean_ref"), "new": row.get("mean_new")} | row | verdict
                    | {"id": key.id, "family": _family(rule), "family_size": rule.family_size,
                       "significant": verdict["finding"] in (BETTER, WORSE),
                       "regression": verdict["verdict"] == "regression",
                       "program_changed": _program_changed(old, cell)})
    return {
        "against": options.baseline_run, "rows": rows, "rule": {"level": rule.level, "method": rule.method,
                                                                 "min_effect": rule.min_effect,
                                                                 "fail_on": list(rule.fail_on)},
        "only_in_saved_run": sorted(k.id for k in old_cells.keys() - cells.keys()),
        "only_in_this_run": sorted(k.id for k in cells.keys() - old_cells.keys()),
    }


def _family(rule: GateRule) -> str:
    """The gate's family: every cell of the run, each decided at alpha / m (Bonferroni)."""
    return family_label("gate", rule.family_size, "none" if rule.correction == "none" else "bonferroni")


def _program_changed(old: ScoredCell | None, new: ScoredCell) -> bool | None:
    """Whether the program's definition differs from the saved run's (None when unknown)."""
    hashes = [_program_hash(c) for c in (old, new)]
    return None if None in hashes else hashes[0] != hashes[1]


def _program_hash(cell: ScoredCell | None) -> str | None:
    if cell is None:
        return None
    found = {r.get("program_hash") for r in cell.records.values()} - {None}
    return found.pop() if len(found) == 1 else None


def find_regressions(summary: dict) -> list[dict]:
    """Cells that fail the gate: regressions, and untestable or inconclusive cells where they fail it."""
    comparison = summary.get("comparison") or {}
    keep = ("id", "task", "model", "optimizer", "axes", "old", "new", "delta", "ci_low", "ci_high",
            "p", "p_adj", "n_paired", "verdict", "finding", "why", "family", "message", "program_changed")
    return [{k: row.get(k) for k in keep} | {"ci": [row.get("ci_low"), row.get("ci_high")]}
            for row in comparison.get("rows", []) if row.get("fails")]
