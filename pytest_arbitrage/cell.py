"""A cell's identity, defined once: task, model spec, optimizer and axes (plus its tier).

Everything that names a cell uses `CellKey`: the grid and the pytest ids, records and
cell infos (as flat fields), the program cache and the reports. `CellKey.id` is the one
id format: `<task>-<model>-<optimizer>`, with `[axis:value,...]` when the cell has axes
(a colon, not `=`, so `pytest -k "demos:2"` can select on it: `-k` takes no `=`).

Two cells are the same cell when task, model, optimizer and axes agree; the tier is
carried with the key (it follows from the model spec) but does not tell cells apart, so a
run converted from another tool still pairs with ours.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

Axes = tuple[tuple[str, object], ...]


def axes_tuple(axes: Mapping | Axes | None) -> Axes:
    """Axes as a sorted tuple of (name, value) pairs, whatever form they came in."""
    items = axes.items() if isinstance(axes, Mapping) else (axes or ())
    return tuple(sorted((str(k), v) for k, v in items))


@dataclass(frozen=True)
class CellKey:
    task: str
    model: str
    optimizer: str
    axes: Axes = ()
    tier: str = field(default="unknown", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", axes_tuple(self.axes))

    @classmethod
    def of(cls, item: Mapping) -> "CellKey":
        """The key of a record or cell-info line (dicts as read from the run folder)."""
        return cls(item["task"], item["model"], item["optimizer"], axes_tuple(item.get("axes")),
                   item.get("tier") or "unknown")

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}:{v}" for k, v in self.axes)
        return f"{self.task}-{self.model}-{self.optimizer}" + (f"[{extra}]" if extra else "")

    @property
    def axes_dict(self) -> dict:
        return dict(self.axes)

    def reference(self, baseline: str = "none") -> "CellKey":
        """The baseline cell this cell's optimization is measured against: same task, model and
        module/depth, optimizer `baseline`, without the axes only compiling has (demos, train, seed)."""
        from pytest_arbitrage.axes import COMPILE_AXES

        kept = tuple((k, v) for k, v in self.axes if k not in COMPILE_AXES)
        return CellKey(self.task, self.model, baseline, kept, tier=self.tier)

    def fields(self) -> dict:
        """The flat fields records and cell infos carry."""
        return {"task": self.task, "model": self.model, "tier": self.tier, "optimizer": self.optimizer,
                "axes": self.axes_dict}

    def sort_key(self) -> tuple:
        return (self.task, self.model, self.optimizer, json.dumps(self.axes_dict, sort_keys=True, default=str))

    def __lt__(self, other: "CellKey") -> bool:
        return self.sort_key() < other.sort_key()
