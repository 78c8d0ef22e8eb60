"""Hook specifications of pytest-arbitrage, registered through `pytest_addhooks`."""
from __future__ import annotations


def pytest_arbitrage_record(record: dict, config) -> None:
    """Called on the controller for every scored example, as it is written to results.jsonl."""


def pytest_arbitrage_summary(summary: dict, run_dir, config) -> None:
    """Called on the controller once the run's summary and reports are written."""
