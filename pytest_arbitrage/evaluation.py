"""Score a program on a cell's test examples, emitting one record per example.

DSPy's `Evaluate` drives the loop (threads, progress). The program is wrapped so
that every example — failed LM call, unparseable output or success — becomes a
`Record` the moment it is scored, and nothing escapes to abort the cell.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import dspy
from dspy.utils.exceptions import AdapterParseError

from pytest_arbitrage.records import Record
from pytest_arbitrage.redact import redact
from pytest_arbitrage.tasks import Score, Task
from pytest_arbitrage.usage import counting

RETRY_DELAYS = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt of a failing LM call


@dataclass(frozen=True)
class CellContext:
    """What every record of one cell shares."""

    run_id: str
    task: Task
    model: str
    tier: str
    optimizer: str
    seed: int
    price: Callable[[int, int], float] = lambda tokens_in, tokens_out: 0.0


@dataclass
class CellOutcome:
    records: list[Record] = field(default_factory=list, repr=False)

    @property
    def n(self) -> int:
        return len(self.records)

    @property
    def error_rate(self) -> float:
        return sum(r.error is not None for r in self.records) / self.n if self.n else 0.0

    @property
    def parse_error_rate(self) -> float:
        return sum(r.parse_error for r in self.records) / self.n if self.n else 0.0

    @property
    def mean_score(self) -> float | None:
        return sum(r.score for r in self.records) / self.n if self.n else None

    def error_message(self, limit: int = 3) -> str:
        errors = sorted({r.error for r in self.records if r.error})[:limit]
        return f"{self.error_rate:.0%} of {self.n} examples failed; first errors: {errors}"


@dataclass
class _Attempt:
    prediction: dspy.Prediction | None
    error: str | None
    parse_error: bool
    latency_ms: float
    input_tokens: int
    output_tokens: int


def evaluate_cell(program: dspy.Module, examples: list[dspy.Example], *, context: CellContext,
                  emit: Callable[[Record], None], threads: int = 1) -> CellOutcome:
    """Run `program` on `examples`; `emit` receives each record as soon as it is scored."""
    outcome = CellOutcome()

    def run_one(**inputs):
        return dspy.Prediction(attempt=_attempt(program, inputs))

    def metric(example, prediction, trace=None):
        record = _record(context, example, prediction.attempt)
        outcome.records.append(record)
        emit(record)
        return record.score

    evaluator = dspy.Evaluate(devset=examples, metric=metric, num_threads=threads,
                              display_progress=False, max_errors=len(examples) + 1, failure_score=0.0)
    evaluator(run_one)
    return outcome


def _attempt(program: dspy.Module, inputs: dict) -> _Attempt:
    started = time.perf_counter()
    with counting() as calls:
        prediction, error, parse_error = _call_with_retries(program, inputs)
    latency_ms = (time.perf_counter() - started) * 1000
    tokens_in, tokens_out = sum(c[0] for c in calls), sum(c[1] for c in calls)
    return _Attempt(prediction, error, parse_error, latency_ms, tokens_in, tokens_out)


def _call_with_retries(program: dspy.Module, inputs: dict):
    """(prediction, error, parse_error): LM faults are retried with backoff, parse failures are not."""
    error = None
    for delay in (*RETRY_DELAYS, None):
        try:
            return program(**inputs), None, False
        except AdapterParseError:
            return None, None, True
        except Exception as exc:  # an LM or program fault: retried, then recorded
            error = redact(f"{type(exc).__name__}: {exc}")[:500]
            if delay is not None:
                time.sleep(delay)
    return None, error, False


def _score(task: Task, example: dspy.Example, attempt: _Attempt) -> Score:
    if attempt.error is not None:
        return Score(0.0, correct=False if task.binary else None)
    if attempt.parse_error:
        return Score.unparseable(binary=task.binary)
    try:
        return task.score(example, attempt.prediction)
    except Exception:  # a metric that cannot read the output counts as unparseable
        return Score.unparseable(binary=task.binary)


def _record(context: CellContext, example: dspy.Example, attempt: _Attempt) -> Record:
    score = _score(context.task, example, attempt)
    return Record(
        run_id=context.run_id, task=context.task.name, model=context.model, tier=context.tier,
        optimizer=context.optimizer, seed=context.seed, example_id=str(example.example_id),
        score=float(score.value), correct=score.correct, parse_error=bool(score.parse_error),
        error=attempt.error, latency_ms=round(attempt.latency_ms, 3),
        input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens,
        cost_usd=context.price(attempt.input_tokens, attempt.output_tokens),
        axes=dict(context.task.axes),
    )
