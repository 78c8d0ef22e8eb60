"""The grid of cells: one (task, model, optimizer, axes) per pytest item, in a fixed order.

Every xdist worker must collect the same items in the same order, so the grid
is built from sorted tuples, never from sets. A grid cell is its `CellKey` plus the
parsed model spec the fixtures provision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from pytest_arbitrage.cell import Axes, CellKey, axes_tuple
from pytest_arbitrage.providers.specs import ModelSpec


@dataclass(frozen=True)
class GridCell:
    task: str
    model: ModelSpec
    optimizer: str
    axes: Axes = ()

    @property
    def key(self) -> CellKey:
        return CellKey(self.task, self.model.spec, self.optimizer, self.axes, tier=self.model.tier)

    @property
    def id(self) -> str:
        return self.key.id


def build_grid(tasks: tuple[str, ...], models: list[ModelSpec], optimizers: tuple[str, ...],
               axes_of: Callable[[str, str], list[Mapping]] = lambda task, optimizer: [{}]) -> list[GridCell]:
    """Cells ordered by task, then model (as given), then optimizer (`none` first), then axis values
    (as given); `axes_of(task, optimizer)` lists the axis combinations of one (task, optimizer)."""
    return [GridCell(task, model, optimizer, axes_tuple(axes))
            for task in tasks for model in models for optimizer in optimizers
            for axes in axes_of(task, optimizer)]
