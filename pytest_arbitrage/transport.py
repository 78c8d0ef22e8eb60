"""How a cell's results travel from the process that ran it to the one writing the run folder.

Serially they are the same process. Under xdist a worker ships each cell's records and
its cell info as two properties of the item's teardown report, which the controller
takes off again before anything else (JUnit XML) sees them. Each record is also spooled
to `<cache-dir>/spool/<run-id>/<worker>.jsonl` as it is scored, so the controller recovers
the records of a cell whose worker died before its teardown report.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from pytest_arbitrage.run_folder import append_lines, read_jsonl, spool_dir

RECORDS_PROPERTY = "arbitrage_records"
CELL_PROPERTY = "arbitrage_cell"


def pack(info: dict, records: list[dict] | None = None) -> list[tuple[str, str]]:
    """The teardown report's properties for one cell (records only when shipped from a worker)."""
    properties = [(CELL_PROPERTY, json.dumps(info, sort_keys=True))]
    if records is not None:
        properties.append((RECORDS_PROPERTY, json.dumps(records, sort_keys=True)))
    return properties


def unpack(report, *, on_records: Callable[[list[dict]], None], on_cell: Callable[[dict], None]) -> None:
    """Hand a teardown report's cell properties on, and leave the report with only the others."""
    kept = []
    for name, value in report.user_properties:
        if name == RECORDS_PROPERTY:
            on_records(json.loads(value))
        elif name == CELL_PROPERTY:
            on_cell(json.loads(value))
        else:
            kept.append((name, value))
    report.user_properties[:] = kept


class Spool:
    """One worker's spool file."""

    def __init__(self, cache_dir: Path, run_id: str, worker: str):
        self.path = spool_dir(cache_dir, run_id) / f"{worker}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, record_json: str) -> None:
        append_lines(self.path, [record_json])


def recover_spooled(cache_dir: Path, run_id: str) -> list[dict]:
    """Every record the workers spooled (the run folder drops the ones it already has); the spool goes."""
    spool = spool_dir(cache_dir, run_id)
    records = [record for path in sorted(spool.glob("*.jsonl")) for record in read_jsonl(path)]
    shutil.rmtree(spool, ignore_errors=True)
    return records
