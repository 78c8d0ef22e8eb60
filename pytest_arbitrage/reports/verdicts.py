"""One verdict for every comparison row (SPEC 12): deltas, inversions, the scoreboard and the gate.

- `significantly better` / `significantly worse`: adjusted p < alpha, by the sign of the delta
  (`new - ref`: optimized - baseline, local - api, this run - saved run);
- `not distinguishable`: tested and not significant; `why` gives the MDE at the paired n;
- `untestable`: the test could not have decided anything, and `why` says so: a cell is
  missing or has no scored example, the cells share no example, the shared ids hold different
  examples (`example_hash` differs), or there are too few pairs: even if every pair favoured
  one side, the test's p-value could not fall below the level.

Untestable rows stay out of their correction family (whether a row can be significant
depends on its n alone, never on its outcome) and are reported with their reason.
"""
from __future__ import annotations

BETTER = "significantly better"
WORSE = "significantly worse"
NOT_DISTINGUISHABLE = "not distinguishable"
UNTESTABLE = "untestable"
VERDICTS = (BETTER, WORSE, NOT_DISTINGUISHABLE, UNTESTABLE)


def smallest_p(row: dict) -> float:
    """The smallest two-sided p-value the row's test can give at its n pairs, whatever the data:
    every pair on one side (2^(1-n); 2^-n for mid-p McNemar), or a Monte Carlo floor 1/(R+1)."""
    n = row.get("n_paired") or 0
    p = 2.0 ** (-n) if row.get("test") == "mcnemar-midp" else 2.0 ** (1 - n)
    return min(1.0, max(p, row.get("p_floor") or 0.0))


def untestable_why(row: dict, *, level: float) -> str | None:
    """Why a `comparisons.compare` row cannot be tested at `level`, or None when it can."""
    if row.get("note"):
        return row["note"]
    for side in ("ref", "new"):
        if not row.get(f"n_{side}"):
            return f"{row.get(f'{side}_id')} has no scored example"
    n = row.get("n_paired") or 0
    if n == 0 and row.get("n_hash_mismatch"):
        return f"examples differ by example_hash (all {row['n_hash_mismatch']} shared example ids)"
    if n == 0:
        return "no shared examples"
    if (row.get("p_floor") or 0.0) >= level:
        return f"Monte Carlo floor: p ≥ 1/(R+1) = {row['p_floor']:.2g} ≥ {level:.3g}; raise the resamples"
    if smallest_p(row) >= level:
        return f"too few pairs: n={n}, smallest possible p = {smallest_p(row):.3g} ≥ {level:.3g}"
    return None


def decide(row: dict, *, p_adj: float | None, alpha: float, level: float, mde: float | None = None) -> dict:
    """The row's verdict and why; `level` decides testability (alpha, or the gate's own level)."""
    why = untestable_why(row, level=level)
    if why is not None or p_adj is None:
        return {"verdict": UNTESTABLE, "why": why or "no p-value"}
    if p_adj < alpha:
        return {"verdict": BETTER if row["delta"] > 0 else WORSE, "why": None}
    mde = row.get("mde") if mde is None else mde
    return {"verdict": NOT_DISTINGUISHABLE, "why": f"MDE {mde * 100:.1f}pp at n={row['n_paired']}"}


def counts(rows: list[dict], key: str = "verdict") -> dict:
    """How many rows got each verdict (every verdict present, zeros included)."""
    return {verdict: sum(row.get(key) == verdict for row in rows) for verdict in VERDICTS}
