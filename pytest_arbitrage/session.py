"""Session objects behind the plugin's hooks and fixtures.

`CellRunner` does the per-cell work on whichever process runs the item: provide
data, LMs and compiled programs, evaluate, and describe the finished cell. The
controller (`ControllerSession`, also the serial case) writes the run folder;
an xdist worker (`WorkerSession`) sends its records to the controller on the
teardown report, one JSON string per item.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from functools import cached_property

import dspy
import pytest

from pytest_arbitrage import data as task_data
from pytest_arbitrage import providers
from pytest_arbitrage.compiled import compiled_program
from pytest_arbitrage.evaluation import CellContext, evaluate_cell
from pytest_arbitrage.grid import Cell, build_grid
from pytest_arbitrage.lm_cache import configure_lm_cache
from pytest_arbitrage.options import Settings
from pytest_arbitrage.pricing import cost_usd, load_prices
from pytest_arbitrage.providers import ModelUnavailable, adapter_for, parse_model_spec
from pytest_arbitrage.records import CellInfo, Record, append_lines, read_jsonl
from pytest_arbitrage.reports import render_terminal
from pytest_arbitrage.reports.runs import RunNotFound, resolve_run
from pytest_arbitrage.run_folder import RunFolder, new_run_id
from pytest_arbitrage.summary_writer import write_summary
from pytest_arbitrage.tasks import get_task
from pytest_arbitrage.usage import meter

CELL_INFO = pytest.StashKey[dict]()
CELL_RECORDS = pytest.StashKey[list]()
RECORDS_PROPERTY = "arbitrage_records"
CELL_PROPERTY = "arbitrage_cell"


class CellRunner:
    def __init__(self, config: pytest.Config, settings: Settings, *, run_id: str):
        self.config = config
        self.settings = settings
        self.run_id = run_id
        self._lms: dict[str, object] = {}
        configure_lm_cache(settings.cache_dir / "lm")

    # -- the grid ---------------------------------------------------------------------------

    def grid(self) -> list[Cell]:
        models = [parse_model_spec(spec, tier_overrides=self.settings.tier_overrides) for spec in self.settings.models]
        return build_grid(self.settings.tasks, models, self.settings.optimizers)

    # -- fixtures ---------------------------------------------------------------------------

    def cell_data(self, cell: Cell) -> task_data.CellData:
        s = self.settings
        source = task_data.data_source(cell.task, kind=s.data, files=s.data_files)
        return task_data.cell_data(get_task(cell.task), source, n=s.n, train=s.train, dev=s.dev, seed=s.seed)

    def lm_or_skip(self, spec: str):
        """A provisioned LM, loaded once per process; skips the cell when unavailable."""
        if spec not in self._lms:
            model = parse_model_spec(spec, tier_overrides=self.settings.tier_overrides)
            try:
                self._lms[spec] = providers.provision_lm(  # looked up late: tests swap in fakes
                    model, max_tokens=self.settings.max_tokens or 256, temperature=0.0)
            except ModelUnavailable as exc:
                self._lms[spec] = exc
        lm = self._lms[spec]
        if isinstance(lm, Exception):
            pytest.skip(f"{spec}: {lm}")
        return lm

    def for_task(self, lm, task):
        """The LM with the task's generation budget (`--arb-max-tokens` overrides every task's)."""
        return lm.copy(max_tokens=self.settings.max_tokens or task.max_tokens)

    def program(self, node, cell: Cell, task, cell_data, lm, teacher_lm):
        started = time.perf_counter()
        compiled = compiled_program(cell, task, cell_data, lm=lm, teacher_lm=teacher_lm, settings=self.settings)
        _info(node).update(noop=compiled.noop, program_file=str(compiled.path) if compiled.path else None,
                           program_from_cache=compiled.from_cache if compiled.path else None,
                           compile_seconds=round(time.perf_counter() - started, 3),
                           data_origin=cell_data.origin)
        return compiled.program

    def evaluate(self, node, cell: Cell, task, cell_data, lm, program):
        context = CellContext(run_id=self.run_id, task=task, model=cell.model.spec, tier=cell.model.tier,
                              optimizer=cell.optimizer, seed=self.settings.seed,
                              price=lambda i, o: cost_usd(cell.model.spec, i, o, self.prices))
        meter(lm)
        started = time.perf_counter()
        with dspy.context(lm=lm, adapter=adapter_for(cell.model)):
            outcome = evaluate_cell(program, cell_data.test, context=context,
                                    emit=lambda record: self.emit(node, record), threads=self.settings.threads)
        _info(node)["eval_seconds"] = round(time.perf_counter() - started, 3)
        _add_junit_properties(node, outcome)
        return outcome

    @cached_property
    def prices(self) -> dict:
        return load_prices(self.settings.prices)

    def emit(self, node, record: Record) -> None:
        raise NotImplementedError

    # -- hooks ------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        cell = getattr(item, "callspec", None) and item.callspec.params.get("arb_cell")
        if isinstance(cell, Cell):
            _note_outcome(item, report)
            if report.when == "teardown":
                report.user_properties.extend(self._finished_cell(item, cell))
        return report

    def _finished_cell(self, item, cell: Cell) -> list[tuple[str, str]]:
        info = CellInfo(run_id=self.run_id, task=cell.task, model=cell.model.spec, tier=cell.model.tier,
                        optimizer=cell.optimizer, axes=dict(get_task(cell.task).axes),
                        **{"status": "passed", **_info(item)})
        return [(CELL_PROPERTY, json.dumps(asdict(info), sort_keys=True))]


class WorkerSession(CellRunner):
    """On an xdist worker: buffer each item's records and ship them with its teardown report.

    Each record is also appended to a spool file as it is scored, from which the
    controller recovers the records of a cell that was interrupted mid-way.
    """

    def __init__(self, config: pytest.Config, settings: Settings, *, run_id: str):
        super().__init__(config, settings, run_id=run_id)
        self.spool = spool_dir(settings, run_id) / f"{config.workerinput['workerid']}.jsonl"
        self.spool.parent.mkdir(parents=True, exist_ok=True)

    def emit(self, node, record: Record) -> None:
        node.stash.setdefault(CELL_RECORDS, []).append(asdict(record))
        append_lines(self.spool, [record.to_json()])

    def _finished_cell(self, item, cell: Cell) -> list[tuple[str, str]]:
        records = item.stash.get(CELL_RECORDS, [])
        return [*super()._finished_cell(item, cell), (RECORDS_PROPERTY, json.dumps(records, sort_keys=True))]


class ControllerSession(CellRunner):
    """The serial process or the xdist controller: the only writer of the run folder."""

    def __init__(self, config: pytest.Config, settings: Settings):
        super().__init__(config, settings, run_id=new_run_id())
        self.folder = RunFolder(settings.report_dir, self.run_id)
        self.compare_dir = None
        if settings.compare:
            try:
                self.compare_dir = resolve_run(settings.compare, settings.report_dir)
            except RunNotFound as exc:
                raise pytest.UsageError(f"--arb-compare: {exc}") from None
        self.started = time.time()
        self.summary: dict | None = None
        self.regressions: list[dict] = []

    def emit(self, node, record: Record) -> None:
        self._write_records([asdict(record)])

    def _write_records(self, records: list[dict]) -> None:
        for record in self.folder.add_records(records):
            self.config.hook.pytest_arbitrage_record(record=record, config=self.config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report) -> None:
        """Take the cell's records and info off the teardown report (before junitxml sees it)."""
        if report.when != "teardown":
            return
        kept = []
        for name, value in report.user_properties:
            if name == RECORDS_PROPERTY:
                self._write_records(json.loads(value))
            elif name == CELL_PROPERTY:
                self.folder.add_cell(json.loads(value))
            else:
                kept.append((name, value))
        report.user_properties[:] = kept

    def pytest_sessionfinish(self, session) -> None:
        self._recover_spooled_records()
        if not self.folder.created:
            return
        self.summary, self.regressions = write_summary(self)
        self.config.hook.pytest_arbitrage_summary(summary=self.summary, run_dir=self.folder.path, config=self.config)
        if self.regressions and self.settings.fail_on == "regression":
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _recover_spooled_records(self) -> None:
        """Records workers scored but never reported (an interrupted cell); written once each."""
        spool = spool_dir(self.settings, self.run_id)
        for path in sorted(spool.glob("*.jsonl")):
            self._write_records(list(read_jsonl(path)))
        shutil.rmtree(spool, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.summary is None:
            return
        terminalreporter.write_sep("=", "pytest-arbitrage")
        terminalreporter.write_line(render_terminal(self.summary))
        terminalreporter.write_line(f"run folder: {self.folder.path}")
        for regression in self.regressions:
            terminalreporter.write_line(f"REGRESSION: {regression['message']}", red=True, bold=True)


def spool_dir(settings: Settings, run_id: str):
    return settings.cache_dir / "spool" / run_id


def _info(node) -> dict:
    return node.stash.setdefault(CELL_INFO, {})


def _note_outcome(item, report) -> None:
    """The first failure or skip of any phase decides the cell's status and reason."""
    info = _info(item)
    if "status" in info or not (report.failed or report.skipped):
        return
    if report.skipped:
        info.update(status="skipped", reason=str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else None)
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        info.update(status="failed", reason=(crash.message if crash else str(report.longrepr))[:1000])


def _add_junit_properties(node, outcome) -> None:
    node.user_properties.extend([
        ("arbitrage_n", outcome.n),
        ("arbitrage_mean_score", outcome.mean_score),
        ("arbitrage_error_rate", outcome.error_rate),
        ("arbitrage_parse_error_rate", outcome.parse_error_rate),
    ])
