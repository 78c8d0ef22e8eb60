"""Arbitrage scoreboard: per task, best api baseline vs best optimized local cell.

"Best" is the highest mean on this run's test examples, so the local side is
chosen after seeing the data (a winner's-curse bias the footer states); the
verdict still rests on a paired test, corrected over the scoreboard's rows.
"""
from __future__ import annotations

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import compare, correct_family
from pytest_arbitrage.reports.deltas import BASELINE
from pytest_arbitrage.reports.options import StatsOptions

VERDICTS = {"better": "significantly better", "worse": "significantly worse"}


def arbitrage_rows(
    cells: dict[CellKey, ScoredCell], entries: dict[str, dict], options: StatsOptions
) -> list[dict]:
    rows = []
    for task, axes in sorted({(key.task, key.axes) for key in cells}, key=str):
        same = [c for c in cells.values() if (c.key.task, c.key.axes) == (task, axes) and c.scores]
        api = _best([c for c in same if c.tier == "api" and c.optimizer == BASELINE])
        local = _best([c for c in same if c.tier == "local" and c.optimizer != BASELINE])
        if api is None and local is None:
            continue
        rows.append(_row(api, local, entries, options))
    correct_family(rows, options, "arbitrage scoreboard")
    for row in rows:
        row["verdict"] = _verdict(row)
    return rows


def _best(candidates: list[ScoredCell]) -> ScoredCell | None:
    return max(candidates, key=lambda c: (c.mean, c.model, c.optimizer), default=None)


def _row(api: ScoredCell | None, local: ScoredCell | None, entries: dict, options: StatsOptions) -> dict:
    row = compare(api, local, options)
    cell = local or api
    api_entry = entries.get(row["ref_id"], {})
    local_entry = entries.get(row["new_id"], {})
    return {
        "task": cell.task, "axes": cell.axes,
        "api_model": api.model if api else None, "api": row["mean_ref"],
        "local_model": local.model if local else None,
        "local_optimizer": local.optimizer if local else None, "local": row["mean_new"],
        "api_cost_per_1k": api_entry.get("cost_per_1k"),
        "local_cost_per_1k": local_entry.get("cost_per_1k"),
    } | row


def _verdict(row: dict) -> str:
    if row["p"] is None:
        return "no paired data" if row["note"] is None else row["note"]
    if not row["significant"]:
        return "not distinguishable"
    return VERDICTS["better"] if row["delta"] > 0 else VERDICTS["worse"]
