"""The record schema (SPEC 12): what a line of results.jsonl or cells.jsonl may hold.

`RECORD_FIELDS` and `CELL_FIELDS` are the one statement of it: each field says whether it
is required, its default and what it means (the README's "Record schema" table is this
table, and a test keeps them equal). `check_lines` applies a table to a file's lines and
raises `SchemaError` naming file, line and field of every violation; `report` and `compare`
turn that into exit 2. Unknown extra fields are kept and ignored. A malformed last line is
skipped with a warning (a crashed run can tear it); a malformed line anywhere else is an
error. Duplicate records are an error too, with their count: which of two scores to keep
would change the result, so it is not ours to choose.
"""
from __future__ import annotations

import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from pytest_arbitrage.pricing import is_local
from pytest_arbitrage.providers.specs import TIERS

MAX_SHOWN = 20  # violations listed in one error; the count says how many more


class SchemaError(ValueError):
    """Lines of a run file that break the record schema; the message names each file, line and field."""


@dataclass(frozen=True)
class Field:
    name: str
    check: Callable[[object], object]  # the value as reports read it; ValueError says what is wrong
    meaning: str
    required: bool = False
    default: object = None
    default_text: str | None = None  # the README's words for a default that is not a constant
    default_from: Callable[[dict], object] | None = None  # a default computed from the other fields


def _text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value


def _example_id(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise ValueError(f"must be a non-empty string or an integer, got {value!r}")
    return str(value)


def _score(value) -> float:
    expected = "must be a number in [0, 1]"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        quoted = " (a string; write the number without quotes)" if isinstance(value, str) else ""
        raise ValueError(f"{expected}, got {json.dumps(value)}{quoted}")
    if not math.isfinite(value):
        raise ValueError(f"{expected}, got {value!r}")
    if not 0 <= value <= 1:
        scale = ": is it on a 0-100 scale? divide by 100" if 1 < value <= 100 else ""
        raise ValueError(f"{expected} (a fraction), got {value!r}{scale}")
    return float(value)


def _tier(value) -> str:
    if value not in TIERS:
        raise ValueError(f"invalid tier {value!r}; valid choices: {', '.join(TIERS)} (lower case)")
    return value


def _typed(kind: type, label: str) -> Callable[[object], object]:
    def check(value):
        # bool is an int subclass: `true` must not pass as a count of 1.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"must be {label}, got {json.dumps(value, default=repr)}")
        return value
    return check


def _amount(label: str, *, integer: bool = False) -> Callable[[object], object]:
    number = _typed(int if integer else (int, float), label)

    def check(value):
        value = number(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"must be {label}, got {value!r}")
        return value
    return check


_count = _amount("an integer >= 0", integer=True)
_usd = _amount("a finite number >= 0 (US dollars)")
_ms = _amount("a finite number >= 0 (milliseconds)")
_str = _typed(str, "a string")
_dict = _typed(dict, "a JSON object")
_bool = _typed(bool, "true or false")

_IDENTITY = (
    Field("task", _text, "the task (a registered task name, or any name in a converted run)", required=True),
    Field("model", _text, "the model spec, e.g. `openai/gpt-4o-mini`", required=True),
    Field("optimizer", _text, "the optimizer; `none` is the baseline unless `--baseline` names another",
          required=True),
)
_AXES = Field("axes", _dict, "study axes of the cell, e.g. `{\"depth\": 3}`", default={})

RECORD_FIELDS: tuple[Field, ...] = _IDENTITY + (
    Field("example_id", _example_id, "the test example, stable across runs: comparisons pair on it",
          required=True),
    Field("score", _score, "0..1 (a fraction, never a percentage)", required=True),
    Field("tier", _tier, "`local` or `api`", default_from=lambda item: default_tier(item["model"]),
          default_text="from the model spec: `local` for local providers (`llamacpp/`, `ollama_chat/`, "
                       "`ollama/`, `local/`, or an `@local` flag), else `api`"),
    _AXES,
    Field("replicate", _count, "repeat number of the same example in the same cell", default=0),
    Field("example_hash", _str, "hash of the example's inputs and gold: equal ids with different "
          "hashes are never paired", default_text="null (pair by example_id alone)"),
    Field("correct", _bool, "true/false for 0/1 metrics; must agree with score (1 / 0)",
          default_text="null (not a 0/1 metric)"),
    Field("parse_error", _bool, "the output could not be read as an answer (scored 0)", default=False),
    Field("error", _str, "the LM call's error after retries (scored 0)", default_text="null (no error)"),
    Field("cost_usd", _usd, "US dollars for this example; wins over the price table",
          default_text="null (from the tokens and the price table; unknown without them)"),
    Field("input_tokens", _count, "prompt tokens of all its LM calls", default_text="null (unknown)"),
    Field("output_tokens", _count, "completion tokens of all its LM calls", default_text="null (unknown)"),
    Field("latency_ms", _ms, "wall time of the example, milliseconds", default_text="null (unknown)"),
    Field("lm_calls", _count, "LM calls made for this example (retries not counted)",
          default_text="null (unknown)"),
    Field("seed", _typed(int, "an integer"), "the run's seed", default_text="null"),
    Field("run_id", _str, "the run that scored it", default_text="null"),
    Field("raw_answer", _str, "the LM's last raw text", default_text="null"),
    Field("answer", _dict, "the parsed output fields", default_text="null"),
    Field("program_hash", _str, "the program's definition (signatures, instructions, module code)",
          default_text="null"),
)
CELL_FIELDS: tuple[Field, ...] = _IDENTITY + (
    _AXES,
    Field("tier", _tier, "`local` or `api`", default_text="null (the records' tier)"),
    Field("status", _str, "passed, failed, skipped or partial", default_text="null"),
    Field("reason", _str, "why, in words", default_text="null"),
)
DUPLICATE_KEY = ("task", "model", "optimizer", "axes", "example_id", "replicate")


def default_tier(model: str) -> str:
    """The tier a record without one gets, as `--arb-models` would give its spec."""
    flags = model.rpartition("@")[2].split(",") if "@" in model else []
    return next((f for f in flags if f in TIERS), "local" if is_local(model) else "api")


def check_line(item: dict, fields: tuple[Field, ...]) -> dict:
    """The item with every field checked and defaults filled; `FieldError` on the first violation."""
    out = dict(item)
    for f in fields:
        value = item.get(f.name)
        if value is None and f.required:
            raise FieldError(f.name, "required field is missing" if f.name not in item else "required, got null")
        if value is None:
            out[f.name] = f.default_from(out) if f.default_from else _copy(f.default)
            continue
        try:
            out[f.name] = f.check(value)
        except ValueError as exc:
            raise FieldError(f.name, str(exc)) from None
    _check_correct(out)
    return out


class FieldError(ValueError):
    """One field of one line breaks the schema (`field` None: the line as a whole)."""

    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field = field_name


def _copy(value):
    return dict(value) if isinstance(value, dict) else value


def _check_correct(record: dict) -> None:
    correct, score = record.get("correct"), record.get("score")
    if correct is not None and score is not None and score != float(correct):
        raise FieldError("correct", f"is {json.dumps(correct)} but score is {score!r}: a 0/1 metric scores "
                                    f"{int(correct)} when correct is {json.dumps(correct)}")


def check_lines(path: Path, fields: tuple[Field, ...], *, unique: bool) -> list[dict]:
    """The checked items of a JSONL file; `SchemaError` listing every violation, with line and field."""
    items, problems = _checked(Path(path), fields)
    if unique:
        problems += duplicate_problems(path, items)
    if problems:
        raise SchemaError(_summary(path, problems))
    return [item for _, item in items]


def _checked(path: Path, fields: tuple[Field, ...]) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line number, checked item) of every good line, and a message for every bad one."""
    lines = _numbered_lines(path)
    items, problems = [], []
    for index, (number, text) in enumerate(lines):
        try:
            items.append((number, check_line(_parse(text), fields)))
        except json.JSONDecodeError as exc:
            if index == len(lines) - 1:  # a crash tears the last line only
                warnings.warn(f"{path}:{number}: skipped a torn last line (a run that stopped while writing it)")
                continue
            problems.append(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})")
        except FieldError as exc:
            where = f"field {exc.field!r}: " if exc.field else ""
            problems.append(f"{path}:{number}: {where}{exc}")
    return items, problems


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [(n, line.strip()) for n, line in enumerate(handle, 1) if line.strip()]


def _parse(text: str) -> dict:
    item = json.loads(text)
    if not isinstance(item, dict):
        raise FieldError(None, f"not a JSON object with the record's fields (got a JSON {type(item).__name__})")
    return item


def duplicate_key(record: dict) -> tuple:
    """What makes a record one of a kind: its cell, example and replicate (absent axes: {}, replicate: 0)."""
    defaults = {"axes": {}, "replicate": 0}
    return tuple(json.dumps(record.get(k) or defaults.get(k), sort_keys=True, default=str) for k in DUPLICATE_KEY)


def duplicate_problems(path: Path, items: Iterable[tuple[int, dict]]) -> list[str]:
    """One problem stating the count of duplicate records and the first of them."""
    first: dict[tuple, int] = {}
    repeats = []
    for number, record in items:
        key = duplicate_key(record)
        if key in first:
            repeats.append((number, first[key], record))
        first.setdefault(key, number)
    if not repeats:
        return []
    number, original, record = repeats[0]
    return [f"{path}:{number}: {len(repeats)} duplicate record(s) (same {', '.join(DUPLICATE_KEY)}); "
            f"the first repeats line {original} (example_id {record['example_id']!r} of "
            f"{record['task']}/{record['model']}/{record['optimizer']}): remove them, or give repeats "
            f"distinct `replicate` numbers"]


def _summary(path: Path, problems: list[str]) -> str:
    shown = problems[:MAX_SHOWN]
    more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    return (f"{path} breaks the record schema ({len(problems)} problem(s); see README, \"Record schema\"):\n  "
            + "\n  ".join(shown) + more)


def check_baseline(records: Iterable[dict], baseline: str) -> None:
    """A baseline optimizer that no record has is a usage error naming the optimizers present."""
    present = sorted({r["optimizer"] for r in records})
    if present and baseline not in present:
        raise ValueError(f"baseline optimizer {baseline!r} is not in the run; optimizers present: "
                         f"{', '.join(present)}")


def example_hash(example) -> str:
    """A hash of a dspy.Example's inputs and gold (every field but example_id and dspy_*).

    Stable across runs and machines: sorted JSON of the fields, inputs and labels apart (a
    field moved from input to gold is another example). Values JSON cannot write are hashed
    by str(), which must itself be stable (it is for text, numbers, lists and dicts).
    """
    inputs = dict(example.inputs().items())
    gold = {k: v for k, v in example.labels().items() if k != "example_id"}
    blob = json.dumps({"inputs": inputs, "gold": gold}, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def schema_table() -> str:
    """The README's "Record schema" table (results.jsonl fields), from RECORD_FIELDS."""
    rows = ["| field | required | default | meaning |", "|---|---|---|---|"]
    for f in RECORD_FIELDS:
        default = "—" if f.required else (f.default_text or f"`{json.dumps(f.default)}`")
        rows.append(f"| `{f.name}` | {'required' if f.required else 'optional'} | {default} | {f.meaning} |")
    return "\n".join(rows)
