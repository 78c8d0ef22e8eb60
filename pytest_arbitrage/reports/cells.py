"""Group records into cells and describe each cell (n, mean, interval, cost...).

A cell is its `CellKey` (task, model, optimizer, axes). Records are de-duplicated by
example_id (the last one wins). A cell with no records still appears, with n=0 and mean None.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.pricing import is_local, price_of
from pytest_arbitrage.stats.intervals import mean_interval


def stable_seed(base: int, *parts: str) -> int:
    """A seed derived from text, the same in every process (unlike hash())."""
    return (base * 1_000_003 + zlib.crc32("|".join(parts).encode())) % (2**32)


@dataclass
class ScoredCell:
    """A cell as the reports see it: its key, its records by example_id, its cell info."""

    key: CellKey
    tier: str = "unknown"
    records: dict[str, dict] = field(default_factory=dict)  # example_id -> record
    info: dict | None = None
    duplicates: int = 0

    @property
    def task(self) -> str:
        return self.key.task

    @property
    def model(self) -> str:
        return self.key.model

    @property
    def optimizer(self) -> str:
        return self.key.optimizer

    @property
    def axes(self) -> dict:
        return self.key.axes_dict

    @property
    def id(self) -> str:
        return self.key.id

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


def group_cells(records: list[dict], cells: list[dict]) -> dict[CellKey, ScoredCell]:
    """Cells keyed and sorted by (task, model, optimizer, axes)."""
    grouped: dict[CellKey, ScoredCell] = {}
    for record in records:
        key = CellKey.of(record)
        cell = grouped.setdefault(key, ScoredCell(key))
        cell.tier = record.get("tier") or cell.tier
        example = str(record["example_id"])
        cell.duplicates += example in cell.records
        cell.records[example] = record
    for info in cells:
        key = CellKey.of(info)
        cell = grouped.setdefault(key, ScoredCell(key))
        cell.info = info
        cell.tier = info.get("tier") or cell.tier
    return dict(sorted(grouped.items()))


def cell_entry(cell: ScoredCell, *, prices: dict, confidence: float, seed: int, n_bootstrap: int) -> dict:
    """The summary.json entry of one cell (fractions, not percentages)."""
    scores = list(cell.scores.values())
    (low, high), method = mean_interval(
        scores, binary=cell.binary, confidence=confidence,
        seed=stable_seed(seed, cell.id), n_resamples=n_bootstrap,
    )
    info = cell.info or {}
    return {
        "id": cell.id, "task": cell.task, "model": cell.model, "tier": cell.tier,
        "optimizer": cell.optimizer, "axes": cell.axes,
        "status": info.get("status"), "reason": info.get("reason"), "noop": info.get("noop"),
        "n": len(scores), "binary": cell.binary, "mean": cell.mean,
        "ci_low": low if scores else None, "ci_high": high if scores else None,
        "ci_method": method if scores else None,
        "duplicates_dropped": cell.duplicates,
        "compile_seconds": info.get("compile_seconds"), "eval_seconds": info.get("eval_seconds"),
        "data_origin": info.get("data_origin"), "program_file": info.get("program_file"),
    } | _usage(cell, prices)


def _usage(cell: ScoredCell, prices: dict) -> dict:
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


def _cost(cell: ScoredCell, rows, tokens_in: int, tokens_out: int, prices: dict) -> float | None:
    """Cost from tokens and the price table; recorded cost_usd when the price is unknown."""
    if cell.tier == "local" or is_local(cell.model):
        return 0.0
    price = price_of(cell.model, prices)
    if price is not None:
        return (tokens_in * price["input"] + tokens_out * price["output"]) / 1_000_000
    recorded = sum(float(r.get("cost_usd") or 0) for r in rows)
    return recorded if recorded > 0 else None
