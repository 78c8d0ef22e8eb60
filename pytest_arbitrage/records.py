"""Per-example records and cell infos: the one format every later step reads.

A `Record` is one line of results.jsonl, per (cell, test example); a `CellInfo` one line
of cells.jsonl, per cell (what records cannot say: skips, no-op programs, compile time).
Where and how they are written is `run_folder.py`'s business.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


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
    cost_usd: float | None  # None: an api model with no known price
    axes: dict = field(default_factory=dict)
    lm_calls: int = 0
    raw_answer: str | None = None  # the LM's last raw text for this example
    answer: dict | None = None  # the parsed output fields
    program_hash: str | None = None  # the program's definition (see compiled.program_definition)
    replicate: int = 0  # which of the --arb-repeats samples of this example
    example_hash: str | None = None  # the example's inputs and gold: equal ids, different hashes never pair

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
    optimizer_settings: dict | None = None  # the budget the program was compiled with
    selected_seed: int | None = None  # with --arb-select=dev: the seed kept
    dev_scores: dict | None = None  # with --arb-select=dev: each seed's dev score
    learning_curve: list | None = None  # [{"step", "score", "kind"}]: the optimizer's dev score per trial/iteration
    repeats: int = 1  # samples per test example (records carry `replicate`)
    sequential: dict | None = None  # --arb-sequential: the pair's test with its baseline (stopped at n?)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
