"""Pairwise optimizer report (SPEC 11): every pair of optimizers (not the baseline) on the same
task, model and axes, e.g. GEPA vs MIPROv2 vs bootstrap, paired by example and corrected in
one family ("optimizer pairs"). Each pair is (earlier, later) in the run's optimizer order
(`meta.options.optimizers`, else sorted) and its delta is later - earlier.
"""
from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import entries_by_id, in_order, listed_order, paired_row
from pytest_arbitrage.reports.comparisons import correct_family
from pytest_arbitrage.reports.tables import (
    MISSING, Table, axes_label, interval_pp, p_adj_header, pct, pp, pval, verdict_text,
)

if TYPE_CHECKING:
    from pytest_arbitrage.reports.sections import Inputs

FAMILY = "optimizer pairs"


def pair_rows(inputs: Inputs) -> dict | None:
    """{order, rows}; None when no task, model and axes has two optimized cells."""
    optimized = [key for key in inputs.comparable if key.optimizer != inputs.options.baseline]
    order = in_order({key.optimizer for key in optimized}, listed_order(inputs.meta, "optimizers"))
    groups: dict[tuple, list] = {}
    for key in sorted(optimized, key=lambda k: order.index(k.optimizer)):
        groups.setdefault((key.task, key.model, key.axes), []).append(key)
    entries = entries_by_id(inputs)
    rows = [paired_row(inputs, entries, a, b, axis="optimizer")
            for keys in groups.values() for a, b in combinations(keys, 2)]
    return {"order": order, "rows": correct_family(rows, inputs.options, FAMILY)} if rows else None


def pair_table(summary: dict) -> Table | None:
    pairs = summary.get("optimizer_pairs")
    if not pairs:
        return None
    rows = pairs["rows"]
    headers = ["task", "model", "axes", "optimizer A", "A", "optimizer B", "B", "n", "B − A", "95% CI", "p",
               p_adj_header(rows), "verdict"]
    body = [[r["task"], r["model"], axes_label(r["others"]) or MISSING, r["ref_value"], pct(r["mean_ref"]),
             r["value"], pct(r["mean_new"]), str(r["n_paired"]), pp(r["delta"]), interval_pp(r["ci_low"], r["ci_high"]),
             pval(r["p"]), pval(r["p_adj"]), verdict_text(r)] for r in rows]
    return Table("optimizer_pairs", "Optimizer pairs (B − A, paired)", headers, body,
                 note=f"Every pair of optimizers on the same task, model and axes, in the run's order "
                      f"({', '.join(pairs['order'])}); each optimizer against the baseline is in the delta table.")
