"""The grid of cells: one (task, model, optimizer) per pytest item, in a fixed order.

Every xdist worker must collect the same items in the same order, so the grid
is built from sorted tuples, never from sets.
"""
from __future__ import annotations

from dataclasses import dataclass

from pytest_arbitrage.providers import ModelSpec


@dataclass(frozen=True)
class Cell:
    task: str
    model: ModelSpec
    optimizer: str

    @property
    def id(self) -> str:
        return f"{self.task}-{self.model.spec}-{self.optimizer}"


def build_grid(tasks: tuple[str, ...], models: list[ModelSpec], optimizers: tuple[str, ...]) -> list[Cell]:
    """Cells ordered by task, then model (as given), then optimizer (`none` first)."""
    return [Cell(task, model, optimizer) for task in tasks for model in models for optimizer in optimizers]
