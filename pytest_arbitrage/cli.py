"""`python -m pytest_arbitrage report RUN` and `... compare OLD NEW`.

Exit codes of `compare` (SPEC 13): 0 no regression (and, with --min-effect, adequately
powered), 1 significant regression, 2 usage error, 3 inconclusive or untestable.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from pytest_arbitrage import data_cli, merge
from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.reports import StatsOptions, build_summary, render_comparison, render_terminal
from pytest_arbitrage.run_folder import RunNotFound, finish_run, load_run, resolve_run
from pytest_arbitrage.record_schema import check_baseline
from pytest_arbitrage.reports.deltas import BASELINE
from pytest_arbitrage.reports.gate import GateRule
from pytest_arbitrage.stats.levels import CORRECTIONS, MCNEMAR_METHODS, parse_alpha, parse_correction

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def _fraction(text: str) -> float:
    """A number strictly between 0 and 1 (alpha, --min-effect)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value


def _argument(parse):
    """An argparse type from a statistics-layer check, so both front ends refuse the same values."""
    def checked(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    checked.__name__ = parse.__name__.removeprefix("parse_")
    return checked


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytest_arbitrage")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="rebuild summary.json and the reports of a run")
    report.add_argument("run", help="run folder (with results.jsonl) or `latest`")
    compare = sub.add_parser("compare", help="paired comparison; exit 1 on a regression")
    compare.add_argument("old", help="saved run folder or `latest`")
    compare.add_argument("new", help="newer run folder or `latest`")
    compare.add_argument("--min-effect", type=_fraction, default=None,
                         help="the smallest drop that must be detectable (a fraction, e.g. 0.05); "
                              "a cell whose MDE is larger is inconclusive (exit 3)")
    for command in (report, compare):
        command.add_argument("--alpha", type=_argument(parse_alpha), default=0.05)
        command.add_argument("--correction", type=_argument(parse_correction), default="holm",
                             help=f"one of {', '.join(CORRECTIONS)}")
        command.add_argument("--report-dir", type=Path, default=Path("reports"),
                             help="where `latest` is looked up (default: reports)")
        command.add_argument("--prices", type=Path, default=None,
                             help="JSON or TOML price file extending the built-in table")
        command.add_argument("--baseline", default=None, metavar="OPTIMIZER",
                             help="the optimizer every other one is compared with (default: none)")
        command.add_argument("--mcnemar", choices=MCNEMAR_METHODS, default="exact",
                             help="McNemar's test for 0/1 scores: exact (default) or midp")
        command.add_argument("--reference", default=None, metavar="MODEL",
                             help="the api model the scoreboard measures local cells against")
    data_cli.add_parser(sub)
    merge.add_parser(sub)
    return parser


def run_report(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run, args.report_dir)
    records, _, meta = load_run(run_dir)  # checked here, so a bad line is exit 2 before anything is written
    summary = finish_run(run_dir, meta=meta or {"run_id": run_dir.name}, options=_options(args, records))
    print(render_terminal(summary))
    print(f"wrote {run_dir / 'summary.json'}, report.md and report.html")
    return EXIT_OK


def _options(args: argparse.Namespace, records: list[dict], **extra) -> StatsOptions:
    """The statistics options both commands share; the baseline must be an optimizer of the run."""
    baseline = args.baseline or BASELINE
    if args.baseline is not None:
        check_baseline(records, baseline)
    elif records and all(r["optimizer"] != BASELINE for r in records):
        optimizers = ", ".join(sorted({r["optimizer"] for r in records}))
        print(f"warning: no record has optimizer {BASELINE!r}, so deltas have no reference cell; "
              f"name the baseline with --baseline (optimizers present: {optimizers})", file=sys.stderr)
    return StatsOptions(alpha=args.alpha, correction=args.correction, prices=load_prices(args.prices),
                        baseline=baseline, mcnemar=args.mcnemar, reference=args.reference, **extra)


def run_compare(args: argparse.Namespace) -> int:
    old_dir = resolve_run(args.old, args.report_dir)
    new_dir = resolve_run(args.new, args.report_dir)
    old_records, _, _ = load_run(old_dir)
    records, cells, meta = load_run(new_dir)
    rule = GateRule(alpha=args.alpha, correction=args.correction, min_effect=args.min_effect,
                    fail_on=("regression", "inconclusive"), family_size=0)
    options = _options(args, records, baseline_records=old_records, baseline_run=old_dir.name, gate=rule)
    summary = build_summary(records, cells, meta=meta or {"run_id": new_dir.name}, options=options)
    print(render_comparison(summary))
    verdicts = Counter(row["verdict"] for row in (summary["comparison"] or {}).get("rows", []))
    print(f"{new_dir.name} against {old_dir.name}: " + (", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
                                                       or "no cells"))
    if verdicts["regression"]:
        return EXIT_REGRESSION
    return EXIT_INCONCLUSIVE if verdicts["inconclusive"] or verdicts["untestable"] or not verdicts else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        commands = {"report": run_report, "compare": run_compare, "data": data_cli.run, "merge": merge.run}
        return commands[args.command](args)
    except (RunNotFound, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
