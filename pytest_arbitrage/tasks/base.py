"""What a task is: data with fixed splits, a DSPy program, and a metric.

A task module builds one `Task` and registers it with `@register` (see
`pytest_arbitrage.tasks`). Everything here is plain Python: no pytest.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import dspy


@dataclass(frozen=True)
class Score:
    """One example's score. `value` is in [0, 1]; `correct` is set for 0/1 metrics.

    `details` holds named sub-scores (e.g. {"em": 0.0, "f1": 0.67}) for reports;
    it never changes `value`.
    """

    value: float
    correct: bool | None = None
    parse_error: bool = False
    details: Mapping[str, float] = field(default_factory=dict, compare=False)

    def passed(self, threshold: float = 1.0) -> bool:
        """A success for optimizers: never on a parse error, never on partial credit below `threshold`."""
        if self.parse_error:
            return False
        if self.correct is not None:
            return self.correct
        return self.value >= threshold

    @classmethod
    def binary(cls, ok: bool, *, parse_error: bool = False) -> "Score":
        return cls(1.0 if ok else 0.0, correct=bool(ok), parse_error=parse_error)

    @classmethod
    def unparseable(cls, *, binary: bool) -> "Score":
        return cls(0.0, correct=False if binary else None, parse_error=True)


@dataclass(frozen=True)
class DataSource:
    """Where a task's examples come from.

    kind: "offline" (data the project writes itself, the default), "hub" (Hugging
    Face `datasets`; `DataUnavailable` when it cannot be loaded), "hub-or-offline"
    (the hub, else the offline set with a warning and an origin that says so), or
    "file" (`path` to a local JSONL file with the task's fields and an `example_id`).
    """

    kind: str = "offline"
    path: Path | None = None


class DataUnavailable(RuntimeError):
    """The data a user asked for cannot be loaded; `reason` names the dataset, the revision,
    the cause and what to do. Raised instead of quietly measuring other data."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Splits:
    """Fixed train / dev / test lists of `dspy.Example` with inputs set.

    Every example carries a stable, unique string `example_id` (not an input).
    `origin` says what was actually loaded, e.g. "offline",
    "hub:PolyAI/banking77@refs/convert/parquet (commit 3f1e...)".
    """

    train: list[dspy.Example]
    dev: list[dspy.Example]
    test: list[dspy.Example]
    origin: str = "offline"


@dataclass(frozen=True)
class Task:
    """A benchmark task.

    name: short identifier used in cell ids (letters, digits, underscores; no "-").
    load: returns the fixed splits for a data source.
    score: scores one prediction against its gold example.
    signature: the task's DSPy signature; with it the task's program is `module` over it and
        the `module` and `depth` axes can rebuild it (SPEC 10).
    module: the task's own module over `signature` (`predict`, `cot`, ...).
    make_program: builds a fresh, unoptimized DSPy module, for a program of your own (then
        the module and depth axes do not apply). Baseline and optimized cells start from it.
    pipeline: the task can run as a chain of steps (`--arb-depth`).
    binary: True when every score is 0 or 1 (selects exact McNemar / Wilson).
    pass_threshold: a score at or above this counts as a success when an optimizer
        needs a yes/no answer (bootstrapping demos).
    max_tokens: generation budget per LM call; short answers need few tokens, and tiny
        models that ignore the format would otherwise ramble to any limit.
    """

    name: str
    description: str
    load: Callable[[DataSource], Splits]
    score: Callable[[dspy.Example, dspy.Prediction], Score]
    signature: type[dspy.Signature] | None = None
    module: str = "predict"
    make_program: Callable[[], dspy.Module] | None = None
    pipeline: bool = False
    binary: bool = True
    pass_threshold: float = 1.0
    max_tokens: int = 48

    def __post_init__(self) -> None:
        if self.make_program is None or isinstance(self.make_program, _SignatureProgram):
            if self.signature is None:
                raise ValueError(f"task {self.name!r} needs a signature or a make_program")
            object.__setattr__(self, "make_program", _SignatureProgram(self))

    def program(self, module: str | None = None, depth: int | None = None) -> dspy.Module:
        """A fresh program for a cell's `module` and `depth` axes (None: the task's own)."""
        if module is None and depth is None:
            return self.make_program()
        from pytest_arbitrage.modules import build_program

        return build_program(self, module, depth)

    def answer_ok(self, pred: dspy.Prediction) -> bool:
        """A label-free check (for BestOfN/Refine rewards): every output field came back non-empty."""
        fields = self.signature.output_fields if self.signature is not None else pred.keys()
        return all(str(pred.get(name) or "").strip() for name in fields)

    def dspy_metric(self, example: dspy.Example, pred: dspy.Prediction, trace=None, *_args) -> float | bool:
        """DSPy's metric convention: a float when evaluating, a bool while bootstrapping (`trace` set)."""
        score = self.score(example, pred)
        return score.passed(self.pass_threshold) if trace is not None else score.value


@dataclass(frozen=True)
class _SignatureProgram:
    """A task's own program from its signature and module (rebuilt when `dataclasses.replace` changes them)."""

    task: Task = field(repr=False, compare=False)

    def __call__(self) -> dspy.Module:
        from pytest_arbitrage.modules import build_program

        return build_program(self.task, self.task.module, None)


def stable_id(prefix: str, payload: object) -> str:
    """A short id derived from content, stable across runs and machines."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return f"{prefix}-{hashlib.sha256(blob).hexdigest()[:10]}"
