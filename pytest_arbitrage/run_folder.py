"""The run folder and everything on disk: one module knows the layout.

    <report-dir>/<run-id>/results.jsonl   one Record per (cell, example), appended and flushed
    <report-dir>/<run-id>/cells.jsonl     one CellInfo per cell
    <report-dir>/<run-id>/summary.json, report.md, report.html   built by `finish_run`
    <report-dir>/latest                   a symlink (or a file naming the run) to the newest run
    <cache-dir>/spool/<run-id>/<worker>.jsonl   an xdist worker's records as it scores them

Only the controller process writes a run folder. Lines are appended and flushed one by
one, so an interrupted run keeps every line already written; a torn last line is
skipped when read, and every other line is checked against the record schema
(`record_schema`: a bad line is an error naming file, line and field). Every line is
redacted as it is written: error strings and reasons may quote a key or a URL password.
`finish_run` builds the summary and the reports from the files alone, for the plugin's
session end and the `report` CLI alike.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator

from pytest_arbitrage.record_schema import CELL_FIELDS, RECORD_FIELDS, check_lines, duplicate_key
from pytest_arbitrage.redact import redact_json

RESULTS_FILE = "results.jsonl"
CELLS_FILE = "cells.jsonl"
SUMMARY_FILE = "summary.json"
LATEST = "latest"


def append_lines(path: Path, lines: Iterable[str]) -> None:
    """Append JSON lines and flush them to disk before returning."""
    with open(path, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> Iterator[dict]:
    """Read a JSONL file (a worker's spool), ignoring torn lines left by a crash; run files
    are read through the record schema instead (`read_records`)."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def read_records(run_dir: Path) -> list[dict]:
    """results.jsonl, every line checked against the record schema, defaults filled in.

    Raises `record_schema.SchemaError` (a ValueError) naming file, line and field.
    """
    return check_lines(Path(run_dir) / RESULTS_FILE, RECORD_FIELDS, unique=True)


def read_cells(run_dir: Path) -> list[dict]:
    return check_lines(Path(run_dir) / CELLS_FILE, CELL_FIELDS, unique=False)


class RunNotFound(ValueError):
    """A run argument that does not name a run folder."""


def resolve_run(spec: str | Path, report_dir: Path = Path("reports")) -> Path:
    """A run folder from a path, or from `latest` (a symlink or a file naming the run)."""
    path = Path(report_dir) / LATEST if str(spec) == LATEST else Path(spec)
    if path.is_file() and path.name == LATEST:
        path = path.parent / path.read_text(encoding="utf-8").strip()
    if not (path / RESULTS_FILE).is_file():
        shown = f"{spec!s} ({path})" if str(spec) != str(path) else str(path)
        raise RunNotFound(
            f"{shown} is not a run folder: it must be a folder containing "
            f"{RESULTS_FILE}, or `{LATEST}` under the report directory ({report_dir})"
        )
    return path.resolve()


def load_meta(run_dir: Path) -> dict:
    """The meta of a run's old summary.json, or {} when there is none or it is unreadable."""
    try:
        return json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))["meta"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def load_run(run_dir: Path) -> tuple[list[dict], list[dict], dict]:
    """(records, cell infos, meta) of a saved run, records and cell infos checked (`read_records`)."""
    return read_records(run_dir), read_cells(run_dir), load_meta(run_dir)


def write_run_reports(run_dir: Path, summary: dict) -> dict:
    """Write summary.json, report.md and report.html into run_dir, redacted; return the redacted summary.

    Redacting the summary before rendering covers all three files, whatever escaping
    (JSON, HTML) the renderers apply to a secret.
    """
    from pytest_arbitrage.reports.html import render_html
    from pytest_arbitrage.reports.markdown import render_markdown

    summary = redact_json(summary)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _write(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True, allow_nan=False))
    _write(run_dir / "report.md", render_markdown(summary))
    _write(run_dir / "report.html", render_html(summary))
    return summary


def _write(path: Path, text: str) -> None:
    """Write through a temporary file so a crash never leaves half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class RunFolder:
    def __init__(self, report_dir: Path, run_id: str):
        self.report_dir = Path(report_dir)
        self.run_id = run_id
        self.path = self.report_dir / run_id
        self._created = False
        self._seen: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()  # DSPy's Evaluate scores examples in several threads

    @property
    def created(self) -> bool:
        return self._created

    def add_records(self, records: list[dict]) -> list[dict]:
        """Append records not written before (a record is (task, model, optimizer, example_id)).

        Returns them as written, redacted, so the record hook hands no secret on either.
        """
        with self._lock:
            fresh = [r for r in records if duplicate_key(r) not in self._seen]
            if fresh:
                self._ensure()
                fresh = redact_json(fresh)
                append_lines(self.path / RESULTS_FILE, (json.dumps(r, sort_keys=True) for r in fresh))
                self._seen.update(duplicate_key(r) for r in fresh)
        return fresh

    def add_cell(self, cell: dict) -> None:
        self._ensure()
        append_lines(self.path / CELLS_FILE, [json.dumps(redact_json(cell), sort_keys=True)])

    def reopen(self) -> None:
        """Continue an existing run folder (`--arb-resume`): its records count as written."""
        with self._lock:
            self._seen.update(duplicate_key(r) for r in read_records(self.path))
            self._created = True
        _point_latest(self.report_dir, self.run_id)

    def create(self) -> None:
        """Make the folder now (a run with cells, before its first LM call)."""
        with self._lock:
            self._ensure()

    def records(self) -> list[dict]:
        return read_records(self.path) if self._created else []

    def cells(self) -> list[dict]:
        return read_cells(self.path) if self._created else []

    def _ensure(self) -> None:
        if self._created:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self._created = True
        _point_latest(self.report_dir, self.run_id)


def _point_latest(report_dir: Path, run_id: str) -> None:
    """`latest` is a symlink where the file system allows, else a file holding the run id."""
    pointer = report_dir / LATEST
    if pointer.is_dir() and not pointer.is_symlink():  # checked first: no stray temporary is left
        raise RuntimeError(f"{pointer} is a real folder; move it away so 'latest' can point at the newest run")
    tmp = report_dir / f".{LATEST}.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_id, tmp, target_is_directory=True)
    except OSError:
        tmp.write_text(run_id + "\n")
    os.replace(tmp, pointer)


def spool_dir(cache_dir: Path, run_id: str) -> Path:
    return Path(cache_dir) / "spool" / run_id


def finish_run(run_dir: Path, *, meta: dict, options) -> dict:
    """Build the summary of a run from its files, write summary.json and the reports; return it.

    `options` is a `reports.StatsOptions`. The summary is redacted before anything sees it.
    """
    from pytest_arbitrage.reports import build_summary

    records, cells, _ = load_run(run_dir)
    return write_run_reports(run_dir, build_summary(records, cells, meta=meta, options=options))
