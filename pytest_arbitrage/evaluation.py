"""Score a program on a cell's test examples, emitting one record per example.

DSPy's `ParallelExecutor` (what `dspy.Evaluate` runs on) drives the loop, `threads`
examples at a time, with its straggler resubmission off (it would score a slow example
twice). Every example — failed LM call, unparseable output or success — becomes a
`Record` the moment it is scored, so records come in the order examples finish; what
reads them sorts by example. Three kinds of trouble are told apart:

- an LM fault (DSPy's `LMError`): retried with backoff when transient (rate limit,
  timeout, server or transport error, honouring `retry_after`; the same server error
  twice in a row is not transient), then recorded as the example's error; a permanent
  one (bad request, auth) is recorded at once. This is the only retry layer: remote
  LMs are built with `num_retries=0`;
- output the adapter cannot read: a `parse_error`, never retried;
- a bug in the program itself: not the LM's fault, so the cell stops at once and the
  exception propagates with its own traceback.

A cell whose errors already exceed `max_error_rate` of its examples cannot pass, so
the remaining examples are not run (`CellOutcome.stopped_early`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import dspy
from dspy.utils.exceptions import AdapterParseError, LMError, LMServerError, is_retryable_lm_error
from dspy.utils.parallelizer import ParallelExecutor

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.record_schema import example_hash
from pytest_arbitrage.records import Record
from pytest_arbitrage.redact import redact
from pytest_arbitrage.tasks import Score, Task
from pytest_arbitrage.usage import counting

RETRY_DELAYS = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt of a transient LM fault (no jitter)
MAX_RETRY_AFTER_S = 30.0  # a server asking for longer is treated as down for this example
ANSWER_LIMIT = 2000  # characters of raw and parsed answers kept per record


@dataclass(frozen=True)
class CellContext:
    """What every record of one cell shares: the run, the cell's key, its task and seed."""

    run_id: str
    key: CellKey
    task: Task
    seed: int
    price: Callable[[int, int], float | None] = lambda tokens_in, tokens_out: 0.0
    max_error_rate: float = 1.0
    program_hash: str | None = None
    repeats: int = 1  # samples per example, each its own record (`replicate`)
    temperature: float = 0.0
    halt: Callable[[], bool] | None = None  # True once the cell may stop (`--arb-sequential`)
    done: frozenset = frozenset()  # (example_id, replicate) already scored (a resumed run): skipped
    in_process: bool = False  # the model runs here (llama.cpp): replicates are seeded, not only rolled out


@dataclass
class CellOutcome:
    records: list[Record] = field(default_factory=list, repr=False)
    planned: int = 0
    stopped_early: bool = False

    @property
    def n(self) -> int:
        return len(self.records)

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.records)

    @property
    def error_rate(self) -> float:
        return self.errors / self.n if self.n else 0.0

    @property
    def parse_error_rate(self) -> float:
        return sum(r.parse_error for r in self.records) / self.n if self.n else 0.0

    @property
    def mean_score(self) -> float | None:
        return sum(r.score for r in self.records) / self.n if self.n else None

    def error_message(self, limit: int = 3) -> str:
        errors = sorted({r.error for r in self.records if r.error})[:limit]
        stopped = (f"; stopped after {self.n} of {self.planned} examples, since the error rate could no "
                   "longer come back under the limit" if self.stopped_early else "")
        return f"{self.errors} of {self.n} examples failed ({self.error_rate:.0%}){stopped}; first errors: {errors}"

    def failure(self, max_error_rate: float) -> str | None:
        """Why the cell fails, in words, or None when it passes."""
        if self.n == 0:
            return "the cell had no test examples"
        if self.stopped_early or self.error_rate > max_error_rate:
            return f"LM errors above --arb-max-error-rate={max_error_rate}: {self.error_message()}"
        return None


@dataclass
class _Attempt:
    prediction: dspy.Prediction | None
    error: str | None
    parse_error: bool
    latency_ms: float
    calls: list[dict]


class _Stop:
    """Shared by the example threads: the first program error, whether to stop, and the
    records kept (none once the pass has ended, e.g. by an interrupt, while a call was out)."""

    def __init__(self, context: CellContext, planned: int):
        self.halt = context.halt
        self.allowed_errors = context.max_error_rate * planned
        self.program_error: BaseException | None = None
        self.errors = 0
        self.closed = False
        self._lock = threading.Lock()

    def note(self, attempt: _Attempt) -> None:
        with self._lock:
            self.errors += attempt.error is not None

    def keep(self, record: Record, outcome: CellOutcome, emit: Callable[[Record], None]) -> None:
        with self._lock:
            if not self.closed:
                outcome.records.append(record)
                emit(record)

    def close(self) -> None:
        """The pass is over: examples still queued in the executor's threads are not started."""
        with self._lock:
            self.closed = True

    @property
    def hopeless(self) -> bool:
        return self.errors > self.allowed_errors

    @property
    def now(self) -> bool:
        return self.closed or self.program_error is not None or self.hopeless or bool(self.halt and self.halt())


def evaluate_cell(program: dspy.Module, examples: list[dspy.Example], *, context: CellContext,
                  emit: Callable[[Record], None], threads: int = 1) -> CellOutcome:
    """Run `program` on `examples` (`context.repeats` times); `emit` receives each record as soon
    as it is scored.

    Raises the program's own exception (with its traceback) if the program is broken.
    """
    todo = {r: [e for e in examples if (str(e.example_id), r) not in context.done] for r in range(context.repeats)}
    outcome = CellOutcome(planned=sum(map(len, todo.values())))
    stop = _Stop(context, outcome.planned)
    try:
        for replicate, remaining in todo.items():
            if not remaining:
                continue
            with dspy.context(lm=_sampling_lm(dspy.settings.lm, context, replicate)):
                _evaluate_pass(program, remaining, replicate, context=context, stop=stop, outcome=outcome,
                               emit=emit, threads=threads)
            if stop.now:
                break
    finally:
        stop.close()  # a call still out after an interrupt emits nothing
    if stop.program_error is not None:
        raise stop.program_error
    outcome.stopped_early = len(outcome.records) < outcome.planned and stop.hopeless
    return outcome


def _sampling_lm(lm, context: CellContext, replicate: int):
    """The LM for one replicate: its own `rollout_id` when there are several, so DSPy's cache
    does not return one answer K times, at the run's temperature."""
    if context.repeats == 1 and not context.temperature:
        return lm
    if context.repeats == 1:
        return lm.copy(temperature=context.temperature)
    # In-process engines never see the rollout id; their seed makes the replicate's own draw.
    seed = {"seed": context.seed + replicate} if context.in_process else {}
    return lm.copy(temperature=context.temperature, rollout_id=replicate, **seed)


def _evaluate_pass(program, examples, replicate: int, *, context: CellContext, stop: _Stop, outcome: CellOutcome,
                   emit: Callable[[Record], None], threads: int) -> None:
    def run_one(example):
        if stop.now:
            return
        try:
            attempt = _attempt(program, example.inputs())
            stop.note(attempt)
            stop.keep(_record(context, example, attempt, replicate), outcome, emit)
        except Exception as exc:  # the program's own bug (or emit's): stop the cell, re-raised by the caller
            stop.program_error = stop.program_error or exc

    executor = ParallelExecutor(num_threads=threads, max_errors=len(examples) + 1, disable_progress_bar=True,
                                timeout=0)  # timeout=0: no straggler resubmission
    executor.execute(run_one, examples)


def _attempt(program: dspy.Module, inputs: dict) -> _Attempt:
    started = time.perf_counter()
    with counting() as calls:
        prediction, error, parse_error = _call_with_retries(program, inputs)
    latency_ms = (time.perf_counter() - started) * 1000
    return _Attempt(prediction, error, parse_error, latency_ms, calls)


def _call_with_retries(program: dspy.Module, inputs: dict):
    """(prediction, error, parse_error). Anything but an LM fault or a parse failure propagates."""
    previous = None
    for delay in (*RETRY_DELAYS, None):
        try:
            return program(**inputs), None, False
        except AdapterParseError:
            return None, None, True
        except Exception as exc:
            fault = lm_fault(exc)
            if fault is None:
                raise
            error = redact(f"{type(fault).__name__}: {fault}")[:500]
            if delay is None or not _transient(fault, error, previous):
                return None, error, False
            previous = error
            time.sleep(_backoff(fault, delay))
    raise AssertionError("unreachable")


def _transient(fault: LMError, error: str, previous: str | None) -> bool:
    """Worth another attempt: DSPy's retryable kinds, except a server answer that came back
    the same twice (an unparseable body or a broken endpoint does not heal in seconds)."""
    if not is_retryable_lm_error(fault):
        return False
    return not (isinstance(fault, LMServerError) and error == previous)


def lm_fault(exc: BaseException) -> LMError | None:
    """The LM error behind `exc` (adapters may wrap it), or None for a non-LM exception."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LMError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _backoff(fault: LMError, delay: float) -> float:
    """The server's `Retry-After` when it gave one (bounded), else our own delay."""
    retry_after = getattr(fault, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after >= 0:
        return min(float(retry_after), MAX_RETRY_AFTER_S)
    return delay


def _score(task: Task, example: dspy.Example, attempt: _Attempt) -> Score:
    if attempt.error is not None:
        return Score(0.0, correct=False if task.binary else None)
    if attempt.parse_error:
        return Score.unparseable(binary=task.binary)
    try:
        return task.score(example, attempt.prediction)
    except Exception:  # a metric that cannot read the output counts as unparseable
        return Score.unparseable(binary=task.binary)


def _answer(prediction: dspy.Prediction | None) -> dict | None:
    """The parsed output fields, as text, for a user debugging a cell."""
    if prediction is None:
        return None
    return {k: str(v)[:ANSWER_LIMIT] for k, v in prediction.items()}


def _record(context: CellContext, example: dspy.Example, attempt: _Attempt, replicate: int = 0) -> Record:
    score = _score(context.task, example, attempt)
    tokens_in = sum(c["input_tokens"] for c in attempt.calls)
    tokens_out = sum(c["output_tokens"] for c in attempt.calls)
    raw = attempt.calls[-1]["text"] if attempt.calls else None
    return Record(
        run_id=context.run_id, **context.key.fields(), seed=context.seed, example_id=str(example.example_id),
        score=float(score.value), correct=score.correct, parse_error=bool(score.parse_error),
        error=attempt.error, latency_ms=round(attempt.latency_ms, 3),
        input_tokens=tokens_in, output_tokens=tokens_out,
        cost_usd=context.price(tokens_in, tokens_out), lm_calls=len(attempt.calls),
        raw_answer=redact(raw[:ANSWER_LIMIT]) if raw is not None else None,
        answer=_answer(attempt.prediction), program_hash=context.program_hash, replicate=replicate,
        example_hash=example_hash(example),
    )
