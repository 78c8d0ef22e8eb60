"""Demo-count report (SPEC 11): each k against k=0 (the demo effect, family "demos vs k=0")
and k=0 against the baseline (the instruction effect, family "demos: k=0 vs baseline"): the
seed study's "instruction damage vs demo effect" decomposition, and the demo curve (score vs
k with intervals, per task and model; the baseline drawn as a band).

The decomposition's total (largest k - baseline) is that pair's row of the delta family,
quoted with its verdict, not tested again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import (
    Reference, group_label, grouped, has_axis, to_baseline, to_value, verdict_fields, vs_reference,
)
from pytest_arbitrage.reports.curves import curve_charts, curve_table, curves
from pytest_arbitrage.reports.tables import (
    MISSING, Table, axes_label, interval_pp, p_adj_header, pct, pval, verdict_text,
)

if TYPE_CHECKING:
    from pytest_arbitrage.reports.sections import Inputs

EFFECT, INSTRUCTION = "demos vs k=0", "demos: k=0 vs baseline"


def demo_rows(inputs: Inputs, deltas: list[dict]) -> dict | None:
    """{effect, instruction, decomposition, curves}; None when the run does not vary demos."""
    if not has_axis(inputs, "demos"):
        return None
    effect = vs_reference(inputs, Reference("demos", EFFECT, to_value("demos", 0)))
    at_zero = to_baseline(inputs.options.baseline, lambda key: key.axes_dict.get("demos") == 0)
    instruction = vs_reference(inputs, Reference("demos", INSTRUCTION, at_zero))
    baselines = {group_label(r): r["ref_cell"] for r in instruction if r["ref_cell"]["id"]}
    return {"effect": effect, "instruction": instruction,
            "decomposition": decomposition(effect, instruction, deltas),
            "curves": curves(effect, baselines=baselines)}


def decomposition(effect: list[dict], instruction: list[dict], deltas: list[dict]) -> list[dict]:
    """Per task, model, optimizer and other axes: k=0 - baseline, largest k - k=0, and the total."""
    by_effect, by_instruction = grouped(effect), {group_label(r): r for r in instruction}
    totals = {(r["ref_id"], r["new_id"]): r for r in deltas}
    return [_decomposed(by_effect.get(label, [None])[-1], by_instruction.get(label), totals)
            for label in sorted(by_effect.keys() | by_instruction.keys(), key=str)]


def _decomposed(top: dict | None, zero: dict | None, totals: dict) -> dict:
    """One group's row from its largest-k row (`top`) and its k=0 row (`zero`); either may be missing."""
    some, k0 = top or zero, zero["new_cell"] if zero else top["ref_cell"]
    total = totals.get((zero["ref_id"], top["new_id"])) if top and zero else None
    return {k: some[k] for k in ("task", "model", "tier", "optimizer", "others")} | {
        "baseline": zero["ref_cell"]["mean"] if zero else None, "k0": k0["mean"],
        "k_max": top["value"] if top else None, "k_max_mean": top["new_cell"]["mean"] if top else None,
        "instruction": verdict_fields(zero), "demo": verdict_fields(top), "total": verdict_fields(total)}


def decomposition_table(summary: dict) -> Table | None:
    demos = summary.get("demos")
    if not demos:
        return None
    rows = demos["decomposition"]
    headers = ["task", "model", "optimizer", "other axes", "baseline", "k=0",
               "instruction effect (k=0 − baseline)", _header(rows, "instruction"), "instruction verdict",
               "largest k", "demo effect (largest k − k=0)", _header(rows, "demo"), "demo verdict",
               "total (largest k − baseline)", _header(rows, "total"), "total verdict"]
    body = [[r["task"], r["model"], r["optimizer"], axes_label(r["others"]) or MISSING, pct(r["baseline"]),
             pct(r["k0"]), *_effect(r["instruction"]),
             MISSING if r["k_max"] is None else f"k={r['k_max']}: {pct(r['k_max_mean'])}",
             *_effect(r["demo"]), *_effect(r["total"])] for r in rows]
    note = ("Instruction effect: the optimized program with its demos removed (k=0) against the baseline; "
            "demo effect: the largest k against k=0; each paired by example and corrected in its own family. "
            "The total is the delta table's row for that pair, with its verdict there.")
    return Table("demo_decomposition", "Instruction effect vs demo effect", headers, body, note=note)


def _header(rows: list[dict], part: str) -> str:
    return p_adj_header([r[part] for r in rows if r[part]])


def _effect(v: dict | None) -> list[str]:
    """[delta with its interval, p adj, verdict] of a quoted comparison."""
    if v is None:
        return [MISSING] * 3
    return [f"{v['delta'] * 100:+.1f}pp {interval_pp(v['ci_low'], v['ci_high'])}" if v["delta"] is not None
            else MISSING, pval(v["p_adj"]), verdict_text(v)]


def demo_curve_table(summary: dict) -> Table | None:
    demos = summary.get("demos")
    if not demos:
        return None
    return curve_table("demo_curve", "Demo curve (score vs k)", demos["curves"], value_name="k",
                       note="Each k against k=0 of the same optimized program (family: demos vs k=0).")


def demo_charts(summary: dict) -> str:
    demos = summary.get("demos")
    if not demos:
        return ""
    return ("<h2>Demo curves</h2>" + curve_charts(demos["curves"], kind="demos", x_label="demos kept per predictor (k)")
            + '<p class="note">Bars: 95% interval of each cell mean. Filled point: significantly different from '
              'k=0 after correction (hollow: not). Dashed line and grey band: the baseline and its interval. '
              'Hover a point for its numbers.</p>')
