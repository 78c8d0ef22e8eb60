"""`python -m pytest_arbitrage merge DIR... --into DIR`: shards of one sweep into one run folder.

Shards must come from the same sweep: their run meta (summary.json) must agree on every
option but the run-local ones (`RUN_LOCAL_OPTIONS`: where files go, threads, timeouts, the
shard itself), on the data revisions, the git commit and the versions of the packages that
score; each cell must agree across shards on its data origin, program definition and adapter.
Anything else is a usage error (exit 2) naming the folders and the field.

Records are keyed by (cell, example_id, replicate); a key seen twice with the same score is a
duplicate (dropped, counted), with different scores a conflict (usage error naming the key).
Cell lines (cells.jsonl, one per shard that ran the cell) become one line per cell: see
`merge_cell`. The merged folder is written once and its reports built by `finish_run`, as
`report` does; `latest` is left alone (the target is named explicitly).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.record_schema import duplicate_key
from pytest_arbitrage.redact import redact_json
from pytest_arbitrage.reports import StatsOptions, render_terminal
from pytest_arbitrage.run_folder import CELLS_FILE, RESULTS_FILE, append_lines, finish_run, load_run, resolve_run

EXIT_OK, EXIT_USAGE = 0, 2

# Options that may differ between shards of one sweep: where a machine puts files, how it
# runs, and the shard itself. Every other option (a new one included) must agree.
RUN_LOCAL_OPTIONS = frozenset({"report_dir", "cache_dir", "threads", "timeout", "compare", "shard", "resume",
                               "concurrency", "prices"})
SCORING_PACKAGES = ("pytest-arbitrage", "dspy", "llama-cpp-python", "litellm")
CELL_IDENTITY = ("data_origin", "program_hash", "adapter")  # must agree where two shards ran a cell
STATUS_RANK = ("failed", "partial", "passed", "skipped")  # the merged status: the first one any shard has


class MergeError(ValueError):
    """Shards that cannot be merged; the message names the folders and the field."""


@dataclass
class Shard:
    path: Path
    records: list[dict]
    cells: list[dict]
    meta: dict

    @property
    def name(self) -> str:
        return str(self.path)


@dataclass
class Merged:
    records: list[dict]
    cells: list[dict]
    meta: dict
    duplicates: int


def load_shards(specs: list[str | Path], report_dir: Path = Path("reports")) -> list[Shard]:
    shards = [Shard(path, *load_run(path)) for path in (resolve_run(s, report_dir) for s in specs)]
    seen: dict[Path, str] = {}
    for spec, shard in zip(specs, shards):
        if shard.path in seen:
            raise MergeError(f"{spec} and {seen[shard.path]} are the same folder ({shard.path}); name each shard once")
        seen[shard.path] = str(spec)
    return sorted(shards, key=lambda s: str(s.path))  # so the result does not depend on the order named


def check_same_sweep(shards: list[Shard]) -> None:
    """Refuse shards whose meta says they are not parts of one sweep."""
    with_meta = [s for s in shards if s.meta.get("options") is not None]
    if with_meta and len(with_meta) < len(shards):
        lacking = next(s for s in shards if s.meta.get("options") is None)
        raise MergeError(f"{lacking.name} has no run meta with options (summary.json) while {with_meta[0].name} "
                         "has: its options cannot be checked; finish it with --arb-resume first")
    for other in with_meta[1:]:
        differences = sweep_differences(with_meta[0].meta, other.meta)
        if differences:
            name, expected, found = differences[0]
            raise MergeError(f"{with_meta[0].name} and {other.name} differ in {name}: {expected!r} vs {found!r}; "
                             "shards of one sweep must agree on it")


def sweep_differences(first: dict, other: dict) -> list[tuple[str, object, object]]:
    """(field, first value, other value) for each field two shards' meta must share but do not.

    A shard records the hub revisions of the tasks it loaded only, so a task missing from one
    shard is no difference; the same task at two revisions is."""
    expected, found = sweep_fingerprint(first), sweep_fingerprint(other)
    return [(name, expected.get(name), found.get(name)) for name in sorted(expected.keys() | found.keys())
            if expected.get(name) != found.get(name)
            and not (name.startswith("hub_revisions.") and (name not in expected or name not in found))]


def missing_shards(shards: list[Shard]) -> list[str]:
    """The `i/N` shards of the sweep that none of the folders is (empty when unknown)."""
    given = {str((s.meta.get("options") or {}).get("shard")) for s in shards}
    totals = {text.split("/")[1] for text in given if text.count("/") == 1}
    if len(totals) != 1 or not next(iter(totals)).isdigit():
        return []
    total = int(next(iter(totals)))
    return [f"{i}/{total}" for i in range(1, total + 1) if f"{i}/{total}" not in given]


def sweep_fingerprint(meta: dict) -> dict:
    """The meta fields every shard of a sweep shares, by dotted name."""
    options = meta.get("options") or {}
    versions = meta.get("versions") or {}
    return ({f"options.{k}": v for k, v in options.items() if k not in RUN_LOCAL_OPTIONS}
            | {f"versions.{k}": versions.get(k) for k in SCORING_PACKAGES}
            | {f"hub_revisions.{task}": rev for task, rev in (meta.get("hub_revisions") or {}).items()}
            | {"git_commit": meta.get("git_commit")})


def merge_records(shards: list[Shard]) -> tuple[list[dict], int]:
    """Records of all shards, one per (cell, example_id, replicate), in key order; and how many
    duplicates were dropped. (Each shard's own file has none: reading it refuses them.)"""
    kept: dict[tuple, tuple[dict, str]] = {}
    duplicates = 0
    for shard in shards:
        for record in shard.records:
            key = duplicate_key(record)
            if key not in kept:
                kept[key] = (record, shard.name)
                continue
            first, where = kept[key]
            if first.get("score") != record.get("score"):
                raise MergeError(f"conflict on {_key_text(record)}: score {first.get('score')!r} in {where} but "
                                 f"{record.get('score')!r} in {shard.name}; remove one of them")
            duplicates += 1
    return sorted((record for record, _ in kept.values()), key=_order), duplicates


def _order(record: dict) -> tuple:
    return CellKey.of(record).sort_key(), str(record["example_id"]), int(record.get("replicate") or 0)


def _key_text(record: dict) -> str:
    return f"{CellKey.of(record).id} example {record['example_id']!r} replicate {record.get('replicate') or 0}"


def merge_cells(shards: list[Shard], *, run_id: str) -> list[dict]:
    """One cell line per cell, in cell order."""
    lines: dict[CellKey, list[tuple[dict, str]]] = {}
    for shard in shards:
        for info in shard.cells:
            lines.setdefault(CellKey.of(info), []).append((info, shard.name))
    return [merge_cell(key, lines[key], run_id=run_id) for key in sorted(lines)]


def merge_cell(key: CellKey, lines: list[tuple[dict, str]], *, run_id: str) -> dict:
    """One cell's lines from several shards as one line.

    Status: the worst any shard had (failed > partial > passed > skipped: a shard with none of
    the cell's examples may skip it). Reasons: the distinct ones, joined. Seconds: summed, the
    machine time spent on the cell over all shards (a parallel run's wall time is less).
    n_requested / n_available: the largest (they are per-cell counts, the same in every
    shard). noop: true if any shard found the program a no-op. The gate verdict is dropped:
    it judged one shard's part; `compare OLD MERGED` judges the whole. Any other field: the
    first value that is not null, in the shards' path order.
    """
    infos = [info for info, _ in lines]
    _check_cell_identity(key, lines)
    merged = {name: _first(infos, name) for name in sorted({n for info in infos for n in info})}
    statuses = [info.get("status") for info in infos]
    merged |= {
        "run_id": run_id,
        "status": next((s for s in STATUS_RANK if s in statuses), statuses[0]),
        "reason": "; ".join(dict.fromkeys(i["reason"] for i in infos if i.get("reason"))) or None,
        "compile_seconds": _sum(infos, "compile_seconds"), "eval_seconds": _sum(infos, "eval_seconds"),
        "n_requested": _max(infos, "n_requested"), "n_available": _max(infos, "n_available"),
        "noop": True if any(i.get("noop") for i in infos) else _first(infos, "noop"),
        "program_from_cache": _all(infos, "program_from_cache"),
        "gate": None,
    }
    return merged


def _check_cell_identity(key: CellKey, lines: list[tuple[dict, str]]) -> None:
    for name in CELL_IDENTITY:
        known = [(info[name], where) for info, where in lines if info.get(name) is not None]
        for value, where in known[1:]:
            if value != known[0][0]:
                raise MergeError(f"cell {key.id}: {known[0][1]} and {where} differ in {name}: "
                                 f"{known[0][0]!r} vs {value!r}; shards of one sweep must agree on it")


def _first(infos: list[dict], name: str):
    return next((i[name] for i in infos if i.get(name) is not None), None)


def _sum(infos: list[dict], name: str) -> float | None:
    values = [i[name] for i in infos if i.get(name) is not None]
    return sum(values) if values else None


def _max(infos: list[dict], name: str):
    values = [i[name] for i in infos if i.get(name) is not None]
    return max(values) if values else None


def _all(infos: list[dict], name: str) -> bool | None:
    values = [i[name] for i in infos if i.get(name) is not None]
    return all(values) if values else None


def merged_meta(shards: list[Shard], *, run_id: str) -> dict:
    """The first shard's meta, renamed, spanning all shards' times, listing where it came from."""
    metas = [s.meta for s in shards]
    meta = dict(metas[0]) | {"run_id": run_id}
    meta["started"] = min((m["started"] for m in metas if m.get("started")), default=None)
    meta["finished"] = max((m["finished"] for m in metas if m.get("finished")), default=None)
    if "options" in meta:
        meta["options"] = dict(meta["options"]) | {"shard": None}
    meta["merged_from"] = [{"folder": s.name, "run_id": s.meta.get("run_id", s.path.name),
                            "shard": (s.meta.get("options") or {}).get("shard"),
                            "started": s.meta.get("started"), "finished": s.meta.get("finished"),
                            "records": len(s.records)} for s in shards]
    return meta


def merge_shards(shards: list[Shard], *, run_id: str) -> Merged:
    check_same_sweep(shards)
    records, duplicates = merge_records(shards)
    return Merged(records, merge_cells(shards, run_id=run_id), merged_meta(shards, run_id=run_id), duplicates)


def write_merged(into: Path, merged: Merged, *, prices: Path | None = None) -> dict:
    """Write the merged folder and build its reports once; return the summary."""
    _check_target(into)
    into.mkdir(parents=True, exist_ok=True)
    append_lines(into / RESULTS_FILE, (json.dumps(r, sort_keys=True) for r in redact_json(merged.records)))
    append_lines(into / CELLS_FILE, (json.dumps(c, sort_keys=True) for c in redact_json(merged.cells)))
    return finish_run(into, meta=merged.meta, options=stats_options(merged.meta, prices))


def _check_target(into: Path) -> None:
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise MergeError(f"--into {into} exists and is not an empty folder; name a new folder")


def stats_options(meta: dict, prices: Path | None) -> StatsOptions:
    """The sweep's own statistics options (the shards agree on them)."""
    options = meta.get("options") or {}
    return StatsOptions(alpha=options.get("alpha", 0.05), correction=options.get("correction", "holm"),
                        include_partial=bool(options.get("include_partial")), prices=load_prices(prices),
                        baseline=options.get("baseline") or "none", reference=options.get("reference"),
                        mcnemar=options.get("mcnemar") or "exact")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `merge` command, on the main parser's subparsers."""
    merge = sub.add_parser("merge", help="merge shard folders of one sweep into one run folder and build its reports")
    merge.add_argument("runs", nargs="+", metavar="DIR", help="shard run folders (or `latest`)")
    merge.add_argument("--into", type=Path, required=True, help="the new run folder (must not exist or be empty)")
    merge.add_argument("--report-dir", type=Path, default=Path("reports"),
                       help="where `latest` is looked up (default: reports)")
    merge.add_argument("--prices", type=Path, default=None,
                       help="JSON or TOML price file extending the built-in table")


def run(args: argparse.Namespace) -> int:
    into = args.into.resolve()
    shards = load_shards(args.runs, args.report_dir)
    if any(s.path == into for s in shards):
        raise MergeError(f"--into {args.into} is one of the shards; name a new folder")
    _check_target(into)
    merged = merge_shards(shards, run_id=into.name)
    summary = write_merged(into, merged, prices=args.prices)
    print(render_terminal(summary))
    print(f"merged {len(shards)} folders into {into}: {len(merged.records)} records, "
          f"{merged.duplicates} duplicates dropped, {len(merged.cells)} cells")
    missing = missing_shards(shards)
    if missing:
        print(f"warning: no folder for shard {', '.join(missing)}: the merged run lacks their work", file=sys.stderr)
    return EXIT_OK
