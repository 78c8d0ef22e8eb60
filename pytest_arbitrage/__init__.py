"""pytest-arbitrage: benchmark DSPy programs across local and API models, with and without
prompt optimization, with paired significance tests (see README.md).

The public API, for a task or a conftest of your own:

    register, Task, DataSpec, HubSpec, Score, make_loader   define and register a task
    label_score, yes_no_score, numeric_score                 metrics for common answers
    ModelUnavailable                                         raise it from pytest_arbitrage_provision_lm
    scripted_lm                                              a deterministic fake LM for fast tests

Everything is imported on first use, so `import pytest_arbitrage` (as pytest does for the
plugin) costs nothing until a name is used.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "register": "pytest_arbitrage.tasks", "Task": "pytest_arbitrage.tasks", "Score": "pytest_arbitrage.tasks",
    "DataSpec": "pytest_arbitrage.tasks", "HubSpec": "pytest_arbitrage.tasks", "make_loader": "pytest_arbitrage.tasks",
    "label_score": "pytest_arbitrage.metrics", "yes_no_score": "pytest_arbitrage.metrics",
    "numeric_score": "pytest_arbitrage.metrics",
    "ModelUnavailable": "pytest_arbitrage.providers.specs", "scripted_lm": "pytest_arbitrage.testing",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'pytest_arbitrage' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
