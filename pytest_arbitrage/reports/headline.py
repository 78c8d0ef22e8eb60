"""The headline a report opens with: per question, how many rows got each verdict.

Read from the other sections' rows (`reports.sections`), so it cannot disagree with them.
The scoreboard's pairs are pairs of the inversion family, so they count once among the
untestable pairs.
"""
from __future__ import annotations

from typing import Callable

from pytest_arbitrage.reports.gate import VERDICTS as GATE_VERDICTS
from pytest_arbitrage.reports.tables import MISSING, Table
from pytest_arbitrage.reports.verdicts import BETTER, NOT_DISTINGUISHABLE, UNTESTABLE, WORSE, counts

QUESTIONS = (  # (key, its rows, the verdict field, label)
    ("comparison", lambda rows: (rows or {}).get("rows"), "finding", "gate: this run − saved run"),
    ("scoreboard", lambda rows: rows, "verdict", "scoreboard: local − reference api"),
    ("deltas", lambda rows: rows, "verdict", "deltas: optimized − baseline"),
    ("inversions", lambda rows: rows["rows"], "verdict", "inversions: local − api"),
)
SECTION_OF = {"scoreboard": "arbitrage"}


def headline_rows(get: Callable[[str], object]) -> dict:
    """{question: counts} for every question the run has, and the untestable pairs in all."""
    lines = {}
    for key, rows_of, field, label in QUESTIONS:
        rows = rows_of(get(SECTION_OF.get(key, key)))
        if rows is not None:
            lines[key] = _line(rows, field, label)
    if "scoreboard" in lines:
        lines["scoreboard"] |= _tasks(get("arbitrage"))
    if "comparison" in lines:
        lines["comparison"]["gate"] = {v: sum(r["verdict"] == v for r in get("comparison")["rows"])
                                       for v in GATE_VERDICTS}
    lines["untestable_pairs"] = sum(lines[k][UNTESTABLE] for k in ("comparison", "deltas", "inversions")
                                    if k in lines)
    return lines


def _line(rows: list[dict], field: str, label: str) -> dict:
    found = counts(rows, field)
    families = sorted({r["family"] for r in rows if r.get("family")})
    return {"label": label, "rows": len(rows), "tested": len(rows) - found[UNTESTABLE],
            "family": "; ".join(families) or None} | found


def _tasks(rows: list[dict]) -> dict:
    """Tasks on the scoreboard, and those where some local candidate beats the reference."""
    task = lambda r: (r["task"], str(sorted(r["axes"].items())))  # noqa: E731
    return {"tasks": len({task(r) for r in rows}),
            "tasks_won": len({task(r) for r in rows if r["verdict"] == BETTER})}


def headline_sentence(headline: dict) -> str:
    """One line: significant deltas of tested, inversions claimed, scoreboard wins, untestable pairs."""
    parts = []
    if "comparison" in headline:
        gate = headline["comparison"]["gate"]
        parts.append(f"gate: {gate['regression']} regressions, {gate['inconclusive']} inconclusive, "
                     f"{gate['untestable']} untestable of {headline['comparison']['rows']} cells")
    if "deltas" in headline:
        d = headline["deltas"]
        parts.append(f"{d[BETTER] + d[WORSE]} of {d['tested']} deltas tested significant "
                     f"({d[BETTER]} better, {d[WORSE]} worse)")
    if "inversions" in headline:
        i = headline["inversions"]
        parts.append(f"{i[BETTER]} inversions claimed of {i['tested']} local-vs-api pairs tested")
    if "scoreboard" in headline:
        s = headline["scoreboard"]
        parts.append(f"scoreboard: local significantly beats the reference api on {s['tasks_won']} "
                     f"of {s['tasks']} tasks")
    parts.append(f"{headline['untestable_pairs']} pairs untestable (each row says why)")
    return "; ".join(parts) + "."


def headline_table(summary: dict) -> Table:
    headline = summary["headline"]
    headers = ["question", "rows", "tested", BETTER, WORSE, NOT_DISTINGUISHABLE, UNTESTABLE, "family"]
    rows = [[line["label"], str(line["rows"]), str(line["tested"]), str(line[BETTER]), str(line[WORSE]),
             str(line[NOT_DISTINGUISHABLE]), str(line[UNTESTABLE]), line["family"] or MISSING]
            for key, *_ in QUESTIONS if (line := headline.get(key))]
    return Table("headline", "Headline", headers, rows, note=headline_sentence(headline))
