"""Optimizer learning curves (SPEC 11): the dev score of each MIPROv2 trial or GEPA iteration,
as the compile step stored it in the cell's info (`learning_curve: [{step, score, kind}]`,
scores in [0, 1]); a table per cell (steps, first, best, last dev score, and the cell's test
mean beside them) and a line chart per cell in report.html. Descriptive: dev scores are the
optimizer's own, on its own examples, and are not tested.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import entries_by_id
from pytest_arbitrage.reports.curves import Chart, Line, Point, line_chart, panel_row
from pytest_arbitrage.reports.tables import Table, axes_label, pct

if TYPE_CHECKING:
    from pytest_arbitrage.reports.cells import ScoredCell
    from pytest_arbitrage.reports.sections import Inputs


def learning_rows(inputs: Inputs) -> dict | None:
    """{rows}: one per cell with a learning curve; None when no cell has one."""
    entries = entries_by_id(inputs)
    rows = [row for cell in inputs.grouped.values() if (row := _curve(cell, entries.get(cell.id) or {}))]
    return {"rows": rows} if rows else None


def _curve(cell: ScoredCell, entry: dict) -> dict | None:
    stored = [_point(p) for p in (cell.info or {}).get("learning_curve") or []]
    points = sorted((p for p in stored if p), key=lambda p: p["step"])
    if not points:
        return None
    best = max(points, key=lambda p: p["score"])  # the first step reaching the best score
    return {"id": cell.id, "task": cell.task, "model": cell.model, "tier": cell.tier, "optimizer": cell.optimizer,
            "axes": cell.axes, "kind": ", ".join(sorted({p["kind"] for p in points})), "steps": len(points),
            "first": points[0]["score"], "best": best["score"], "best_step": best["step"],
            "last": points[-1]["score"], "test_mean": entry.get("mean"), "test_ci_low": entry.get("ci_low"),
            "test_ci_high": entry.get("ci_high"), "points": points}


def _point(raw) -> dict | None:
    """A stored point as {step, score, kind}, or None when it is not one (never a crash)."""
    try:
        step, score = int(raw["step"]), float(raw["score"])
    except (KeyError, TypeError, ValueError):
        return None
    return {"step": step, "score": score, "kind": str(raw.get("kind") or "step")} if math.isfinite(score) else None


def learning_table(summary: dict) -> Table | None:
    found = summary.get("learning_curves")
    if not found:
        return None
    headers = ["cell", "optimizer", "kind", "steps", "first dev", "best dev (step)", "last dev", "test mean"]
    body = [[r["id"], r["optimizer"], r["kind"], str(r["steps"]), pct(r["first"]),
             f"{pct(r['best'])} ({r['best_step']})", pct(r["last"]), pct(r["test_mean"])] for r in found["rows"]]
    return Table("learning_curves", "Optimizer learning curves (dev score per trial or iteration)", headers, body,
                 note="Dev scores as the optimizer logged them while compiling; the test mean is the cell's, "
                      "on the held-out test examples. Descriptive: not tested.")


def learning_charts(summary: dict) -> str:
    found = summary.get("learning_curves")
    if not found:
        return ""
    return ("<h2>Optimizer learning curves</h2>" + panel_row([line_chart(_chart(r)) for r in found["rows"]])
            + '<p class="note">Solid: the dev score of each step; dashed: the best so far; grey band: the '
            "cell's test mean and its 95% interval.</p>")


def _chart(row: dict) -> Chart:
    points = [Point(p["step"], p["score"], tip=f"{p['kind']} {p['step']}: {pct(p['score'])}") for p in row["points"]]
    best, running = [], -math.inf
    for p in row["points"]:
        running = max(running, p["score"])
        best.append(Point(p["step"], running))
    band = None if row["test_mean"] is None else ("test", row["test_mean"], row["test_ci_low"], row["test_ci_high"])
    extra = axes_label(row["axes"])
    title = f"{row['task']} · {row['model']} · {row['optimizer']}" + (f" [{extra}]" if extra else "")
    return Chart(title, row["kind"], [Line("dev score", points), Line("best so far", best, dashed=True)], "learning",
                 band=band)

