"""This run against a saved run: cells paired by (task, model, optimizer, axes, example_id).

One corrected family over every cell present in both runs. A regression is a cell
significantly worse than its saved counterpart after correction.
"""
from __future__ import annotations

from pytest_arbitrage.reports.cells import Cell, Key, cell_id, group_cells
from pytest_arbitrage.reports.comparisons import compare, correct_family
from pytest_arbitrage.reports.options import StatsOptions


def comparison_rows(cells: dict[Key, Cell], options: StatsOptions) -> dict | None:
    if options.baseline_records is None:
        return None
    old_cells = group_cells(options.baseline_records, [])
    rows = []
    for key, cell in cells.items():
        if key in old_cells:
            row = compare(old_cells[key], cell, options)
            rows.append({"task": cell.task, "model": cell.model, "tier": cell.tier,
                         "optimizer": cell.optimizer, "axes": cell.axes,
                         "old": row["mean_ref"], "new": row["mean_new"]} | row)
    correct_family(rows, options, "this run vs saved run")
    for row in rows:
        row["regression"] = bool(row["significant"] and row["delta"] < 0)
        row["message"] = _message(row, options) if row["regression"] else None
    return {
        "against": options.baseline_run, "rows": rows,
        "only_in_saved_run": sorted(cell_id(k) for k in old_cells.keys() - cells.keys()),
        "only_in_this_run": sorted(cell_id(k) for k in cells.keys() - old_cells.keys()),
    }


def _message(row: dict, options: StatsOptions) -> str:
    against = f" than {options.baseline_run}" if options.baseline_run else " than the saved run"
    return (
        f"{row['new_id']} is significantly worse{against}: "
        f"{row['old']:.1%} -> {row['new']:.1%} ({row['delta'] * 100:+.1f}pp, "
        f"{options.confidence:.0%} CI [{row['ci_low'] * 100:+.1f}, {row['ci_high'] * 100:+.1f}]pp, "
        f"n={row['n_paired']} paired, p={row['p']:.3g}, "
        f"{options.correction}-adjusted p={row['p_adj']:.3g} < alpha={options.alpha})"
    )


def find_regressions(summary: dict) -> list[dict]:
    """Cells significantly worse than the compared run, after correction."""
    comparison = summary.get("comparison") or {}
    keep = ("task", "model", "optimizer", "axes", "old", "new", "delta", "ci_low", "ci_high",
            "p", "p_adj", "n_paired", "message")
    return [{k: row.get(k) for k in keep} | {"ci": [row["ci_low"], row["ci_high"]]}
            for row in comparison.get("rows", []) if row.get("regression")]
