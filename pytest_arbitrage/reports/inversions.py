"""Inversion report: local cells that beat api cells on the same task and examples.

Pairs tested (one corrected family, "local vs api"): every optimized local cell against the
api cell with the same optimizer ("optimized vs optimized") and against the api baseline
("optimized vs baseline"). Every pair is a row with its verdict (`reports.verdicts`, from
the local side: local - api); an inversion is claimed only when the local cell is
significantly better after correction. The scoreboard reads its pairs from this family, so
a pair has one verdict in the whole report.
"""
from __future__ import annotations

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import compare, correct_family
from pytest_arbitrage.reports.deltas import baseline_key
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.verdicts import BETTER, UNTESTABLE


FAMILY = "local vs api"


def inversion_rows(cells: dict[CellKey, ScoredCell], options: StatsOptions) -> dict:
    """Every local-vs-api pair with its verdict, and the counts the headline shows."""
    rows = []
    for local in _cells(cells, "local"):
        if local.optimizer == options.baseline:
            continue
        for api in _cells(cells, "api"):
            if _same_task(local, api) and api.optimizer in (local.optimizer, options.baseline):
                rows.append(_row(cells, local, api, options))
    correct_family(rows, options, FAMILY)
    for row in rows:
        row["inversion"] = row["verdict"] == BETTER
    tested = rows[0]["family_size"] if rows else 0
    return {"rows": rows, "pairs": len(rows), "tested": tested, "claimed": sum(r["inversion"] for r in rows),
            "untestable": sum(r["verdict"] == UNTESTABLE for r in rows),
            "family": rows[0]["family"] if rows else None}


def _cells(cells: dict[CellKey, ScoredCell], tier: str) -> list[ScoredCell]:
    return [cell for cell in cells.values() if cell.tier == tier]


def _same_task(a: ScoredCell, b: ScoredCell) -> bool:
    return (a.key.task, a.key.axes) == (b.key.task, b.key.axes)


def _row(cells: dict[CellKey, ScoredCell], local: ScoredCell, api: ScoredCell, options: StatsOptions) -> dict:
    row = compare(api, local, options)
    kind = "optimized vs baseline" if api.optimizer == options.baseline else "optimized vs optimized"
    gap_before = _baseline_gap(cells, local, api, options.baseline)
    return {
        "task": local.task, "axes": local.axes, "kind": kind,
        "local_model": local.model, "local_optimizer": local.optimizer, "local": row["mean_new"],
        "api_model": api.model, "api_optimizer": api.optimizer, "api": row["mean_ref"],
        "baseline_gap": gap_before,
        "swing": None if gap_before is None or row["delta"] is None else row["delta"] - gap_before,
    } | row


def _baseline_gap(cells: dict[CellKey, ScoredCell], local: ScoredCell, api: ScoredCell,
                  baseline: str) -> float | None:
    """local baseline - api baseline (cell means), the gap before optimization."""
    local_base = cells.get(baseline_key(local.key, baseline))
    api_base = cells.get(baseline_key(api.key, baseline))
    if local_base is None or api_base is None or local_base.mean is None or api_base.mean is None:
        return None
    return local_base.mean - api_base.mean
