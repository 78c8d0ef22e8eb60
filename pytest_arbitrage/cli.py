"""`python -m pytest_arbitrage report RUN` and `... compare OLD NEW`.

Exit codes: 0 ok, 1 significant regression (compare), 2 usage error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.reports import (
    RunNotFound, StatsOptions, build_summary, find_regressions, load_run, render_comparison,
    render_terminal, resolve_run, write_run_reports,
)
from pytest_arbitrage.stats.multiple import CORRECTIONS

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"alpha must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"alpha must be between 0 and 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytest_arbitrage")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="rebuild summary.json and the reports of a run")
    report.add_argument("run", help="run folder (with results.jsonl) or `latest`")
    compare = sub.add_parser("compare", help="paired comparison; exit 1 on a regression")
    compare.add_argument("old", help="saved run folder or `latest`")
    compare.add_argument("new", help="newer run folder or `latest`")
    for command in (report, compare):
        command.add_argument("--alpha", type=_alpha, default=0.05)
        command.add_argument("--correction", choices=CORRECTIONS, default="holm")
        command.add_argument("--report-dir", type=Path, default=Path("reports"),
                             help="where `latest` is looked up (default: reports)")
        command.add_argument("--prices", type=Path, default=None,
                             help="JSON or TOML price file extending the built-in table")
    return parser


def run_report(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run, args.report_dir)
    records, cells, meta = load_run(run_dir)
    options = StatsOptions(alpha=args.alpha, correction=args.correction,
                           prices=load_prices(args.prices))
    summary = build_summary(records, cells, meta=meta or {"run_id": run_dir.name}, options=options)
    write_run_reports(run_dir, summary)
    print(render_terminal(summary))
    print(f"wrote {run_dir / 'summary.json'}, report.md and report.html")
    return EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    old_dir = resolve_run(args.old, args.report_dir)
    new_dir = resolve_run(args.new, args.report_dir)
    old_records, _, _ = load_run(old_dir)
    records, cells, meta = load_run(new_dir)
    options = StatsOptions(alpha=args.alpha, correction=args.correction,
                           prices=load_prices(args.prices), baseline_records=old_records,
                           baseline_run=old_dir.name)
    summary = build_summary(records, cells, meta=meta or {"run_id": new_dir.name}, options=options)
    print(render_comparison(summary))
    regressions = find_regressions(summary)
    if regressions:
        print(f"{len(regressions)} significant regression(s) of {new_dir.name} "
              f"against {old_dir.name}")
    else:
        print(f"no significant regression of {new_dir.name} against {old_dir.name}")
    return EXIT_REGRESSION if regressions else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"report": run_report, "compare": run_compare}[args.command](args)
    except (RunNotFound, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
