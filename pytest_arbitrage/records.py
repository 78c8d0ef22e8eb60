"""Per-example records: the one format every later step reads.

`results.jsonl` holds one `Record` per (cell, test example). `cells.jsonl` holds
one `CellInfo` per finished cell (things results.jsonl cannot say: skips, no-op
programs, compile time). Both are appended line by line and flushed, so an
interrupted run keeps every line already written.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

RESULTS_FILE = "results.jsonl"
CELLS_FILE = "cells.jsonl"


@dataclass
class Record:
    run_id: str
    task: str
    model: str
    tier: str
    optimizer: str
    seed: int
    example_id: str
    score: float
    correct: bool | None
    parse_error: bool
    error: str | None
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    axes: dict = field(default_factory=dict)
    lm_calls: int = 0
    raw_answer: str | None = None  # the LM's last raw text for this example
    answer: dict | None = None  # the parsed output fields
    program_hash: str | None = None  # the program's definition (see compiled.program_definition)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class CellInfo:
    run_id: str
    task: str
    model: str
    tier: str
    optimizer: str
    status: str  # "passed", "failed", "skipped", "partial" (cut short by an interrupt or a crash)
    reason: str | None = None
    noop: bool | None = None
    compile_seconds: float | None = None
    eval_seconds: float | None = None
    program_file: str | None = None
    program_from_cache: bool | None = None
    data_origin: str | None = None
    axes: dict = field(default_factory=dict)
    adapter: str | None = None
    program_hash: str | None = None  # the program's definition (signatures, instructions, structure)
    program_reuse: str | None = None  # why a saved program was or was not reused
    n_requested: int | None = None
    n_available: int | None = None  # test examples the task has (fewer than requested: says so)
    gate: dict | None = None  # this cell against the compared run, when gated

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def append_lines(path: Path, lines: Iterable[str]) -> None:
    """Append JSON lines and flush them to disk before returning."""
    with open(path, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> Iterator[dict]:
    """Read a JSONL file, ignoring a torn last line left by a crash."""
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
    return list(read_jsonl(Path(run_dir) / RESULTS_FILE))


def read_cells(run_dir: Path) -> list[dict]:
    return list(read_jsonl(Path(run_dir) / CELLS_FILE))
