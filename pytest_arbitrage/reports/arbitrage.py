"""Arbitrage scoreboard: per task, every optimized local cell against one reference api baseline.

The reference is the api baseline cell of `StatsOptions.reference` when the user pins a model
(`--arb-reference=MODEL`); otherwise the api baseline with the highest mean among those that
share examples with a local candidate (a choice that makes local wins harder to claim, not
easier). Every local candidate is compared, not only the best one, so no row is picked after
seeing its outcome; the pairs are the inversion family's ("local vs api"), whose test and
verdict the rows reuse: a pair has one verdict in the whole report.
"""
from __future__ import annotations

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.cells import ScoredCell
from pytest_arbitrage.reports.comparisons import compare, paired_scores
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.verdicts import decide


def arbitrage_rows(
    cells: dict[CellKey, ScoredCell], entries: dict[str, dict], inversions: dict, options: StatsOptions
) -> list[dict]:
    """One row per (task, local candidate), with the pair's row of the inversion family."""
    pairs = {(r["ref_id"], r["new_id"]): r for r in inversions["rows"]}
    rows = []
    for task, axes in sorted({(key.task, key.axes) for key in cells}, key=str):
        same = [c for c in cells.values() if (c.key.task, c.key.axes) == (task, axes)]
        candidates = [c for c in same if c.tier == "local" and c.optimizer != options.baseline]
        apis = [c for c in same if c.tier == "api" and c.optimizer == options.baseline]
        reference, missing = _reference(apis, candidates, options.reference)
        if reference is None and not candidates:
            continue
        for local in candidates or [None]:
            pair = pairs.get((reference.id, local.id)) if reference and local else None
            rows.append(_row(reference, local, pair or _unpaired(reference, local, missing, options),
                             entries, pinned=options.reference is not None))
    return rows


def _reference(apis: list[ScoredCell], candidates: list[ScoredCell], pinned: str | None):
    """(the reference api cell, why there is none)."""
    if pinned is not None:
        found = [c for c in apis if c.model == pinned]
        return (found[0], None) if found else (None, f"the reference {pinned} has no api baseline cell here")
    pairable = [a for a in apis if any(_shares_examples(a, c) for c in candidates)]
    best = max(pairable or apis, key=lambda c: (c.mean if c.mean is not None else -1.0, c.model), default=None)
    return best, None if best else "no api baseline cell on this task"


def _shares_examples(a: ScoredCell, b: ScoredCell) -> bool:
    ref, new, _ = paired_scores(a, b)
    return bool(ref.keys() & new.keys())


def _unpaired(reference: ScoredCell | None, local: ScoredCell | None, missing: str | None,
              options: StatsOptions) -> dict:
    """The row of a task with no reference or no local candidate: untestable, in no family."""
    row = compare(reference, local, options)
    row["note"] = missing or ("no optimized local cell on this task" if local is None else row["note"])
    return row | decide(row, p_adj=None, alpha=options.alpha, level=options.alpha) | {
        "p_adj": None, "significant": False, "family": None, "family_size": 0}


def _row(api: ScoredCell | None, local: ScoredCell | None, pair: dict, entries: dict, *, pinned: bool) -> dict:
    cell = local or api
    return pair | {
        "task": cell.task, "axes": cell.axes, "reference": "pinned" if pinned else "best pairable api baseline",
        "api_model": api.model if api else None, "api": pair["mean_ref"],
        "local_model": local.model if local else None,
        "local_optimizer": local.optimizer if local else None, "local": pair["mean_new"],
        "api_cost_per_1k": entries.get(pair["ref_id"], {}).get("cost_per_1k"),
        "local_cost_per_1k": entries.get(pair["new_id"], {}).get("cost_per_1k"),
    }
