"""Each value of a study axis against a reference value (SPEC 11), paired by example and
corrected within the axis's own family; the one piece of logic behind the module, demo,
train-size and depth reports (and, cell by cell, the pairwise optimizer table).

A row is `comparisons.compare(reference cell, cell)` with the verdict of its family, plus
who was compared (`axis`, `value`, `ref_value`) and both cells' own numbers (`new_cell`,
`ref_cell`: mean and interval over all their examples, LM calls and cost per example) and
the cost and calls ratios (cell / reference), so a 3-call module is weighed on cost too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports.comparisons import compare, correct_family

if TYPE_CHECKING:  # sections imports the axis reports
    from pytest_arbitrage.reports.sections import Inputs

VERDICT_FIELDS = ("delta", "ci_low", "ci_high", "n_paired", "p", "p_adj", "verdict", "why", "significant",
                  "family", "ref_id", "new_id")


@dataclass(frozen=True)
class Reference:
    axis: str  # the axis whose values are compared ("optimizer" for optimizer pairs)
    family: str  # the correction family's name
    of: Callable[[CellKey], CellKey | None]  # the cell a cell is measured against; None: not compared


def with_axis(key: CellKey, axis: str, value) -> CellKey:
    """The same cell with one axis set to `value`."""
    return CellKey(key.task, key.model, key.optimizer, key.axes_dict | {axis: value}, tier=key.tier)


def to_value(axis: str, value) -> Callable[[CellKey], CellKey | None]:
    """Reference: the same cell at `value` of `axis` (the cell at `value` itself is not compared)."""
    return lambda key: None if key.axes_dict.get(axis) == value else with_axis(key, axis, value)


def to_baseline(baseline: str, when: Callable[[CellKey], bool] = lambda key: True):
    """Reference: the cell's baseline (`CellKey.reference`), for optimized cells where `when` holds."""
    return lambda key: key.reference(baseline) if key.optimizer != baseline and when(key) else None


def axis_value(key: CellKey, axis: str):
    return key.optimizer if axis == "optimizer" else key.axes_dict.get(axis)


def axis_values(cells, axis: str) -> list:
    """The distinct values the cells take on `axis`, sorted (numbers as numbers)."""
    return sorted({key.axes_dict[axis] for key in cells if axis in key.axes_dict}, key=_sort_value)


def has_axis(inputs: Inputs, axis: str) -> bool:
    """The run varies `axis`: its cells take at least two values of it."""
    return len(axis_values(inputs.comparable, axis)) >= 2


def listed_order(meta: dict, *path: str) -> list:
    """A list the run's settings hold (`meta.options...`, e.g. ("axes", "module")), or []."""
    value = (meta or {}).get("options") or {}
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return list(value) if isinstance(value, (list, tuple)) else []


def in_order(values, listed: list) -> list:
    """`values` in the order the run listed them; any not listed after, sorted."""
    values = list(values)
    first = [v for v in listed if v in values]
    return first + sorted((v for v in values if v not in first), key=_sort_value)


def _sort_value(value) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def vs_reference(inputs: Inputs, reference: Reference) -> list[dict]:
    """Every cell that has the axis against its reference cell: one corrected family."""
    rows, entries = [], entries_by_id(inputs)
    for key in inputs.comparable:
        ref_key = reference.of(key) if reference.axis in key.axes_dict else None
        if ref_key is not None:
            rows.append(paired_row(inputs, entries, ref_key, key, axis=reference.axis))
    return correct_family(rows, inputs.options, reference.family)


def entries_by_id(inputs: Inputs) -> dict[str, dict]:
    return {e["id"]: e for e in inputs.entries}


def paired_row(inputs: Inputs, entries: dict[str, dict], ref_key: CellKey, key: CellKey, *, axis: str) -> dict:
    """One comparison, cell - reference (not yet corrected), with both cells' own numbers."""
    row = compare(inputs.comparable.get(ref_key), inputs.comparable[key], inputs.options)
    if row["ref_id"] is None:
        row["note"] = f"no {ref_key.id} cell"
    new_cell, ref_cell = cell_numbers(entries.get(key.id)), cell_numbers(entries.get(ref_key.id))
    return group_of(key, axis) | {
        "axes": key.axes_dict, "axis": axis, "value": axis_value(key, axis),
        "ref_value": axis_value(ref_key, axis), "ref_optimizer": ref_key.optimizer,
        "new_cell": new_cell, "ref_cell": ref_cell,
        "cost_ratio": ratio(new_cell["cost_per_example"], ref_cell["cost_per_example"]),
        "calls_ratio": ratio(new_cell["calls_per_example"], ref_cell["calls_per_example"]),
    } | row


def group_of(key: CellKey, axis: str) -> dict:
    """What a row shares with the rest of its curve: the cell without the compared axis."""
    others = {k: v for k, v in key.axes_dict.items() if k != axis}
    optimizer = {} if axis == "optimizer" else {"optimizer": key.optimizer}
    return {"task": key.task, "model": key.model, "tier": key.tier} | optimizer | {"others": others}


def cell_numbers(entry: dict | None) -> dict:
    """A cell's own numbers from its summary entry (all its examples, not only the paired ones)."""
    entry = entry or {}
    cost = entry.get("cost_per_1k")
    return {"id": entry.get("id"), "n": entry.get("n"), "mean": entry.get("mean"),
            "ci_low": entry.get("ci_low"), "ci_high": entry.get("ci_high"),
            "calls_per_example": entry.get("lm_calls_per_example"),
            "cost_per_example": None if cost is None else cost / 1000}


def ratio(new: float | None, ref: float | None) -> float | None:
    return None if new is None or not ref else new / ref


def verdict_fields(row: dict | None) -> dict | None:
    """The part of a comparison row another table quotes (the row keeps its one verdict)."""
    return None if row is None else {k: row.get(k) for k in VERDICT_FIELDS}


def group_label(row: dict) -> tuple:
    """A hashable group: task, model, optimizer (where kept) and the other axes."""
    return (row["task"], row["model"], row.get("optimizer"), tuple(sorted(row["others"].items())))


def grouped(rows: list[dict]) -> dict[tuple, list[dict]]:
    """Rows by `group_label`, each group in the axis's value order."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(group_label(row), []).append(row)
    ordered = sorted(groups.items(), key=lambda item: str(item[0]))
    return {g: sorted(rs, key=lambda r: _sort_value(r["value"])) for g, rs in ordered}
