"""Group records into cells and describe each cell (n, mean, interval, cost...).

A cell is its `CellKey` (task, model, optimizer, axes). Records are de-duplicated by
(example_id, replicate) (the last one wins, and the count is reported). An example scored
several times (`--arb-repeats`) counts once, with the mean of its replicates: statistics pair
examples, never samples. A cell with no records still appears, with n=0 and mean None.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.pricing import cell_cost, is_local
from pytest_arbitrage.stats.intervals import mean_interval


def stable_seed(base: int, *parts: str) -> int:
    """A seed derived from text, the same in every process (unlike hash())."""
    return (base * 1_000_003 + zlib.crc32("|".join(parts).encode())) % (2**32)


@dataclass
class ScoredCell:
    """A cell as the reports see it: its key, its records by example_id, its cell info."""

    key: CellKey
    tier: str = "unknown"
    records: dict[str, dict] = field(default_factory=dict)  # example_id -> its first replicate's record
    samples: dict[str, dict[int, dict]] = field(default_factory=dict)  # example_id -> replicate -> record
    info: dict | None = None
    duplicates: int = 0

    def add(self, record: dict) -> None:
        example, replicate = str(record["example_id"]), int(record.get("replicate") or 0)
        replicates = self.samples.setdefault(example, {})
        self.duplicates += replicate in replicates
        replicates[replicate] = record
        self.records[example] = replicates[min(replicates)]

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
        """Every record, in (example_id, replicate) order, so results do not depend on arrival order."""
        return [self.samples[i][r] for i in sorted(self.samples) for r in sorted(self.samples[i])]

    @property
    def scores(self) -> dict[str, float]:
        """Per example: its score, or the mean of its replicates' scores."""
        scores = {}
        for example in sorted(self.samples):
            values = [float(r["score"]) for r in self.samples[example].values() if r.get("score") is not None]
            if values:
                scores[example] = sum(values) / len(values)
        return scores

    @property
    def replicates(self) -> int:
        return max((len(v) for v in self.samples.values()), default=0)

    @property
    def binary(self) -> bool:
        """0/1 per example: one replicate each (a mean of several is a fraction)."""
        rows = self.rows()
        return bool(rows) and self.replicates == 1 and all(
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
        cell.add(record)
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
        "n": len(scores), "replicates": cell.replicates, "binary": cell.binary, "mean": cell.mean,
        "ci_low": low if scores else None, "ci_high": high if scores else None,
        "ci_method": method if scores else None,
        "duplicates_dropped": cell.duplicates,
        "compile_seconds": info.get("compile_seconds"), "eval_seconds": info.get("eval_seconds"),
        "data_origin": info.get("data_origin"), "program_file": info.get("program_file"),
        "sequential": info.get("sequential"),
    } | _usage(cell, prices)


def _usage(cell: ScoredCell, prices: dict) -> dict:
    rows = cell.rows()
    n = len(rows)
    tokens_in = sum(int(r.get("input_tokens") or 0) for r in rows)
    tokens_out = sum(int(r.get("output_tokens") or 0) for r in rows)
    cost, sources = cell_cost(rows, model=cell.model, local=cell.tier == "local" or is_local(cell.model),
                             prices=prices)
    latencies = [float(r["latency_ms"]) for r in rows if r.get("latency_ms") is not None]
    return {
        "parse_error_rate": _rate(rows, "parse_error"), "error_rate": _rate(rows, "error"),
        "errors": sum(bool(r.get("error")) for r in rows),
        "mean_latency_ms": sum(latencies) / len(latencies) if latencies else None,
        "lm_calls_per_example": sum(int(r.get("lm_calls") or 0) for r in rows) / n if n else None,
        "input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost, "cost_sources": sources,
        "cost_per_1k": cost / n * 1000 if cost is not None and n else None,
    }


def _rate(rows: list[dict], field_name: str) -> float | None:
    return sum(bool(r.get(field_name)) for r in rows) / len(rows) if rows else None


def cost_text(entries: list[dict]) -> str:
    """The report footer's cost line: the rule, and which prices the cells used."""
    sources = sorted({source for e in entries for source in e.get("cost_sources") or ()})
    return ("Cost per 1,000 examples: a record's own cost_usd wins; else its tokens times the price "
            "of the exact model name (a table entry may say snapshot or prefix); local models are "
            "free; unknown when there is neither, never $0. Sources: "
            + (", ".join(sources) if sources else "none (no scored cells)") + ".")
