"""The report sections, each declared once: the rows it adds to summary.json and its tables.

A new section is one module with its rows and table functions, plus one entry here; the
summary, report.md, report.html and the terminal all read this list, in this order: the
headline (counts of every verdict), the gate (so a regression is the first row a reader
sees), the scoreboard and the deltas, the rest, and the per-cell table last.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from pytest_arbitrage.reports import charts, tables
from pytest_arbitrage.reports.arbitrage import arbitrage_rows
from pytest_arbitrage.reports.axis_demos import decomposition_table, demo_charts, demo_curve_table, demo_rows
from pytest_arbitrage.reports.axis_depth import depth_charts, depth_rows, depth_table
from pytest_arbitrage.reports.axis_modules import module_rows, module_table
from pytest_arbitrage.reports.axis_train import tipping_table, train_rows, train_table
from pytest_arbitrage.reports.deltas import by_axis, delta_rows, lift_by_model
from pytest_arbitrage.reports.headline import headline_rows, headline_table
from pytest_arbitrage.reports.inversions import inversion_rows
from pytest_arbitrage.reports.learning_curves import learning_charts, learning_rows, learning_table
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.pairwise import pair_rows, pair_table
from pytest_arbitrage.reports.regressions import comparison_rows
from pytest_arbitrage.reports.variance import gap_table, models_vs_tasks, spread_table, variance_table


@dataclass(frozen=True)
class Inputs:
    grouped: dict  # every cell, by key
    comparable: dict  # the cells comparisons may use (no partial cells unless asked for)
    entries: list[dict]  # the cells' summary entries
    options: StatsOptions
    meta: dict = field(default_factory=dict)  # the run's meta (its settings give the axes' order)


Rows = Callable[[Inputs, Callable[[str], object]], object]  # (inputs, another section's rows by key)


@dataclass(frozen=True)
class Section:
    key: str  # its key in summary.json
    rows: Rows
    tables: Callable[[dict], list[tables.Table]]  # summary -> its tables in report.md / report.html
    terminal: Callable[[dict], list[tables.Table]] | None  # what the terminal shows (None: nothing)
    chart: Callable[[dict], str] | None = None  # report.html only: a chart shown above the tables


def _one(*table_fns):
    return lambda summary: [t for fn in table_fns if (t := fn(summary)) is not None]


SECTIONS = (
    Section("headline", lambda i, get: headline_rows(get), _one(headline_table), _one(headline_table)),
    Section("comparison", lambda i, get: comparison_rows(i.grouped, i.options), _one(tables.comparison_table),
            _one(tables.comparison_table)),
    Section("arbitrage", lambda i, get: arbitrage_rows(i.comparable, {e["id"]: e for e in i.entries},
                                                       get("inversions"), i.options),
            _one(tables.arbitrage_table), _one(tables.arbitrage_table)),
    Section("deltas", lambda i, get: delta_rows(i.comparable, i.options), _one(tables.delta_table),
            _one(tables.delta_table), chart=charts.heatmaps),
    Section("lift_by_model", lambda i, get: lift_by_model(get("deltas")), _one(tables.lift_table),
            _one(tables.lift_table), chart=charts.lift_charts),
    Section("inversions", lambda i, get: inversion_rows(i.comparable, i.options), tables.inversion_tables,
            lambda summary: tables.inversion_tables(summary)[:1]),  # the claimed ones
    Section("by_axis", lambda i, get: by_axis(get("deltas")), tables.axis_tables, None),
    Section("modules", lambda i, get: module_rows(i), _one(module_table), _one(module_table)),
    Section("demos", lambda i, get: demo_rows(i, get("deltas")), _one(decomposition_table, demo_curve_table),
            _one(decomposition_table, demo_curve_table), chart=demo_charts),
    Section("train", lambda i, get: train_rows(i), _one(tipping_table, train_table), _one(tipping_table)),
    Section("optimizer_pairs", lambda i, get: pair_rows(i), _one(pair_table), _one(pair_table)),
    Section("depth", lambda i, get: depth_rows(i), _one(depth_table), _one(depth_table), chart=depth_charts),
    Section("models_vs_tasks", lambda i, get: models_vs_tasks(get("deltas")),
            _one(variance_table, spread_table, gap_table), _one(variance_table, gap_table)),
    Section("learning_curves", lambda i, get: learning_rows(i), _one(learning_table), _one(learning_table),
            chart=learning_charts),
    Section("cells", lambda i, get: i.entries, _one(tables.cell_table), _one(tables.cell_table)),
)


def section_rows(inputs: Inputs) -> dict:
    """Every section's rows, each computed once (a section may read another's)."""
    done: dict[str, object] = {}
    by_key = {s.key: s for s in SECTIONS}

    def get(key: str):
        if key not in done:
            done[key] = by_key[key].rows(inputs, get)
        return done[key]

    return {section.key: get(section.key) for section in SECTIONS}


def report_tables(summary: dict) -> list[tables.Table]:
    return [t for section in SECTIONS for t in section.tables(summary)]


def terminal_tables(summary: dict) -> list[tables.Table]:
    return [t for section in SECTIONS if section.terminal for t in section.terminal(summary)]
