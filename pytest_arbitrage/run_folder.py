"""The run folder `<report-dir>/<run-id>/` and the `latest` pointer beside it.

Only the controller process writes here. The folder is created lazily, so a
pytest session that runs no cells leaves nothing behind. Every line is redacted
as it is written: error strings and reasons may quote a key or a URL password.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path

from pytest_arbitrage.records import CELLS_FILE, RESULTS_FILE, append_lines, read_cells, read_records
from pytest_arbitrage.redact import redact_json
from pytest_arbitrage.reports.runs import LATEST


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
            fresh = [r for r in records if _record_key(r) not in self._seen]
            if fresh:
                self._ensure()
                fresh = redact_json(fresh)
                append_lines(self.path / RESULTS_FILE, (json.dumps(r, sort_keys=True) for r in fresh))
                self._seen.update(_record_key(r) for r in fresh)
        return fresh

    def add_cell(self, cell: dict) -> None:
        self._ensure()
        append_lines(self.path / CELLS_FILE, [json.dumps(redact_json(cell), sort_keys=True)])

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


def _record_key(record: dict) -> tuple[str, str, str, str]:
    return (record["task"], record["model"], record["optimizer"], record["example_id"])


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
