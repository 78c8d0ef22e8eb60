"""Train-size report (SPEC 11): each train-set size m against the baseline (family "train vs
baseline"), and the tipping point of each task, model, optimizer and other axes: the
smallest m with a significant lift after correction, or "none up to m" (the largest tested).

A size that is significant while a larger one is not is still the tipping point: the table
shows every size's delta and verdict beside it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_arbitrage.reports.axis_compare import (
    Reference, grouped, has_axis, to_baseline, verdict_fields, vs_reference,
)
from pytest_arbitrage.reports.tables import MISSING, Table, axes_label, p_adj_header, pct, pp, pval, verdict_text
from pytest_arbitrage.reports.verdicts import BETTER

if TYPE_CHECKING:
    from pytest_arbitrage.reports.sections import Inputs

FAMILY = "train vs baseline"


def train_rows(inputs: Inputs) -> dict | None:
    """{rows, tipping}: every size against the baseline; None when the run does not vary train."""
    if not has_axis(inputs, "train"):
        return None
    rows = vs_reference(inputs, Reference("train", FAMILY, to_baseline(inputs.options.baseline)))
    return {"rows": rows, "tipping": [tipping_point(group) for group in grouped(rows).values()]}


def tipping_point(group: list[dict]) -> dict:
    """The smallest size whose lift is significantly positive, in the family's verdicts."""
    first = group[0]
    hit = next((r for r in group if r["verdict"] == BETTER), None)
    largest = group[-1]["value"]
    return {k: first[k] for k in ("task", "model", "tier", "optimizer", "others")} | {
        "baseline": first["ref_cell"]["mean"], "sizes": [r["value"] for r in group],
        "tipping_point": hit["value"] if hit else None,
        "text": f"m={hit['value']}" if hit else f"none up to m={largest}",
        "at_tipping_point": verdict_fields(hit),
        "by_size": [{"m": r["value"], "mean": r["new_cell"]["mean"]} | verdict_fields(r) for r in group],
    }


def tipping_table(summary: dict) -> Table | None:
    train = summary.get("train")
    if not train:
        return None
    headers = ["task", "model", "optimizer", "other axes", "baseline", "sizes", "tipping point", "lift there",
               p_adj_header(train["rows"]), "every size: delta (★ significant)"]
    body = [[t["task"], t["model"], t["optimizer"], axes_label(t["others"]) or MISSING, pct(t["baseline"]),
             ", ".join(map(str, t["sizes"])), t["text"],
             pp((t["at_tipping_point"] or {}).get("delta")), pval((t["at_tipping_point"] or {}).get("p_adj")),
             "; ".join(f"m={s['m']}: {pp(s['delta'])}{' ★' if s['significant'] else ''}" for s in t["by_size"])]
            for t in train["tipping"]]
    return Table("tipping_point", "Tipping point (smallest train size with a significant lift)", headers, body,
                 note="Each size against the baseline (no training examples, no optimizer), paired by example; "
                      "significant: adjusted p < alpha in the family below, lift > 0.")


def train_table(summary: dict) -> Table | None:
    train = summary.get("train")
    if not train:
        return None
    rows = train["rows"]
    headers = ["task", "model", "optimizer", "other axes", "m", "n", "baseline", "optimized", "delta", "p",
               p_adj_header(rows), "verdict"]
    body = [[r["task"], r["model"], r["optimizer"], axes_label(r["others"]) or MISSING, str(r["value"]),
             str(r["n_paired"]), pct(r["mean_ref"]), pct(r["mean_new"]), pp(r["delta"]), pval(r["p"]),
             pval(r["p_adj"]), verdict_text(r)] for group in grouped(rows).values() for r in group]
    return Table("train_sizes", "Train size vs baseline (optimized − baseline, paired)", headers, body)
