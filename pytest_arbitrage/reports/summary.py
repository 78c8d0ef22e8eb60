"""Aggregate records and cell infos into the JSON-serialisable run summary."""
from __future__ import annotations

from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.reports.cells import cell_entry, group_cells
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.sections import Inputs, section_rows

SCHEMA = "pytest-arbitrage/summary/1"


def methods_text(options: StatsOptions) -> dict[str, str]:
    """How every number was computed, for the report footers."""
    conf = f"{options.confidence:.0%}"
    return {
        "units": "Scores, means and deltas are fractions of 1 in summary.json; reports show "
                 "means in % and deltas in percentage points (pp).",
        "cell_interval": f"{conf} interval of a cell mean: Wilson score for 0/1 scores, seeded "
                         f"BCa bootstrap ({options.n_bootstrap} resamples) otherwise.",
        "pairing": "Comparisons pair examples by example_id; only examples scored in both "
                   "cells are used, and the paired count n is shown.",
        "test": "0/1 scores: exact McNemar test (binomial test on discordant pairs). Other "
                "scores: two-sided sign-flip permutation test on paired differences (exact "
                f"up to 16 non-zero differences, else {options.n_permutations} seeded "
                "Monte Carlo sign flips).",
        "delta_interval": f"{conf} interval of a delta: Newcombe's paired-proportion interval "
                          "(method 10) for 0/1 scores, seeded BCa bootstrap of the paired "
                          "differences otherwise.",
        "agreement": "A delta's interval and its test are computed separately and can "
                     "disagree near the boundary; significance is decided by the adjusted "
                     "p-value alone.",
        "correction": f"p-values adjusted with {options.correction} within each report's family "
                      f"(deltas, inversions, scoreboard, run comparison); significant means "
                      f"adjusted p < alpha = {options.alpha}.",
        "mde": f"MDE: smallest |delta| a two-sided paired test at alpha = {options.alpha} "
               f"(uncorrected) detects with {options.power:.0%} power at the paired n, from "
               "the observed spread of paired differences (normal approximation).",
        "selection": "The scoreboard picks the best local and api cells on the same test "
                     "examples it then compares, so its deltas lean optimistic for the "
                     "local side.",
    }


def build_summary(
    records: list[dict], cells: list[dict], *, meta: dict, options: StatsOptions
) -> dict:
    """Everything the reports show, as plain JSON types."""
    prices = options.prices if options.prices is not None else load_prices(None)
    grouped = group_cells(records, cells)
    entries = [
        cell_entry(cell, prices=prices, confidence=options.confidence, seed=options.seed,
                   n_bootstrap=options.n_bootstrap)
        for cell in grouped.values()
    ]
    inputs = Inputs(grouped=grouped, comparable=comparable_cells(grouped, options), entries=entries, options=options)
    return {"schema": SCHEMA, "meta": meta, "options": options.public(), "methods": methods_text(options),
            **section_rows(inputs)}


def comparable_cells(grouped: dict, options: StatsOptions) -> dict:
    """Cells cut short by an interrupt or a crash stay out of comparisons unless asked for;
    the gate still judges them (a partial cell must not pass it)."""
    if options.include_partial:
        return grouped
    return {key: cell for key, cell in grouped.items() if (cell.info or {}).get("status") != "partial"}
