"""Module report (SPEC 11): each inference module against the first one the run lists
(`--arb-modules=cot,bestof3`: bestof3 vs cot), same task, model, optimizer and other axes,
on accuracy and on cost: LM calls and dollars per example, and their ratios to the first.

The order is the run's own (`meta.options.axes.module`, from the settings); a summary
without it (a converted run) falls back to sorted order.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import (
    Reference, axis_values, grouped, has_axis, in_order, listed_order, ratio, to_value, vs_reference,
)
from pytest_arbitrage.reports.tables import (
    MISSING, Table, axes_label, interval_pct, interval_pp, p_adj_header, pct, pp, pval, verdict_text,
)

if TYPE_CHECKING:
    from pytest_arbitrage.reports.sections import Inputs


def module_rows(inputs: Inputs) -> dict | None:
    """{order, reference, rows}: every module cell against the first module's; None without the axis."""
    if not has_axis(inputs, "module"):
        return None
    order = in_order(axis_values(inputs.comparable, "module"), listed_order(inputs.meta, "axes", "module"))
    rows = vs_reference(inputs, Reference("module", f"modules vs {order[0]}", to_value("module", order[0])))
    return {"order": order, "reference": order[0], "rows": rows}


def module_table(summary: dict) -> Table | None:
    modules = summary.get("modules")
    if not modules:
        return None
    rank = {m: i for i, m in enumerate(modules["order"])}
    headers = ["task", "model", "optimizer", "other axes", "module", "n", "accuracy", "95% CI", "calls/ex",
               "$/ex", "cost ratio", "calls ratio", f"vs {modules['reference']}", "95% CI (delta)", "p",
               p_adj_header(modules["rows"]), "verdict"]
    body = []
    for group in grouped(modules["rows"]).values():
        first = group[0]
        ref = first["ref_cell"]
        body.append(_cells(first, modules["reference"], ref) + [
            _times(ratio(ref["cost_per_example"], ref["cost_per_example"])),
            _times(ratio(ref["calls_per_example"], ref["calls_per_example"])), "reference"] + [MISSING] * 4)
        for r in sorted(group, key=lambda r: rank.get(r["value"], len(rank))):
            body.append(_cells(r, r["value"], r["new_cell"]) + [
                _times(r["cost_ratio"]), _times(r["calls_ratio"]), pp(r["delta"]),
                interval_pp(r["ci_low"], r["ci_high"]), pval(r["p"]), pval(r["p_adj"]), verdict_text(r)])
    note = (f"Each module against {modules['reference']} (the first the run lists) on the same task, model, "
            "optimizer and other axes, paired by example; accuracy and its interval over each cell's own "
            "examples. Ratios: this module's calls or dollars per example over the first module's "
            "(— where the first costs $0 or is unpriced).")
    return Table("modules", "Modules (accuracy, calls and cost per example)", headers, body, note=note)


def _cells(row: dict, module: str, cell: dict) -> list[str]:
    return [row["task"], row["model"], row["optimizer"], axes_label(row["others"]) or MISSING, str(module),
            MISSING if cell["n"] is None else str(cell["n"]), pct(cell["mean"]),
            interval_pct(cell["ci_low"], cell["ci_high"]),
            MISSING if cell["calls_per_example"] is None else f"{cell['calls_per_example']:.3g}",
            usd_each(cell["cost_per_example"])]


def usd_each(value: float | None) -> str:
    """Dollars per example, small values to 3 significant digits (never rounded to $0.0000)."""
    if value is None:
        return "unknown"
    return "$0" if value == 0 else f"${value:.{max(4, 2 - math.floor(math.log10(value)))}f}"


def _times(value: float | None) -> str:
    return MISSING if value is None else f"×{value:.2f}"
