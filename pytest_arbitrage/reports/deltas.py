"""Delta report: each optimizer cell against the baseline cell (`none`, or `--baseline`) of its task and model."""
from __future__ import annotations

from collections import defaultdict

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import compare, correct_family
from pytest_arbitrage.reports.options import StatsOptions

BASELINE = "none"


def baseline_key(key: CellKey, baseline: str = BASELINE) -> CellKey:
    """The baseline cell of the same task, model, module and depth (compile-only axes dropped)."""
    return key.reference(baseline)


def delta_rows(cells: dict[CellKey, ScoredCell], options: StatsOptions) -> list[dict]:
    """One corrected family: every optimized cell vs its baseline, paired by example."""
    rows = []
    for key, cell in cells.items():
        if cell.optimizer == options.baseline:
            continue
        row = compare(cells.get(baseline_key(key, options.baseline)), cell, options)
        if row["ref_id"] is None:
            row["note"] = f"no {options.baseline} cell of this task and model"
        info = cell.info or {}
        rows.append({
            "task": cell.task, "model": cell.model, "tier": cell.tier,
            "optimizer": cell.optimizer, "axes": cell.axes, "noop": info.get("noop"),
            "baseline": row["mean_ref"], "optimized": row["mean_new"],
        } | row)
    return correct_family(rows, options, "deltas")


def lift_by_model(rows: list[dict]) -> list[dict]:
    """Per (model, optimizer): average baseline, optimized and delta; tasks improved."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if row["delta"] is not None:
            groups[(row["model"], row["tier"], row["optimizer"])].append(row)
    lift = [_lift(model, tier, optimizer, group)
            for (model, tier, optimizer), group in groups.items()]
    return sorted(lift, key=lambda r: (r["optimizer"], -r["avg_delta"], r["model"]))


def _lift(model: str, tier: str, optimizer: str, group: list[dict]) -> dict:
    n = len(group)
    return {
        "model": model, "tier": tier, "optimizer": optimizer, "n_tasks": n,
        "avg_baseline": sum(r["baseline"] for r in group) / n,
        "avg_optimized": sum(r["optimized"] for r in group) / n,
        "avg_delta": sum(r["delta"] for r in group) / n,
        "improved_raw": sum(r["delta"] > 0 for r in group),
        "improved_significant": sum(r["significant"] and r["delta"] > 0 for r in group),
        "worse_significant": sum(r["significant"] and r["delta"] < 0 for r in group),
    }


def by_axis(rows: list[dict]) -> dict[str, list[dict]]:
    """Average delta per (axis value, model, optimizer), for each axis present."""
    names = sorted({name for row in rows for name in row["axes"]})
    return {name: _axis_groups(rows, name) for name in names}


def _axis_groups(rows: list[dict], name: str) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if name in row["axes"] and row["delta"] is not None:
            groups[(str(row["axes"][name]), row["model"], row["optimizer"])].append(row)
    return [
        {"value": value, "model": model, "optimizer": optimizer} | _axis_stats(group)
        for (value, model, optimizer), group in sorted(groups.items(), key=_axis_sort)
    ]


def _axis_sort(item) -> tuple:
    value, model, optimizer = item[0]
    number = float(value) if value.lstrip("-").replace(".", "", 1).isdigit() else float("inf")
    return (optimizer, model, number, value)


def _axis_stats(group: list[dict]) -> dict:
    n = len(group)
    return {
        "n_tasks": n, "avg_baseline": sum(r["baseline"] for r in group) / n,
        "avg_optimized": sum(r["optimized"] for r in group) / n,
        "avg_delta": sum(r["delta"] for r in group) / n,
        "improved_significant": sum(r["significant"] and r["delta"] > 0 for r in group),
    }
