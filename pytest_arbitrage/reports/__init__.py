"""Aggregation and reports of a run: plain Python, no pytest, no files.

    summary = build_summary(records, cells, meta=meta, options=StatsOptions())
    print(render_terminal(summary))
    regressions = find_regressions(summary)  # needs options.baseline_records

Reading and writing run folders is `pytest_arbitrage.run_folder` (`finish_run`).
"""
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.regressions import find_regressions
from pytest_arbitrage.reports.summary import build_summary
from pytest_arbitrage.reports.terminal import render_comparison, render_terminal

__all__ = ["StatsOptions", "build_summary", "find_regressions", "render_comparison", "render_terminal"]
