"""Group records into cells and describe each cell (n, mean, interval, cost...).

A cell is (task, model, optimizer, axes). Records are de-duplicated by example_id
(the last one wins). A cell with no records still appears, with n=0 and mean None.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

from pytest_arbitrage.pricing import is_local, price_of
from pytest_arbitrage.stats.intervals import mean_interval

Key = tuple[str, str, str, str]  # task, model, optimizer, axes as sorted JSON


def axes_json(axes: dict | None) -> str:
    return json.dumps(axes or {}, sort_keys=True)


def key_of(item: dict) -> Key:
    return (item["task"], item["model"], item["optimizer"], axes_json(item.get("axes")))


def cell_id(key: Key) -> str:
    """`<task>-<model>-<optimizer>`, with `[axis=value,...]` when the cell has axes."""
    task, model, optimizer, axes = key
    extra = ",".join(f"{k}={v}" for k, v in json.loads(axes).items())
    return f"{task}-{model}-{optimizer}" + (f"[{extra}]" if extra else "")


def stable_seed(base: int, *parts: str) -> int:
    """A seed derived from text, the same in every process (unlike hash())."""
    return (base * 1_000_003 + zlib.crc32("|".join(parts).encode())) % (2**32)


@dataclass
class Cell:
    key: Key
    tier: str = "unknown"
    records: dict[str, dict] = field(default_factory=dict)  # example_id -> record
    info: dict | None = None
    duplicates: int = 0

    @property
    def task(self) -> str:
        return self.key[0]

    @property
    def model(self) -> str:
        return self.key[1]

    @property
    def optimizer(self) -> str:
        return self.key[2]

    @property
    def axes(self) -> dict:
        return json.loads(self.key[3])

    def rows(self) -> list[dict]:
        """Records in example_id order, so results do not depend on arrival order."""
        return [self.records[i] for i in sorted(self.records)]

    @property
    def scores(self) -> dict[str, float]:
        return {str(r["example_id"]): float(r["score"]) for r in self.rows()
                if r.get("score") is not None}

    @property
    def binary(self) -> bool:
        rows = self.rows()
        return bool(rows) and all(
            r.get("correct") is not None and r.get("score") in (0, 1) for r in rows
        )

    @property
    def mean(self) -> float | None:
        values = list(self.scores.values())
        return sum(values) / len(values) if values else None


def group_cells(records: list[dict], cells: list[dict]) -> dict[Key, Cell]:
    """Cells keyed and sorted by (task, model, optimizer, axes)."""
    grouped: dict[Key, Cell] = {}
    for record in records:
        cell = grouped.setdefault(key_of(record), Cell(key_of(record)))
        cell.tier = record.get("tier") or cell.tier
        example = str(record["example_id"])
        cell.duplicates += example in cell.records
        cell.records[example] = record
    for info in cells:
        cell = grouped.setdefault(key_of(info), Cell(key_of(info)))
        cell.info = info
        cell.tier = info.get("tier") or cell.tier
    return dict(sorted(grouped.items()))


def cell_entry(cell: Cell, *, prices: dict, confidence: float, seed: int, n_bootstrap: int) -> dict:
    """The summary.json entry of one cell (fractions, not percentages)."""
    scores = list(cell.scores.values())
    (low, high), method = mean_interval(
        scores, binary=cell.binary, confidence=confidence,
        seed=stable_seed(seed, cell_id(cell.key)), n_resamples=n_bootstrap,
    )
    info = cell.info or {}
    return {
        "id": cell_id(cell.key), "task": cell.task, "model": cell.model, "tier": cell.tier,
        "optimizer": cell.optimizer, "axes": cell.axes,
        "status": info.get("status"), "reason": info.get("reason"), "noop": info.get("noop"),
        "n": len(scores), "binary": cell.binary, "mean": cell.mean,
        "ci_low": low if scores else None, "ci_high": high if scores else None,
        "ci_method": method if scores else None,
        "duplicates_dropped": cell.duplicates,
        "compile_seconds": info.get("compile_seconds"), "eval_seconds": info.get("eval_seconds"),
        "data_origin": info.get("data_origin"), "program_file": info.get("program_file"),
    } | _usage(cell, prices)


def _usage(cell: Cell, prices: dict) -> dict:
    rows = cell.rows()
    n = len(rows)
    tokens_in = sum(int(r.get("input_tokens") or 0) for r in rows)
    tokens_out = sum(int(r.get("output_tokens") or 0) for r in rows)
    cost = _cost(cell, rows, tokens_in, tokens_out, prices)
    latencies = [float(r["latency_ms"]) for r in rows if r.get("latency_ms") is not None]
    return {
        "parse_error_rate": _rate(rows, "parse_error"), "error_rate": _rate(rows, "error"),
        "errors": sum(bool(r.get("error")) for r in rows),
        "mean_latency_ms": sum(latencies) / len(latencies) if latencies else None,
        "input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost,
        "cost_per_1k": cost / n * 1000 if cost is not None and n else None,
    }


def _rate(rows: list[dict], field_name: str) -> float | None:
    return sum(bool(r.get(field_name)) for r in rows) / len(rows) if rows else None


def _cost(cell: Cell, rows, tokens_in: int, tokens_out: int, prices: dict) -> float | None:
    """Cost from tokens and the price table; recorded cost_usd when the price is unknown."""
    if cell.tier == "local" or is_local(cell.model):
        return 0.0
    price = price_of(cell.model, prices)
    if price is not None:
        return (tokens_in * price["input"] + tokens_out * price["output"]) / 1_000_000
    recorded = sum(float(r.get("cost_usd") or 0) for r in rows)
    return recorded if recorded > 0 else None
