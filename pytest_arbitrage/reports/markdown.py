"""report.md: every table of the summary, then how the numbers were computed."""
from __future__ import annotations

from tabulate import tabulate

from pytest_arbitrage.reports.tables import Table, all_tables


def render_table(table: Table, fmt: str) -> str:
    if not table.rows:
        body = "(none)"
    else:
        body = tabulate(table.rows, headers=table.headers, tablefmt=fmt, disable_numparse=True)
    lines = [body] + ([table.note] if table.note else []) + [f"- {x}" for x in table.extra]
    return "\n\n".join(lines) if fmt == "github" else "\n".join(lines)


def render_markdown(summary: dict) -> str:
    meta = summary.get("meta") or {}
    title = f"# pytest-arbitrage report {meta.get('run_id', '')}".rstrip()
    parts = [title, _meta_lines(meta)]
    for table in all_tables(summary):
        parts.append(f"## {table.title}\n\n{render_table(table, 'github')}")
    methods = "\n".join(f"- {text}" for text in summary["methods"].values())
    parts.append(f"## Methods\n\n{methods}")
    return "\n\n".join(p for p in parts if p) + "\n"


def _meta_lines(meta: dict) -> str:
    """One line per meta key; nested dicts as `k=v, ...`, empty values left out."""
    lines = []
    for key, value in sorted(meta.items()):
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()) if v is not None)
        if value not in (None, "", []):
            lines.append(f"- **{key}**: {value}")
    return "\n".join(lines)
