"""Examples of api cells run concurrently (SPEC section 14): through `CellRunner` and the real
openai provider against the loopback server of tests/fault_server.py. One limit per endpoint
holds across cells; records (and the summary built from them) equal a serial run's; a hung call
is an error record within the time limit; an interrupt leaves no record behind."""
import contextlib
import itertools
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import dspy
import pytest

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.concurrency import API_THREADS, threads_for
from pytest_arbitrage.evaluation import CellContext, evaluate_cell
from pytest_arbitrage.options import OPTIONS, load_settings
from pytest_arbitrage.providers import adapter_for, parse_model_spec
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.reports.summary import build_summary
from pytest_arbitrage.runner import CellRunner
from pytest_arbitrage.tasks import all_tasks, get_task
from pytest_arbitrage.testing import scripted_lm

sys.path.insert(0, str(Path(__file__).parents[1]))
from fault_server import FaultServer  # noqa: E402


@pytest.fixture
def serve(monkeypatch, isolated_lm_cache):
    """`serve(latency_s)` starts a fault server that OPENAI_BASE_URL then points at."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with contextlib.ExitStack() as servers:
        def start(latency_s: float = 0.0) -> FaultServer:
            server = servers.enter_context(FaultServer(latency_s=latency_s))
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
            return server

        yield start


def runner_for(root: Path, **given) -> CellRunner:
    values = {o.name: o.default for o in OPTIONS} | {"tasks": "sentiment", "optimizers": "none"} | given
    return CellRunner(load_settings(values.get, valid_tasks=list(all_tasks()), root=root), run_id="r")


def score_cells(runner: CellRunner, *, side_by_side: bool = False) -> list[dict]:
    """Every cell of the runner's grid scored (all at once with `side_by_side`); records as emitted."""
    records, cells = [], runner.grid()
    lms = {cell: runner.for_task(runner.lm(cell.model.spec), get_task(cell.task)) for cell in cells}

    def score(cell):
        program = get_task(cell.task).make_program()
        runner.evaluate(cell, runner.cell_data(cell), lms[cell], program, emit=lambda r: records.append(asdict(r)))

    with ThreadPoolExecutor(max_workers=len(cells) if side_by_side else 1) as pool:
        for done in [pool.submit(score, cell) for cell in cells]:
            done.result()
    return records


def test_api_cells_take_8_examples_at_once_in_process_cells_1_and_the_option_overrides_both(tmp_path):
    assert threads_for("openai") == threads_for("ollama_chat") == threads_for("litellm") == API_THREADS == 8
    assert threads_for("llamacpp") == 1 and threads_for("llamacpp", 3) == threads_for("openai", 3) == 3
    models = [parse_model_spec("openai/x"), parse_model_spec("llamacpp/smollm2-135m")]
    by_provider, given = runner_for(tmp_path, models="openai/x"), runner_for(tmp_path, models="openai/x", threads="3")
    assert by_provider.settings.threads is None
    assert [by_provider.threads(m) for m in models] == [8, 1] and [given.threads(m) for m in models] == [3, 3]


def test_two_cells_on_one_endpoint_never_hold_more_calls_than_its_limit_together(serve, tmp_path):
    server = serve(latency_s=0.3)
    records = score_cells(runner_for(tmp_path, models="openai/ok,openai/varied", n="16"), side_by_side=True)
    assert len(records) == 32 and not any(r["error"] for r in records)
    assert server.peak_in_flight == API_THREADS, "two cells of 8 threads each, one endpoint limit of 8"


def comparable(records: list[dict]) -> list[dict]:
    return sorted(({**r, "latency_ms": 0.0} for r in records), key=lambda r: (r["model"], r["example_id"]))


def summary(records: list[dict]) -> dict:
    return build_summary([{**r, "latency_ms": 0.0} for r in records], [], meta={}, options=StatsOptions())


def test_a_concurrent_run_scores_every_example_as_a_serial_run_does(serve, tmp_path):
    runs = {}
    for threads in ("1", ""):
        server = serve(latency_s=0.05)  # a fresh one: e429 turns away each prompt's first call (Retry-After: 0)
        runner = runner_for(tmp_path / f"threads{threads}", models="openai/varied,openai/e429", n="24",
                            threads=threads)
        runs[threads] = score_cells(runner)
        assert server.requests["e429"] == 2 * 24 and server.requests["varied"] == 24
        assert (server.peak_in_flight == 1) == (threads == "1")
    serial, concurrent = runs["1"], runs[""]
    assert len({r["score"] for r in serial}) > 1, "the answers differ by example: the comparison can fail"
    assert comparable(serial) == comparable(concurrent)
    assert summary(serial) == summary(concurrent) == summary(concurrent[::-1]), "arrival order changes nothing"


def test_a_call_that_hangs_under_concurrency_is_an_error_record_within_the_timeout(serve, tmp_path, monkeypatch):
    monkeypatch.setattr("pytest_arbitrage.evaluation.RETRY_DELAYS", (0.0, 0.0))
    server = serve()  # hang-odd never answers about half of the prompts
    runner = runner_for(tmp_path, models="openai/hang-odd", n="16", timeout="0.5", max_error_rate="1")
    started = time.perf_counter()
    records = score_cells(runner)
    elapsed = time.perf_counter() - started
    hung = [r for r in records if r["error"]]
    assert len(records) == 16 and len(hung) >= 4 and len(hung) < 16
    assert all("Timeout" in r["error"] and r["score"] == 0.0 for r in hung)
    assert all(r["answer"] for r in records if not r["error"])
    assert server.requests["hang-odd"] == 3 * len(hung) + (16 - len(hung)), "a timeout is transient: 3 attempts"
    serial_s = 3 * 0.5 * len(hung)
    assert elapsed < serial_s / 2, f"{elapsed:.1f} s: the hung calls should wait side by side ({serial_s} s serially)"


def test_an_interrupt_under_concurrency_leaves_no_record_behind():
    calls = itertools.count()

    def respond(prompt):
        if next(calls) == 2:
            raise KeyboardInterrupt
        time.sleep(0.3)
        return "positive"

    task, spec = get_task("sentiment"), parse_model_spec("openai/slow")
    context = CellContext(run_id="r", key=CellKey("sentiment", spec.spec, "none", tier="api"), task=task, seed=0)
    lm, records = scripted_lm(respond, model=spec.spec, cache=False), []
    with dspy.context(lm=lm, adapter=adapter_for(spec)), pytest.raises(KeyboardInterrupt):
        evaluate_cell(task.make_program(), task.load(None).test[:12], context=context, emit=records.append, threads=4)
    time.sleep(0.7)  # the calls still out at the interrupt come back, and the threads take the queued examples
    made = next(calls)
    assert 3 < made < 12, f"{made} calls: the ones out at the interrupt, none for an example not yet started"
    assert records == [], "nothing is emitted once the cell was interrupted"
