"""Faults against a loopback OpenAI-compatible server (tests/fault_server.py), through the real
openai provider and DSPy: bounded retries, Retry-After, per-call timeouts, fail-fast on
permanent errors, early stop of a hopeless cell, and program bugs that are not LM faults."""
import json
import sys
import time
from pathlib import Path

import dspy
import pytest

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.evaluation import CellContext, evaluate_cell
from pytest_arbitrage.providers import adapter_for, parse_model_spec, provision_lm
from pytest_arbitrage.tasks import get_task
from pytest_arbitrage.usage import meter

sys.path.insert(0, str(Path(__file__).parents[1]))
from fault_server import FaultServer  # noqa: E402

SWEEP_TEST = (Path(__file__).parents[2] / "benchmarks" / "test_sweep.py").read_text()


@pytest.fixture
def fault_server(monkeypatch, isolated_lm_cache):
    with FaultServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        yield server


def run_cell(model: str, n: int, *, max_error_rate: float = 1.0, timeout: float = 5.0):
    spec = parse_model_spec(f"openai/{model}")
    lm = provision_lm(spec, num_retries=0, timeout=timeout, max_tokens=16)
    meter(lm)
    task = get_task("sentiment")
    examples = task.load(None).test[:n]
    context = CellContext(run_id="r", key=CellKey("sentiment", spec.spec, "none", tier="api"), task=task, seed=0,
                          max_error_rate=max_error_rate)
    records = []
    with dspy.context(lm=lm, adapter=adapter_for(spec)):
        outcome = evaluate_cell(task.make_program(), examples, context=context, emit=records.append)
    assert [r.example_id for r in records] == [r.example_id for r in outcome.records], "each record emitted once"
    return outcome


def test_a_healthy_server_scores_every_example_with_one_call_each(fault_server):
    outcome = run_cell("ok", 4)
    assert outcome.n == 4 and outcome.errors == 0
    assert fault_server.requests["ok"] == 4
    assert all(r.raw_answer == "positive" and r.answer == {"sentiment": "positive"} for r in outcome.records)
    assert all(r.lm_calls == 1 and r.input_tokens == 11 for r in outcome.records)


def test_a_server_error_that_repeats_is_given_up_after_two_attempts(fault_server, monkeypatch):
    monkeypatch.setattr("pytest_arbitrage.evaluation.RETRY_DELAYS", (0.0, 0.0))
    outcome = run_cell("e500", 2)
    assert fault_server.requests["e500"] == 2 * 2, "one retry layer, and the same answer twice ends it"
    assert all("LMServerError" in r.error and r.score == 0.0 for r in outcome.records)


def test_an_unreadable_body_is_an_error_without_retries(fault_server, monkeypatch):
    monkeypatch.setattr("pytest_arbitrage.evaluation.RETRY_DELAYS", (0.0, 0.0))
    outcome = run_cell("garbage", 2)  # a 200 whose body is not JSON does not heal on a retry
    assert fault_server.requests["garbage"] == 2, "one attempt per example"
    assert all(r.error and "LMProviderError" in r.error and r.score == 0.0 for r in outcome.records)


def test_a_permanent_error_fails_fast_without_retries(fault_server):
    started = time.perf_counter()
    outcome = run_cell("e400", 3)
    assert fault_server.requests["e400"] == 3, "one attempt per example"
    assert all("LMInvalidRequestError" in r.error for r in outcome.records)
    assert time.perf_counter() - started < 5


def test_a_429_is_retried_after_its_retry_after_and_then_scores(fault_server):
    started = time.perf_counter()
    outcome = run_cell("e429", 3)
    assert fault_server.requests["e429"] == 6, "each example: one 429, one success"
    assert outcome.errors == 0 and all(r.answer == {"sentiment": "positive"} for r in outcome.records)
    assert time.perf_counter() - started < 5, "Retry-After: 0 means no wait, not our 0.5 s + 2 s backoff"


def test_a_call_that_never_returns_times_out_and_is_an_error_not_a_hang(fault_server, monkeypatch):
    monkeypatch.setattr("pytest_arbitrage.evaluation.RETRY_DELAYS", (0.0, 0.0))
    started = time.perf_counter()
    outcome = run_cell("hang", 1, timeout=0.5)
    assert time.perf_counter() - started < 10
    assert outcome.n == 1 and "Timeout" in outcome.records[0].error
    assert fault_server.requests["hang"] == 3, "a timeout is transient: three attempts"


def test_a_hopeless_cell_stops_once_its_error_rate_cannot_come_back(fault_server):
    outcome = run_cell("e400", 10, max_error_rate=0.2)
    assert outcome.stopped_early and outcome.n == 3, "3 errors > 0.2 x 10: the 4th example is never run"
    assert fault_server.requests["e400"] == 3
    assert "stopped after 3 of 10" in outcome.failure(0.2)


class Broken(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict("text -> sentiment")

    def forward(self, text):
        raise RuntimeError("a bug in the program, not in the LM")


def test_a_bug_in_the_program_stops_the_cell_at_once_with_its_traceback(fault_server):
    spec = parse_model_spec("openai/ok")
    lm = provision_lm(spec, num_retries=0, timeout=5)
    task = get_task("sentiment")
    context = CellContext(run_id="r", key=CellKey("sentiment", spec.spec, "none", tier="api"), task=task, seed=0)
    records = []
    started = time.perf_counter()
    with dspy.context(lm=lm), pytest.raises(RuntimeError, match="a bug in the program") as raised:
        evaluate_cell(Broken(), task.load(None).test[:20], context=context, emit=records.append)
    assert time.perf_counter() - started < 1.0
    assert records == [] and fault_server.requests["ok"] == 0
    assert any(entry.name == "forward" for entry in raised.traceback), "the program's own frame is shown"


def test_through_the_plugin_a_hanging_server_fails_its_cell_within_the_timeout(pytester, fault_server):
    pytester.makepyfile(test_sweep=SWEEP_TEST)
    started = time.perf_counter()
    result = pytester.runpytest_subprocess(
        "--arb-tasks=sentiment", "--arb-models=openai/hang,openai/ok", "--arb-optimizers=none", "--arb-n=2",
        "--arb-timeout=0.5", "-p", "no:cacheprovider")
    assert time.perf_counter() - started < 60
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*LM errors above*2 of 2 examples failed*Timeout*"])
    run = (pytester.path / "reports" / "latest").resolve()
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert sorted(r["model"] for r in records) == ["openai/hang", "openai/hang", "openai/ok", "openai/ok"]
    assert (run / "summary.json").is_file()


def test_a_warm_rerun_of_an_api_cell_records_the_tokens_of_the_cold_run(pytester, fault_server):
    pytester.makepyfile(test_sweep=SWEEP_TEST)
    args = ["--arb-tasks=sentiment", "--arb-models=openai/ok", "--arb-optimizers=none", "--arb-n=5",
            "-p", "no:cacheprovider"]
    runs = []
    for _ in range(2):
        pytester.runpytest_subprocess(*args).assert_outcomes(passed=1)
        run = (pytester.path / "reports" / "latest").resolve()
        runs.append([json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()])
        assert fault_server.requests["ok"] == 5, "the rerun is answered from DSPy's disk cache"
    tokens = [sorted((r["example_id"], r["input_tokens"], r["output_tokens"]) for r in rs) for rs in runs]
    assert tokens[0] == tokens[1] and all(t[1] == 11 and t[2] == 1 for t in tokens[0])
