"""The task registry. Each module in this package registers one or more tasks."""
from __future__ import annotations

import importlib
import pkgutil

from pytest_arbitrage.tasks.base import DataSource, DataUnavailable, Score, Splits, Task, stable_id

_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    if "-" in task.name:
        raise ValueError(f"task name {task.name!r} may not contain '-' (cell ids use it)")
    _REGISTRY[task.name] = task
    return task


def all_tasks() -> dict[str, Task]:
    """Every registered task, by name, in sorted order."""
    _import_task_modules()
    return dict(sorted(_REGISTRY.items()))


def get_task(name: str) -> Task:
    tasks = all_tasks()
    if name not in tasks:
        raise KeyError(f"unknown task {name!r}; valid tasks: {', '.join(tasks)}")
    return tasks[name]


def _import_task_modules() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def __getattr__(name: str):
    # The data helpers for user-defined tasks, imported lazily (they import the metrics).
    if name in ("DataSpec", "HubSpec", "make_loader", "check_data_file", "DataFileError", "hub_revisions"):
        from pytest_arbitrage.tasks import _common

        return getattr(_common, name)
    raise AttributeError(name)


__all__ = [
    "DataFileError", "DataSource", "DataSpec", "DataUnavailable", "HubSpec", "Score", "Splits", "Task", "all_tasks",
    "check_data_file", "get_task", "hub_revisions", "make_loader", "register", "stable_id",
]
