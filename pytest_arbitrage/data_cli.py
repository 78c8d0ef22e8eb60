"""`python -m pytest_arbitrage data fetch [TASK...]` and `... data show TASK`.

`fetch` downloads and caches each task's Hugging Face data (datasets draws its own progress
bars), so a later `--arb-data=hub` run works offline with HF_DATASETS_OFFLINE=1. `show`
prints a task's split sizes, its origin and a few converted examples.
Exit codes: 0 done, 1 the asked-for data could not be loaded, 2 usage error.
"""
from __future__ import annotations

import argparse
import sys

from pytest_arbitrage.tasks import DataSource, DataUnavailable, Splits, all_tasks
from pytest_arbitrage.tasks._common import _preview, hub_tasks

EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE = 0, 1, 2
PREVIEW_CHARS = 200


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `data` command and its `fetch` and `show` actions, on the main parser's subparsers."""
    data = sub.add_parser("data", help="prefetch hub data, or show a task's converted examples")
    actions = data.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser("fetch", help="download and cache the hub data (default: every task that has some)")
    fetch.add_argument("tasks", nargs="*", metavar="TASK")
    show = actions.add_parser("show", help="print the split sizes, the origin and a few converted examples")
    show.add_argument("task")
    show.add_argument("--data", choices=("offline", "hub"), default="offline", help="where the examples come from")
    show.add_argument("--split", choices=("train", "dev", "test"), default="test")
    show.add_argument("-n", type=_count, default=3, help="examples to print (default 3)")


def run(args: argparse.Namespace) -> int:
    names = args.tasks if args.action == "fetch" else [args.task]
    unknown = [name for name in names if name not in all_tasks()]
    if unknown:
        print(f"error: unknown task {', '.join(unknown)}; valid tasks: {', '.join(all_tasks())}", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "fetch":
        return fetch(names or hub_tasks())
    return show(args.task, args.data, args.split, args.n)


def fetch(names: list[str]) -> int:
    """Load each task from the hub exactly as a run does, so the run finds it in the cache."""
    failed = [name for name in names if not _fetch_one(name)]
    if failed:
        print(f"could not fetch: {', '.join(failed)}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    import datasets

    print(f"cached under {datasets.config.HF_DATASETS_CACHE}; later runs work with HF_DATASETS_OFFLINE=1")
    return EXIT_OK


def _fetch_one(name: str) -> bool:
    try:
        splits = all_tasks()[name].load(DataSource(kind="hub"))
    except DataUnavailable as exc:
        print(f"{name}: {exc.reason}", file=sys.stderr)
        return False
    print(f"{name}: {_sizes(splits)}; {splits.origin}", flush=True)
    return True


def show(name: str, kind: str, split: str, n: int) -> int:
    task = all_tasks()[name]
    try:
        splits = task.load(DataSource(kind=kind))
    except DataUnavailable as exc:
        print(f"error: {exc.reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(f"{name}: {_sizes(splits)}\norigin: {splits.origin}")
    for example in getattr(splits, split)[:n]:
        inputs = example.inputs().keys()
        print(f"\n{split} {example.example_id}")
        for key, value in example.items():
            if key != "example_id":
                print(f"  {key}{' (input)' if key in inputs else ''}: {_preview(value, PREVIEW_CHARS)}")
    return EXIT_OK


def _sizes(splits: Splits) -> str:
    return f"train {len(splits.train)}, dev {len(splits.dev)}, test {len(splits.test)}"
