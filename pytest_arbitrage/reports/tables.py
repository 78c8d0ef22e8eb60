"""Summary -> titled tables of display strings, shared by every renderer.

Means are shown in %, deltas and intervals in percentage points (pp).
"""
from __future__ import annotations

from dataclasses import dataclass, field


MISSING = "—"


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    extra: list[str] = field(default_factory=list)  # lines shown under the table


def pct(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


def pp(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:+.1f}pp"


def interval_pp(low: float | None, high: float | None) -> str:
    return MISSING if low is None or high is None else f"[{low * 100:+.1f}, {high * 100:+.1f}]"


def interval_pct(low: float | None, high: float | None) -> str:
    return MISSING if low is None or high is None else f"[{low * 100:.1f}, {high * 100:.1f}]"


def pval(value: float | None) -> str:
    if value is None:
        return MISSING
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.4f}"


def verdict_text(row: dict, key: str = "verdict") -> str:
    """A row's verdict (`reports.verdicts`), ★ when significant, and why (MDE, or why untestable)."""
    mark = " ★" if row.get("significant") else ""
    why = f": {row['why']}" if row.get("why") else ""
    return f"{row.get(key) or MISSING}{mark}{why}"


def p_adj_header(rows: list[dict]) -> str:
    """`p adj in <family>`: the family each adjusted p-value was corrected in."""
    families = sorted({r["family"] for r in rows if r.get("family")})
    return f"p adj in {'; '.join(families)}" if families else "p adj"


def axes_label(axes: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in axes.items())


def task_label(row: dict) -> str:
    extra = axes_label(row.get("axes") or {})
    return f"{row['task']} [{extra}]" if extra else row["task"]


def cell_table(summary: dict) -> Table:
    headers = ["cell", "tier", "status", "n", "mean", "95% CI", "parse err", "errors",
               "latency ms", "calls/ex", "tokens in/out", "cost", "$/1k ex", "no-op"]
    rows = [[
        c["id"], c["tier"], c["status"] or MISSING, str(c["n"]), pct(c["mean"]),
        interval_pct(c["ci_low"], c["ci_high"]), pct(c["parse_error_rate"]), pct(c["error_rate"]),
        MISSING if c["mean_latency_ms"] is None else f"{c['mean_latency_ms']:.0f}",
        MISSING if c.get("lm_calls_per_example") is None else f"{c['lm_calls_per_example']:.2g}",
        f"{c['input_tokens']}/{c['output_tokens']}", usd(c["cost_usd"]), usd(c["cost_per_1k"]),
        {True: "yes", False: "no", None: MISSING}[c["noop"]],
    ] for c in summary["cells"]]
    reasons = [f"{c['id']}: {c['status']} — {c['reason']}" for c in summary["cells"] if c["reason"]]
    return Table("cells", "Cells", headers, rows, extra=reasons + _data_origins(summary["cells"]))


def _data_origins(cells: list[dict]) -> list[str]:
    """Where each cell's examples came from, one line per origin (hub revision and commit included)."""
    by_origin: dict[str, list[str]] = {}
    for c in cells:
        if c.get("data_origin"):
            by_origin.setdefault(c["data_origin"], []).append(c["id"])
    return [f"data {origin}: {', '.join(ids)}" for origin, ids in sorted(by_origin.items())]


def delta_table(summary: dict) -> Table:
    rows = summary["deltas"]
    headers = ["task", "model", "optimizer", "n", "baseline", "optimized", "delta", "95% CI",
               "p", p_adj_header(rows), "MDE", "verdict"]
    body = [[
        task_label(r), r["model"], r["optimizer"] + (" (no-op)" if r["noop"] else ""),
        str(r["n_paired"]), pct(r["baseline"]), pct(r["optimized"]), pp(r["delta"]),
        interval_pp(r["ci_low"], r["ci_high"]), pval(r["p"]), pval(r.get("p_adj")),
        pp(r["mde"]).lstrip("+"), verdict_text(r),
    ] for r in rows]
    return Table("deltas", "Optimization delta (optimized − baseline, paired)", headers, body,
                 note=_family_note(summary))


def lift_table(summary: dict) -> Table:
    headers = ["model", "tier", "optimizer", "avg baseline", "avg optimized", "avg delta",
               "improved (sig)", "improved (raw)", "worse (sig)"]
    rows = [[
        r["model"], r["tier"], r["optimizer"], pct(r["avg_baseline"]), pct(r["avg_optimized"]),
        pp(r["avg_delta"]), f"{r['improved_significant']}/{r['n_tasks']}",
        f"{r['improved_raw']}/{r['n_tasks']}", f"{r['worse_significant']}/{r['n_tasks']}",
    ] for r in summary["lift_by_model"]]
    return Table("lift", "Optimization lift by model", headers, rows,
                 note="Significant counts use the corrected delta family above.")


def inversion_tables(summary: dict) -> list[Table]:
    """The claimed inversions, then every other local-vs-api pair with its verdict."""
    inv = summary["inversions"]
    claimed = [r for r in inv["rows"] if r["inversion"]]
    others = [r for r in inv["rows"] if not r["inversion"]]
    headers = ["task", "kind", "local", "local score", "api", "api score", "delta", "95% CI",
               "swing from baseline", "n", "p", p_adj_header(inv["rows"])]
    note = (f"{len(claimed)} claimed of {inv['tested']} local-vs-api pairs tested, {inv['untestable']} untestable; "
            "every pair, with its verdict and why, is in report.md, report.html and summary.json. "
            "A pair has one verdict in the whole report.")
    return [
        Table("inversions", "Rank inversions (local significantly beats api)", headers,
              [_inversion_row(r) for r in claimed], note=note),
        Table("inversions_other", "Local vs api: every other pair", headers + ["verdict"],
              [_inversion_row(r) + [verdict_text(r)] for r in others]),
    ]


def _inversion_row(r: dict) -> list[str]:
    swing = MISSING if r["swing"] is None else f"{pp(r['swing'])} (gap was {pp(r['baseline_gap'])})"
    return [task_label(r), r["kind"], f"{r['local_model']} ({r['local_optimizer']})",
            pct(r["local"]), f"{r['api_model']} ({r['api_optimizer']})", pct(r["api"]),
            pp(r["delta"]), interval_pp(r["ci_low"], r["ci_high"]), swing, str(r["n_paired"]),
            pval(r["p"]), pval(r["p_adj"])]


def arbitrage_table(summary: dict) -> Table:
    """Every optimized local cell against the task's reference api baseline."""
    board = summary["arbitrage"]
    headers = ["task", "reference api (baseline)", "$/1k ex", "local candidate", "$/1k ex",
               "delta", "95% CI", "n", "p", p_adj_header(board), "verdict"]
    rows = [[
        task_label(r), f"{r['api_model'] or MISSING}: {pct(r['api'])}", usd(r["api_cost_per_1k"]),
        f"{r['local_model'] or MISSING} ({r['local_optimizer'] or MISSING}): {pct(r['local'])}",
        usd(r["local_cost_per_1k"]), pp(r["delta"]), interval_pp(r["ci_low"], r["ci_high"]),
        _n(r["n_paired"]), pval(r["p"]), pval(r["p_adj"]), verdict_text(r),
    ] for r in board]
    pinned = summary["options"].get("reference")
    reference = (f"Reference: {pinned} (pinned)." if pinned else
                 "Reference: per task, the api baseline with the highest mean among those sharing examples "
                 "with a local candidate (pin one with --arb-reference=MODEL).")
    return Table("arbitrage", "Arbitrage scoreboard (local − reference api)", headers, rows,
                 note=f"{reference} Every local candidate is tested; the pairs and their verdicts are the "
                      f"inversion family's. {_family_note(summary)}")


def comparison_table(summary: dict) -> Table | None:
    """The gate's verdict on every cell of this run, the failing ones first."""
    comp = summary.get("comparison")
    if comp is None:
        return None
    headers = ["cell", "n", "saved", "this run", "delta", "95% CI", "p", p_adj_header(comp["rows"]), "MDE",
               "verdict", "paired test", "program"]
    ordered = sorted(comp["rows"], key=lambda r: (not r.get("fails"), r["id"]))
    rows = [[
        r["id"], _n(r.get("n_paired")), pct(r.get("old")), pct(r.get("new")), pp(r.get("delta")),
        interval_pp(r.get("ci_low"), r.get("ci_high")), pval(r.get("p")), pval(r.get("p_adj")),
        pp(r.get("mde_gate")).lstrip("+"), _verdict(r), verdict_text(r, "finding"),
        _program(r.get("program_changed")),
    ] for r in ordered]
    extra = [r["message"] for r in ordered if r.get("message")]
    extra += [f"only in saved run (not judged): {cid}" for cid in comp["only_in_saved_run"]]
    title = f"Gate: this run vs {comp['against'] or 'saved run'} (paired, this − saved)"
    rule = comp.get("rule") or {}
    note = (f"Each cell is judged at level {rule.get('level', 0):.3g} ({rule.get('method', '')}); "
            f"MDE at that level; fails on: {', '.join(rule.get('fail_on') or []) or 'nothing'}, and untestable.")
    return Table("comparison", title, headers, rows, note=note, extra=extra)


def _n(value) -> str:
    return MISSING if value is None else str(value)


def _verdict(r: dict) -> str:
    verdict = r.get("verdict") or MISSING
    return f"{verdict.upper()} (fails)" if r.get("fails") else verdict


def _program(changed: bool | None) -> str:
    return MISSING if changed is None else ("changed" if changed else "same")


def axis_tables(summary: dict) -> list[Table]:
    headers = ["value", "model", "optimizer", "tasks", "avg baseline", "avg optimized",
               "avg delta", "improved (sig)"]
    return [Table(f"axis_{name}", f"Delta by {name}", headers, [[
        r["value"], r["model"], r["optimizer"], str(r["n_tasks"]), pct(r["avg_baseline"]),
        pct(r["avg_optimized"]), pp(r["avg_delta"]), f"{r['improved_significant']}/{r['n_tasks']}",
    ] for r in rows]) for name, rows in summary.get("by_axis", {}).items()]


def _family_note(summary: dict) -> str:
    options = summary["options"]
    return (f"★ = significant: adjusted p < alpha = {options['alpha']} within the row's family; "
            "untestable rows are outside every family.")


def all_tables(summary: dict) -> list[Table]:
    """Every table, in the sections' order (`reports.sections`)."""
    from pytest_arbitrage.reports.sections import report_tables

    return report_tables(summary)
