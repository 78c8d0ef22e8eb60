"""Paired comparisons between cells, and the correction over a family of them."""
from __future__ import annotations

from pytest_arbitrage.reports.cells import ScoredCell, stable_seed
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.stats.multiple import adjust_pvalues
from pytest_arbitrage.stats.paired import paired_comparison


def compare(ref: ScoredCell | None, new: ScoredCell | None, options: StatsOptions) -> dict:
    """Paired comparison of new - ref on the examples both cells scored."""
    ref_scores = ref.scores if ref is not None else {}
    new_scores = new.scores if new is not None else {}
    binary = ref is not None and new is not None and ref.binary and new.binary
    label = f"{ref.id if ref else '-'}|{new.id if new else '-'}"
    row = paired_comparison(
        ref_scores, new_scores, binary=binary, alpha=options.alpha, power=options.power,
        confidence=options.confidence, seed=stable_seed(options.seed, label),
        n_resamples=options.n_permutations, n_bootstrap=options.n_bootstrap,
    )
    row["ref_id"] = ref.id if ref else None
    row["new_id"] = new.id if new else None
    row["note"] = _note(ref, new, row)
    return row


def _note(ref: ScoredCell | None, new: ScoredCell | None, row: dict) -> str | None:
    if ref is None:
        return "no reference cell"
    if new is None:
        return "no compared cell"
    if row["n_paired"] == 0:
        return "no examples scored in both cells"
    return None


def correct_family(rows: list[dict], options: StatsOptions, family: str) -> list[dict]:
    """Set p_adj, significant and the family name on each row, in place."""
    adjusted = adjust_pvalues([row.get("p") for row in rows], options.correction)
    for row, p_adj in zip(rows, adjusted):
        row["p_adj"] = p_adj
        row["significant"] = p_adj is not None and p_adj < options.alpha
        row["family"] = family
        row["family_size"] = sum(p is not None for p in adjusted)
    return rows

