"""Load a task's splits once per process and take the seeded samples a cell uses.

Every cell of a task sees the same train, dev and test examples (same seed), so
cells can be paired example by example.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import dspy

from pytest_arbitrage.tasks import DataSource, DataUnavailable, Task, get_task


@dataclass(frozen=True)
class CellData:
    train: list[dspy.Example]
    dev: list[dspy.Example]
    test: list[dspy.Example]
    origin: str


def data_source(task_name: str, *, kind: str, files: dict[str, Path]) -> DataSource:
    if task_name in files:
        return DataSource(kind="file", path=files[task_name])
    return DataSource(kind=kind)


def cell_data(task: Task, source: DataSource, *, n: int, train: int, dev: int, seed: int) -> CellData:
    splits = _load(task.name, source)
    return CellData(
        train=_sample(splits.train, train, seed),
        dev=_sample(splits.dev, dev, seed),
        test=_sample(splits.test, n, seed),
        origin=splits.origin,
    )


def _load(task_name: str, source: DataSource):
    """The task's splits, loaded once per process; data that cannot be had is asked for once too."""
    loaded = _load_once(task_name, source)
    if isinstance(loaded, DataUnavailable):
        raise loaded
    return loaded


@lru_cache(maxsize=None)
def _load_once(task_name: str, source: DataSource):
    try:
        return get_task(task_name).load(source)
    except DataUnavailable as exc:  # remembered: every cell of the task would ask the hub again
        return exc


def _sample(examples: list[dspy.Example], k: int, seed: int) -> list[dspy.Example]:
    """The first k of a seeded shuffle: growing k keeps the earlier examples."""
    order = list(examples)
    random.Random(seed).shuffle(order)
    return order[:k]
