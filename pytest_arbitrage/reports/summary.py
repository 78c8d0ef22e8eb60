"""Aggregate records and cell infos into the JSON-serialisable run summary."""
from __future__ import annotations

from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.reports.cells import cell_entry, cost_text, group_cells
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.sections import Inputs, section_rows
from pytest_arbitrage.stats.paired import EXACT_SIGN_FLIP_MAX

SCHEMA = "pytest-arbitrage/summary/2"  # 2: every comparison row has a verdict and a family; headline


def methods_text(options: StatsOptions) -> dict[str, str]:
    """How every number was computed, for the report footers."""
    conf = f"{options.confidence:.0%}"
    return {
        "units": "Scores, means and deltas are fractions of 1 in summary.json; reports show "
                 "means in % and deltas in percentage points (pp).",
        "cell_interval": f"{conf} interval of a cell mean: Wilson score for 0/1 scores, seeded "
                         f"BCa bootstrap ({options.n_bootstrap} resamples) otherwise.",
        "pairing": "Comparisons pair examples by example_id (and by example_hash where both "
                   "records carry one: equal ids holding different examples are never paired); "
                   "only examples scored in both cells are used, and the paired count n is shown.",
        "test": _test_text(options),
        "delta_interval": f"{conf} interval of a delta: Newcombe's paired-proportion interval "
                          "(method 10) for 0/1 scores, seeded BCa bootstrap of the paired "
                          "differences otherwise.",
        "agreement": "A delta's interval and its test are computed separately and can "
                     "disagree near the boundary; significance is decided by the adjusted "
                     "p-value alone.",
        "correction": f"p-values adjusted with {options.correction} within one family per question: "
                      "deltas (optimized vs baseline); local vs api (the inversions, whose pairs the "
                      "scoreboard reuses, so a pair has one verdict in the whole report); the gate "
                      "(alpha / m over the run's m cells). Each p adj is labelled with its family and "
                      f"its size; significant means adjusted p < alpha = {options.alpha}.",
        "verdicts": "Every comparison row has one verdict: significantly better or worse, not "
                    "distinguishable (with its MDE), or untestable, with why: a missing cell or one "
                    "with no scored example, no shared examples, examples that differ by "
                    "example_hash, or too few pairs (even if all favoured one side, the test's "
                    "p-value could not fall below alpha, or the gate's level). Untestable rows stay "
                    "out of their family and are never counted as not significant.",
        "mde": f"MDE: smallest |delta| a two-sided paired test at alpha = {options.alpha} "
               f"(uncorrected) detects with {options.power:.0%} power at the paired n, from "
               "the observed spread of paired differences (normal approximation).",
        "axes": "Study axes (where the run varies them), each its own family, paired by example: modules vs "
                "the first listed; demos k vs k=0 (demo effect) and k=0 vs the baseline (instruction effect); "
                "train sizes vs the baseline (tipping point: the smallest size significantly better); every "
                "pair of optimizers on the same task, model and axes; depth vs depth 1. A pair asked in two "
                "families (a train size vs its baseline is also a delta) has each family's p adj, labelled. "
                "The model-vs-task variance, the model gap and the learning curves are descriptive (no test).",
        "scoreboard": "The scoreboard tests every optimized local cell against one reference "
                      "api baseline per task: the pinned reference model, or else the api baseline "
                      "with the highest mean among those sharing examples with a local candidate "
                      "(a choice that can only favour the api side).",
    }


def _test_text(options: StatsOptions) -> str:
    mcnemar = ("mid-p McNemar test (2 x [P(X < b) + P(X = b) / 2] for the smaller discordant "
               "count b; less conservative than exact)" if options.mcnemar == "midp"
               else "exact McNemar test (binomial test on discordant pairs)")
    floor = 1 / (options.n_permutations + 1)
    return (f"0/1 scores: {mcnemar}. Other scores: two-sided sign-flip permutation test on paired "
            f"differences, exact (every sign pattern) up to {EXACT_SIGN_FLIP_MAX} non-zero differences, "
            f"else {options.n_permutations} seeded Monte Carlo sign flips, whose p-value is never below "
            f"1/(R+1) = {floor:.2g}, so a corrected level below that floor cannot be reached; each row "
            "records `exact` and `n_resamples`.")


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
    inputs = Inputs(grouped=grouped, comparable=comparable_cells(grouped, options), entries=entries, options=options,
                    meta=meta)
    methods = methods_text(options) | {"cost": cost_text(entries)}
    return {"schema": SCHEMA, "meta": meta, "options": options.public(), "methods": methods,
            **section_rows(inputs)}


def comparable_cells(grouped: dict, options: StatsOptions) -> dict:
    """Cells cut short by an interrupt or a crash stay out of comparisons unless asked for;
    the gate still judges them (a partial cell must not pass it)."""
    if options.include_partial:
        return grouped
    return {key: cell for key, cell in grouped.items() if (cell.info or {}).get("status") != "partial"}
