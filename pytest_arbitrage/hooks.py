"""Hook specifications of pytest-arbitrage, registered through `pytest_addhooks`."""
from __future__ import annotations

import pytest


def pytest_arbitrage_record(record: dict, config) -> None:
    """Called on the controller for every scored example, as it is written to results.jsonl."""


def pytest_arbitrage_summary(summary: dict, run_dir, config) -> None:
    """Called on the controller once the run's summary and reports are written."""


@pytest.hookspec(firstresult=True)
def pytest_arbitrage_provision_lm(spec, max_tokens: int, config):
    """Supply the `dspy.LM` for a model spec (a parsed `ModelSpec`), or None for the built-in
    providers. Raise `pytest_arbitrage.ModelUnavailable(reason)` to skip the spec's cells.
    Called once per spec and process, on whichever process runs the cells."""
