"""Aggregation and reports of a run: plain Python, no pytest.

    summary = build_summary(records, cells, meta=meta, options=StatsOptions())
    write_run_reports(run_dir, summary)      # summary.json, report.md, report.html
    print(render_terminal(summary))
    regressions = find_regressions(summary)  # needs options.baseline_records
"""
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.regressions import find_regressions
from pytest_arbitrage.reports.runs import (
    RunNotFound, load_meta, load_run, resolve_run, write_run_reports,
)
from pytest_arbitrage.reports.summary import build_summary
from pytest_arbitrage.reports.terminal import render_comparison, render_terminal

__all__ = [
    "RunNotFound", "StatsOptions", "build_summary", "find_regressions", "load_meta",
    "load_run", "render_comparison", "render_terminal", "resolve_run", "write_run_reports",
]
