"""Pipeline-depth report (SPEC 11): each depth d against depth 1 (family "depth vs depth 1")
on the same task, model, optimizer and other axes, as a curve (score vs d with intervals,
per task and model) and its table, with calls per example beside the score.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import Reference, has_axis, to_value, vs_reference
from pytest_arbitrage.reports.curves import curve_charts, curve_table, curves
from pytest_arbitrage.reports.tables import Table

if TYPE_CHECKING:
    from pytest_arbitrage.reports.sections import Inputs

FAMILY = "depth vs depth 1"


def depth_rows(inputs: Inputs) -> dict | None:
    """{rows, curves}; None when the run does not vary depth."""
    if not has_axis(inputs, "depth"):
        return None
    rows = vs_reference(inputs, Reference("depth", FAMILY, to_value("depth", 1)))
    return {"rows": rows, "curves": curves(rows)}


def depth_table(summary: dict) -> Table | None:
    depth = summary.get("depth")
    if not depth:
        return None
    return curve_table("depth_curve", "Depth curve (score vs pipeline depth)", depth["curves"], value_name="depth",
                       note="Each depth against depth 1 of the same task, model and optimizer (family: depth vs "
                            "depth 1); a depth-d pipeline makes d LM calls per example or more.")


def depth_charts(summary: dict) -> str:
    depth = summary.get("depth")
    if not depth:
        return ""
    return ("<h2>Depth curves</h2>" + curve_charts(depth["curves"], kind="depth", x_label="pipeline depth (LM steps)")
            + '<p class="note">Bars: 95% interval of each cell mean. Filled point: significantly different from '
              'depth 1 after correction (hollow: not). Hover a point for its numbers.</p>')
