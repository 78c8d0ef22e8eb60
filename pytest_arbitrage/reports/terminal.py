"""Terminal tables for the end of a pytest session or the CLI."""
from __future__ import annotations

from pytest_arbitrage.reports.markdown import render_table
from pytest_arbitrage.reports.tables import Table, comparison_table


def _section(table: Table) -> str:
    return f"{table.title}\n{render_table(table, 'simple')}"


def render_terminal(summary: dict) -> str:
    """The sections' terminal tables (the gate, cells, deltas, lift, claimed inversions, scoreboard)."""
    from pytest_arbitrage.reports.sections import terminal_tables

    tables = terminal_tables(summary)
    return "\n\n".join(_section(t) for t in tables if t.rows or t.key == "cells") + "\n"


def render_comparison(summary: dict) -> str:
    """Only the saved-run comparison (for `python -m pytest_arbitrage compare`)."""
    table = comparison_table(summary)
    return _section(table) + "\n" if table else "no saved run to compare with\n"
