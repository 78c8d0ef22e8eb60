"""The pytest side of a run: fixtures' glue, hooks, and the run's end.

`runner.CellRunner` does the per-cell work in plain Python; `CellSession` turns its
values into what pytest users see: skips with reasons, failed items (in words), JUnit
properties, the cell-info line. The controller (`ControllerSession`, also the serial
case) writes the run folder; an xdist worker (`WorkerSession`) sends its records to the
controller on the teardown report (`transport.py`).
"""
from __future__ import annotations

import signal
import threading
import time
import warnings
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from pytest_arbitrage import transport
from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.grid import GridCell
from pytest_arbitrage.options import Settings
from pytest_arbitrage.providers import ModelUnavailable
from pytest_arbitrage.records import CellInfo, Record
from pytest_arbitrage.redact import redact, redact_report
from pytest_arbitrage.reports import find_regressions, render_terminal
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.run_folder import RunFolder, RunNotFound, finish_run, new_run_id, read_records, resolve_run
from pytest_arbitrage.run_meta import run_meta
from pytest_arbitrage.runner import CellRunner

CELL_INFO = pytest.StashKey[dict]()
CELL_RECORDS = pytest.StashKey[list]()


class CellSession:
    def __init__(self, config: pytest.Config, settings: Settings, *, run_id: str, compare_dir: Path | None,
                 resume_dir: Path | None = None):
        self.config = config
        self.runner = CellRunner(settings, run_id=run_id, compare_dir=compare_dir, supply_lm=self._supplied_lm,
                                 resume_dir=resume_dir)
        self._previous_sigterm = _sigterm_as_interrupt()

    settings = property(lambda self: self.runner.settings)
    run_id = property(lambda self: self.runner.run_id)
    compare_dir = property(lambda self: self.runner.compare_dir)
    gate_rule = property(lambda self: self.runner.gate_rule)
    prices = property(lambda self: self.runner.prices)

    def grid(self) -> list[GridCell]:
        return self.runner.grid()

    def _supplied_lm(self, *, spec, max_tokens):
        """A conftest's LM for the spec (the `pytest_arbitrage_provision_lm` hook), or None."""
        return self.config.hook.pytest_arbitrage_provision_lm(spec=spec, max_tokens=max_tokens, config=self.config)

    def pytest_unconfigure(self, config) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    def pytest_collection_finish(self, session) -> None:
        self.runner.gated_cells = sum(isinstance(_cell_of(item), GridCell) for item in session.items)

    # -- the fixtures' glue: values from the runner -> skips, failures, cell info -------------

    def cell_data(self, cell: GridCell):
        return self.runner.cell_data(cell)

    def lm_or_skip(self, spec: str):
        """The spec's LM; the cell is skipped with the reason when it cannot be had."""
        try:
            return self.runner.lm(spec)
        except ModelUnavailable as exc:
            self.unavailable("model", f"{spec}: {exc}")

    def unavailable(self, what: str, reason: str) -> None:
        """Skip the cell with the reason; under the gate fail it (a gate that compared nothing must not pass)."""
        reason = redact(reason)
        if self.settings.fail_on:
            pytest.fail(f"gate: this cell cannot be compared, its {what} is unavailable: {reason}", pytrace=False)
        pytest.skip(reason)

    def for_task(self, lm, task):
        return self.runner.for_task(lm, task)

    def program(self, node, cell: GridCell, task, cell_data, lm, teacher_lm):
        done = self.runner.compile(cell, cell_data, lm, teacher_lm)
        compiled = done.compiled
        _info(node).update(noop=compiled.noop, program_file=str(compiled.path) if compiled.path else None,
                           program_from_cache=compiled.from_cache if compiled.path else None,
                           program_hash=compiled.program_hash, program_reuse=compiled.reuse,
                           compile_seconds=done.seconds, data_origin=cell_data.origin,
                           optimizer_settings=compiled.settings, learning_curve=compiled.learning_curve,
                           selected_seed=compiled.seed if compiled.dev_scores else None,
                           dev_scores={str(k): v for k, v in compiled.dev_scores.items()} if compiled.dev_scores else None)
        return compiled.program

    def evaluate(self, node, cell: GridCell, task, cell_data, lm, program):
        """Score the cell; fails its item (in words) on too many LM errors or at the gate."""
        self._note_sizes(node, cell, cell_data)
        scored = self.runner.evaluate(cell, cell_data, lm, program, emit=lambda record: self.emit(node, record),
                                      program_hash=_info(node).get("program_hash"))
        _info(node).update(adapter=scored.adapter, eval_seconds=scored.seconds, sequential=scored.sequential)
        if scored.sequential and scored.sequential.get("reason"):
            _info(node)["reason"] = scored.sequential["reason"]
        _add_junit_properties(node, scored.outcome)
        if scored.failure:
            pytest.fail(scored.failure, pytrace=False)
        verdict = self.runner.judge(cell, scored.outcome)
        if verdict is not None:
            _info(node)["gate"] = {k: verdict[k] for k in ("verdict", "p_adj", "method")}
            if verdict["fails"]:
                pytest.fail(f"gate: {verdict['message']}", pytrace=False)
        return scored.outcome

    def _note_sizes(self, node, cell: GridCell, cell_data) -> None:
        n = len(cell_data.test)
        _info(node).update(n_requested=self.settings.n, n_available=n, repeats=self.settings.repeats)
        if n < self.settings.n:
            warnings.warn(f"{cell.id}: --arb-n={self.settings.n} but task {cell.task!r} has only {n} test "
                          f"examples; the cell scores {n}", UserWarning, stacklevel=2)

    def emit(self, node, record: Record) -> None:
        raise NotImplementedError

    # -- hooks ------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):

        report = yield
        cell = _cell_of(item)
        if isinstance(cell, GridCell):
            _note_outcome(item, report)  # first: it reads the crash message a redacted failure loses
            redact_report(report)  # here, on the process that ran the cell: xdist sends it on redacted
            if report.when == "teardown":
                report.user_properties.extend(self._finished_cell(item, cell))
        return report

    def _finished_cell(self, item, cell: GridCell) -> list[tuple[str, str]]:
        return transport.pack(self._cell_info(item, cell))

    def _cell_info(self, item, cell: GridCell) -> dict:
        return asdict(CellInfo(run_id=self.run_id, **cell.key.fields(), **{"status": "passed", **_info(item)}))


class WorkerSession(CellSession):
    """On an xdist worker: buffer each item's records and ship them with its teardown report.

    Each record is also appended to a spool file as it is scored, from which the
    controller recovers the records of a cell that was interrupted mid-way.
    """

    def __init__(self, config: pytest.Config, settings: Settings, *, run_id: str, compare_dir: Path | None,
                 resume_dir: Path | None = None):
        super().__init__(config, settings, run_id=run_id, compare_dir=compare_dir, resume_dir=resume_dir)
        self.spool = transport.Spool(settings.cache_dir, run_id, config.workerinput["workerid"])

    def emit(self, node, record: Record) -> None:
        node.stash.setdefault(CELL_RECORDS, []).append(asdict(record))
        self.spool.add(record.to_json())

    def _finished_cell(self, item, cell: GridCell) -> list[tuple[str, str]]:
        return transport.pack(self._cell_info(item, cell), item.stash.get(CELL_RECORDS, []))


class ControllerSession(CellSession):
    """The serial process or the xdist controller: the only writer of the run folder."""

    def __init__(self, config: pytest.Config, settings: Settings):
        # Resolved before this run's folder exists, or `latest` would name this run itself.
        resumed = _resumed_dir(settings)
        super().__init__(config, settings, run_id=resumed.name if resumed else new_run_id(),
                         compare_dir=_compare_dir(settings), resume_dir=resumed)
        self.folder = RunFolder(resumed.parent if resumed else settings.report_dir, self.run_id)
        if resumed:
            self.folder.reopen()
        self.started = time.time()
        self.summary: dict | None = None
        self.regressions: list[dict] = []
        self.interrupted = False
        self.crashed: set[str] = set()  # node ids of cells whose xdist worker died

    def pytest_collection_finish(self, session) -> None:
        super().pytest_collection_finish(session)
        if self.runner.gated_cells and not self.config.option.collectonly:
            self.folder.create()  # before any LM call: an early interrupt still leaves a run folder

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        """Under xdist only workers collect: count the cells from the first worker's ids."""
        if self.runner.gated_cells:
            return
        cell_ids = {f"[{cell.id}]" for cell in self.grid()}
        self.runner.gated_cells = sum(any(i.endswith(c) for c in cell_ids) for i in ids)
        if self.runner.gated_cells:
            self.folder.create()

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.interrupted = True

    def emit(self, node, record: Record) -> None:
        self._write_records([asdict(record)])

    def _write_records(self, records: list[dict]) -> None:
        for record in self.folder.add_records(records):
            self.config.hook.pytest_arbitrage_record(record=record, config=self.config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report) -> None:
        """Take the cell's records and info off the teardown report (before junitxml sees it)."""
        if report.failed and report.when not in ("setup", "call", "teardown"):
            self.crashed.add(report.nodeid)  # xdist reports a dead worker's item this way
        if report.when != "teardown":
            return
        transport.unpack(report, on_records=self._write_records, on_cell=self.folder.add_cell)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session):
        _finishing.set()  # from here on SIGTERM waits for the summary (see _sigterm_as_interrupt)
        self._write_summary(session)
        return (yield)

    def _write_summary(self, session) -> None:
        self._recover_spooled_records()
        if not self.folder.created:
            return
        self._mark_partial_cells()
        meta = run_meta(run_id=self.run_id, started=self.started, options=self.settings.as_dict(),
                        compare_dir=self.compare_dir, root=self.config.rootpath,
                        workers=getattr(self.config.option, "numprocesses", None))
        self.summary = finish_run(self.folder.path, meta=meta, options=self._summary_options())
        self.regressions = find_regressions(self.summary)
        self.config.hook.pytest_arbitrage_summary(summary=self.summary, run_dir=self.folder.path, config=self.config)
        if self.regressions and self.settings.fail_on and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _summary_options(self) -> StatsOptions:
        """The cells' statistics options, plus the saved run's records for the gate table."""
        return replace(self.runner.stats_options, include_partial=self.settings.include_partial,
                       baseline_records=read_records(self.compare_dir) if self.compare_dir else None)

    def _mark_partial_cells(self) -> None:
        """Cells with records but no finished-cell line were cut short: say so, with their n."""
        finished = {CellKey.of(info) for info in self.folder.cells()}
        scored: dict = {}
        for record in self.folder.records():
            scored.setdefault(CellKey.of(record), []).append(record)
        why = ("the run was interrupted" if self.interrupted or not self.crashed
               else "the xdist worker running it crashed")
        for key, records in scored.items():
            if key in finished:
                continue
            self.folder.add_cell(asdict(CellInfo(
                run_id=self.run_id, **key.fields(), status="partial",
                reason=f"cut short after {len(records)} examples: {why}")))

    def _recover_spooled_records(self) -> None:
        """Records workers scored but never reported (an interrupted cell); written once each."""
        self._write_records(transport.recover_spooled(self.settings.cache_dir, self.run_id))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.summary is None:
            return
        terminalreporter.write_sep("=", "pytest-arbitrage")
        terminalreporter.write_line(render_terminal(self.summary))
        terminalreporter.write_line(f"run folder: {self.folder.path}")
        for regression in self.regressions:
            terminalreporter.write_line(f"REGRESSION: {regression['message']}", red=True, bold=True)


def _resumed_dir(settings: Settings) -> Path | None:
    found = _saved_run(settings.resume, settings, "--arb-resume")
    return found.resolve() if found else None


def _compare_dir(settings: Settings) -> Path | None:
    return _saved_run(settings.compare, settings, "--arb-compare")


def _saved_run(spec: str | None, settings: Settings, flag: str) -> Path | None:
    """The run folder an option names; a missing one, or one that breaks the record schema, is a
    usage error now, before any LM call."""
    if not spec:
        return None
    try:
        found = resolve_run(spec, settings.report_dir)
        read_records(found)
    except (RunNotFound, ValueError) as exc:
        raise pytest.UsageError(f"{flag}: {exc}") from None
    return found


def _cell_of(item):
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("arb_cell") if callspec else None


_finishing = threading.Event()


def _sigterm_as_interrupt():
    """CI runners and `timeout` stop a job with SIGTERM: treat it as Ctrl-C, so the session still
    writes its summary and reports. Returns the previous handler (None when not installed)."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None  # someone else handles it; leave theirs alone

    def interrupt(signum, frame):
        if _finishing.is_set():
            return  # the summary is being written: let it finish (a second SIGTERM, too)
        _finishing.set()  # one interruption per process
        raise KeyboardInterrupt("SIGTERM")

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return None


def _info(node) -> dict:
    return node.stash.setdefault(CELL_INFO, {})


def _note_outcome(item, report) -> None:
    """The first failure or skip of any phase decides the cell's status and reason."""
    info = _info(item)
    if "status" in info or not (report.failed or report.skipped):
        return
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else None
        info.update(status="skipped", reason=reason and redact(reason))
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        # Redacted before it is cut, so no secret is left half-shown.
        info.update(status="failed", reason=redact(_in_words(crash.message if crash else str(report.longrepr)))[:1000])


def _in_words(message: str) -> str:
    """The reason without pytest's decoration: no `Failed: ` prefix, no `assert ... where` lines."""
    message = message.removeprefix("Failed: ")
    first, _, rest = message.partition("\nassert ")
    return first.strip() if rest else message.strip()


def _add_junit_properties(node, outcome) -> None:
    node.user_properties.extend([
        ("arbitrage_n", outcome.n),
        ("arbitrage_mean_score", outcome.mean_score),
        ("arbitrage_error_rate", outcome.error_rate),
        ("arbitrage_parse_error_rate", outcome.parse_error_rate),
    ])
