"""One cell of the harness, set up as the plugin would (for the bench_* scripts, not a test)."""
from __future__ import annotations

from pathlib import Path


def prepared_cell(*, root: Path, **options: str):
    """(runner, cell, data, lm, program) of the first cell of a grid given as option values."""
    from pytest_arbitrage.options import OPTIONS, load_settings
    from pytest_arbitrage.runner import CellRunner
    from pytest_arbitrage.tasks import all_tasks, get_task

    values = {o.name: o.default for o in OPTIONS} | options
    runner = CellRunner(load_settings(values.get, valid_tasks=list(all_tasks()), root=root), run_id="bench")
    cell = runner.grid()[0]
    data = runner.cell_data(cell)
    lm = runner.for_task(runner.lm(cell.model.spec), get_task(cell.task))
    program = runner.compile(cell, data, lm, lm).compiled.program
    return runner, cell, data, lm, program
