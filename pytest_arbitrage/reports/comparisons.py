"""Paired comparisons between cells, and the correction and verdicts over a family of them.

Two records pair when their example_id is the same and, where both carry an `example_hash`,
so is the hash (SPEC 12): the same id holding a different example is never paired, and the
row counts such ids in `n_hash_mismatch`.
"""
from __future__ import annotations

from pytest_arbitrage.reports.cells import ScoredCell, stable_seed
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.verdicts import BETTER, WORSE, decide, untestable_why
from pytest_arbitrage.stats.multiple import adjust_pvalues
from pytest_arbitrage.stats.paired import paired_comparison


def hash_mismatches(ref: ScoredCell, new: ScoredCell) -> set[str]:
    """Shared example ids whose records carry different example hashes."""
    return {i for i in ref.records.keys() & new.records.keys()
            if None not in (h := (ref.records[i].get("example_hash"), new.records[i].get("example_hash")))
            and h[0] != h[1]}


def paired_scores(ref: ScoredCell | None, new: ScoredCell | None) -> tuple[dict, dict, int]:
    """(ref scores, new scores, mismatched ids) with the mismatched ids left out of both."""
    if ref is None or new is None:
        return (ref.scores if ref else {}), (new.scores if new else {}), 0
    drop = hash_mismatches(ref, new)
    keep = lambda scores: {i: s for i, s in scores.items() if i not in drop}  # noqa: E731
    return keep(ref.scores), keep(new.scores), len(drop)


def compare(ref: ScoredCell | None, new: ScoredCell | None, options: StatsOptions) -> dict:
    """Paired comparison of new - ref on the examples both cells scored."""
    ref_scores, new_scores, mismatched = paired_scores(ref, new)
    binary = ref is not None and new is not None and ref.binary and new.binary
    label = f"{ref.id if ref else '-'}|{new.id if new else '-'}"
    row = paired_comparison(
        ref_scores, new_scores, binary=binary, alpha=options.alpha, power=options.power,
        confidence=options.confidence, seed=stable_seed(options.seed, label),
        n_resamples=options.n_permutations, n_bootstrap=options.n_bootstrap, mcnemar=options.mcnemar,
    )
    row["n_ref"], row["n_new"] = (len(c.scores) if c else 0 for c in (ref, new))  # before the mismatches left
    row["n_hash_mismatch"] = mismatched
    row["ref_id"] = ref.id if ref else None
    row["new_id"] = new.id if new else None
    row["note"] = "no reference cell" if ref is None else ("no compared cell" if new is None else None)
    return row


def family_label(name: str, size: int, correction: str) -> str:
    """How a row's p_adj was corrected, e.g. `deltas (18 tests, holm)`."""
    method = "uncorrected" if correction == "none" else correction
    return f"{name} ({size} test{'s' * (size != 1)}, {method})"


def correct_family(rows: list[dict], options: StatsOptions, family: str) -> list[dict]:
    """Set p_adj, the verdict (`reports.verdicts`) and the family on each row, in place.

    Untestable rows stay out of the family: their p_adj is None."""
    testable = [untestable_why(row, level=options.alpha) is None for row in rows]
    adjusted = adjust_pvalues([row.get("p") if ok else None for row, ok in zip(rows, testable)],
                              options.correction)
    size = sum(testable)
    for row, p_adj in zip(rows, adjusted):
        row["p_adj"] = p_adj
        row |= decide(row, p_adj=p_adj, alpha=options.alpha, level=options.alpha)
        row["significant"] = row["verdict"] in (BETTER, WORSE)
        row["family"] = family_label(family, size, options.correction)
        row["family_size"] = size
    return rows
