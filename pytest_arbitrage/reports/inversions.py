"""Inversion report: local cells that beat api cells on the same task and examples.

Pairs tested (one corrected family): every optimized local cell against the api
cell with the same optimizer ("optimized vs optimized") and against the api
baseline ("optimized vs baseline"). An inversion is claimed only when the local
cell is significantly better after correction; a local lead that is not
significant is listed apart as not distinguishable.
"""
from __future__ import annotations

from dataclasses import replace

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import compare, correct_family
from pytest_arbitrage.reports.deltas import BASELINE
from pytest_arbitrage.reports.options import StatsOptions


def inversion_rows(cells: dict[CellKey, ScoredCell], options: StatsOptions) -> dict:
    rows = []
    for local in _cells(cells, "local"):
        if local.optimizer == BASELINE:
            continue
        for api in _cells(cells, "api"):
            if _same_task(local, api) and api.optimizer in (local.optimizer, BASELINE):
                rows.append(_row(cells, local, api, options))
    correct_family(rows, options, "local vs api")
    for row in rows:
        row["verdict"] = _verdict(row)
    return {
        "claimed": [r for r in rows if r["verdict"] == "inversion"],
        "not_distinguishable": [r for r in rows if r["verdict"] == "not distinguishable"],
        "tested": len(rows),
        "family_size": rows[0]["family_size"] if rows else 0,
    }


def _cells(cells: dict[CellKey, ScoredCell], tier: str) -> list[ScoredCell]:
    return [cell for cell in cells.values() if cell.tier == tier and cell.scores]


def _same_task(a: ScoredCell, b: ScoredCell) -> bool:
    return (a.key.task, a.key.axes) == (b.key.task, b.key.axes)


def _row(cells: dict[CellKey, ScoredCell], local: ScoredCell, api: ScoredCell, options: StatsOptions) -> dict:
    row = compare(api, local, options)
    kind = "optimized vs baseline" if api.optimizer == BASELINE else "optimized vs optimized"
    gap_before = _baseline_gap(cells, local, api)
    return {
        "task": local.task, "axes": local.axes, "kind": kind,
        "local_model": local.model, "local_optimizer": local.optimizer, "local": row["mean_new"],
        "api_model": api.model, "api_optimizer": api.optimizer, "api": row["mean_ref"],
        "baseline_gap": gap_before,
        "swing": None if gap_before is None or row["delta"] is None else row["delta"] - gap_before,
    } | row


def _baseline_gap(cells: dict[CellKey, ScoredCell], local: ScoredCell, api: ScoredCell) -> float | None:
    """local baseline - api baseline (cell means), the gap before optimization."""
    local_base = cells.get(replace(local.key, optimizer=BASELINE))
    api_base = cells.get(replace(api.key, optimizer=BASELINE))
    if local_base is None or api_base is None or local_base.mean is None or api_base.mean is None:
        return None
    return local_base.mean - api_base.mean


def _verdict(row: dict) -> str:
    if row["delta"] is None or row["delta"] <= 0:
        return "api ahead or tied"
    return "inversion" if row["significant"] else "not distinguishable"
