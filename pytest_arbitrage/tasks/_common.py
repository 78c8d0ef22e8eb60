"""Loading shared by every task: offline sets, the Hugging Face hub, local JSONL files.

A task describes its data once with a `DataSpec` (its input fields, a generator for
its offline records, and optionally a `HubSpec`), and `make_loader(spec)` gives the
`Task.load` function. A record is a flat dict of the task's fields; it becomes a
`dspy.Example` with a content-derived `example_id`.
"""
from __future__ import annotations

import json
import random
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import dspy

from pytest_arbitrage.metrics import label_score, yes_no_score
from pytest_arbitrage.tasks.base import DataSource, Score, Splits, stable_id

SEED = 0
Record = dict[str, Any]


@dataclass(frozen=True)
class HubSpec:
    """A Hugging Face dataset: `convert` maps one row to a record (None skips it).

    With `test_split=None` the one split is partitioned into train/dev/test.
    """

    path: str
    convert: Callable[[Mapping[str, Any]], Record | None]
    name: str | None = None
    train_split: str = "train"
    test_split: str | None = "test"
    train_size: int = 200
    dev_size: int = 200


@dataclass(frozen=True)
class DataSpec:
    """A task's data: `offline()` returns records; `sizes` are its train/dev/test sizes."""

    task: str
    inputs: tuple[str, ...]
    offline: Callable[[], list[Record]]
    sizes: tuple[int, int, int]
    hub: HubSpec | None = None
    stratify: str | None = None


def make_loader(spec: DataSpec) -> Callable[[DataSource], Splits]:
    def load(source: DataSource | None = None) -> Splits:
        source = source or DataSource()
        if source.kind == "offline":
            return offline_splits(spec)
        if source.kind == "hub":
            return hub_splits(spec)
        if source.kind == "file":
            return file_splits(spec, source.path)
        raise ValueError(f"unknown data source kind {source.kind!r}; valid kinds: offline, hub, file")

    return load


# ---------------------------------------------------------------- records -> examples


def to_example(task: str, record: Mapping[str, Any], inputs: Sequence[str]) -> dspy.Example:
    fields = {k: v for k, v in record.items() if k not in ("example_id", "split")}
    example_id = record.get("example_id") or stable_id(task, fields)
    return dspy.Example(**fields, example_id=str(example_id)).with_inputs(*inputs)


def to_examples(spec: DataSpec, records: Iterable[Mapping[str, Any]]) -> list[dspy.Example]:
    """Examples with unique ids (later duplicates of the same content are dropped)."""
    seen: dict[str, dspy.Example] = {}
    for record in records:
        example = to_example(spec.task, record, spec.inputs)
        seen.setdefault(example.example_id, example)
    return list(seen.values())


def partition(
    examples: Sequence[dspy.Example], sizes: Sequence[int], *, stratify: str | None = None, seed: int = SEED
) -> list[list[dspy.Example]]:
    """Seeded shuffle (class-interleaved when `stratify` names a label), then consecutive slices."""
    ordered = sorted(examples, key=lambda e: e.example_id)
    random.Random(seed).shuffle(ordered)
    if stratify:
        ordered = _interleave(ordered, key=lambda e: str(e[stratify]))
    if sum(sizes) > len(ordered):
        raise ValueError(f"need {sum(sizes)} examples for splits {tuple(sizes)}, have {len(ordered)}")
    out, start = [], 0
    for size in sizes:
        out.append(ordered[start : start + size])
        start += size
    return out


def _interleave(items: list, *, key: Callable) -> list:
    buckets: dict[str, list] = {}
    for item in items:
        buckets.setdefault(key(item), []).append(item)
    queues = [buckets[k] for k in sorted(buckets)]
    out = []
    while any(queues):
        out.extend(q.pop(0) for q in queues if q)
    return out


def fractions(n: int) -> tuple[int, int, int]:
    """Train/dev/test sizes for n examples without fixed splits: 25% / 25% / 50%."""
    train = dev = n // 4
    return train, dev, n - train - dev


# ---------------------------------------------------------------- the three sources

_OFFLINE_CACHE: dict[str, list[dspy.Example]] = {}


def offline_examples(spec: DataSpec) -> list[dspy.Example]:
    if spec.task not in _OFFLINE_CACHE:
        _OFFLINE_CACHE[spec.task] = to_examples(spec, spec.offline())
    return _OFFLINE_CACHE[spec.task]


def offline_splits(spec: DataSpec, origin: str = "offline") -> Splits:
    train, dev, test = partition(offline_examples(spec), spec.sizes, stratify=spec.stratify)
    return Splits(train=train, dev=dev, test=test, origin=origin)


def hub_splits(spec: DataSpec) -> Splits:
    """Hugging Face `datasets`; any failure (no network, no such dataset) falls back to offline."""
    if spec.hub is None:
        warnings.warn(f"task {spec.task!r} has no Hugging Face dataset; using its offline set", stacklevel=3)
        return offline_splits(spec, origin="offline (no hub dataset)")
    try:
        return load_hub(spec, spec.hub)
    except Exception as exc:  # noqa: BLE001 - any hub trouble means: use the offline set
        warnings.warn(
            f"task {spec.task!r}: could not load {spec.hub.path!r} from the Hugging Face hub "
            f"({type(exc).__name__}: {exc}); using the offline set instead",
            stacklevel=3,
        )
        return offline_splits(spec, origin=f"offline (hub unavailable: {spec.hub.path})")


def load_hub(spec: DataSpec, hub: HubSpec) -> Splits:
    import datasets

    args = (hub.path, hub.name) if hub.name else (hub.path,)
    data = datasets.load_dataset(*args)
    pool = _convert_rows(spec, hub, data[hub.train_split])
    origin = f"hub:{hub.path}" + (f"/{hub.name}" if hub.name else "")
    if hub.test_split is None:
        train, dev, test = partition(pool, fractions(len(pool)))
        return Splits(train=train, dev=dev, test=test, origin=origin)
    test_pool = _convert_rows(spec, hub, data[hub.test_split])
    train_size = min(hub.train_size, len(pool) // 2)
    train, dev = partition(pool, (train_size, min(hub.dev_size, len(pool) - train_size)))
    (test,) = partition(test_pool, (len(test_pool),))
    return Splits(train=train, dev=dev, test=test, origin=origin)


def _convert_rows(spec: DataSpec, hub: HubSpec, rows: Any) -> list[dspy.Example]:
    """Rows of one split; each ClassLabel column `c` also gets its label name as `c_name`."""
    names = {k: f for k, f in getattr(rows, "features", {}).items() if hasattr(f, "int2str")}
    named = ({**row, **{f"{k}_name": f.int2str(row[k]) for k, f in names.items()}} for row in rows)
    return to_examples(spec, (r for r in map(hub.convert, named) if r is not None))


def file_splits(spec: DataSpec, path: Path | str | None) -> Splits:
    """A local JSONL file with the task's fields; an optional `split` field (train/dev/test)
    is honoured, otherwise a seeded 25/25/50 partition is used. Ids are made when absent."""
    if path is None:
        raise ValueError(f"task {spec.task!r}: a file data source needs a path")
    records = read_jsonl(path)
    missing = [k for k in spec.inputs if records and k not in records[0]]
    if missing:
        raise ValueError(f"{path}: records lack the input fields {missing} of task {spec.task!r}")
    origin = f"file:{path}"
    if records and all("split" in r for r in records):
        by_split = {name: to_examples(spec, [r for r in records if r["split"] == name]) for name in ("train", "dev", "test")}
        return Splits(train=by_split["train"], dev=by_split["dev"], test=by_split["test"], origin=origin)
    examples = to_examples(spec, records)
    train, dev, test = partition(examples, fractions(len(examples)))
    return Splits(train=train, dev=dev, test=test, origin=origin)


def read_jsonl(path: Path | str) -> list[Record]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ---------------------------------------------------------------- generation helpers


def field_text(pred: Any, name: str) -> str:
    """A prediction's output field as text ("" when absent)."""
    value = getattr(pred, name, None) if not isinstance(pred, Mapping) else pred.get(name)
    return "" if value is None else str(value)


def answer_text(pred: Any, name: str) -> str:
    """The answer field, or the reasoning when a model put everything there and left it empty."""
    return field_text(pred, name).strip() or field_text(pred, "reasoning")


def gold_bool(value: Any) -> bool:
    """Gold yes/no labels may be stored as bools or as "yes"/"no"/"true"/"false" text."""
    return value if isinstance(value, bool) else str(value).strip().lower() in ("yes", "true", "1")


def yes_no_scorer(name: str) -> Callable[[dspy.Example, Any], Score]:
    """Accuracy of the first yes/no word of output field `name` against the gold field of that name."""

    def score(example: dspy.Example, pred: Any) -> Score:
        return yes_no_score(answer_text(pred, name), gold_bool(example[name]))

    return score


def label_scorer(name: str, labels: Sequence[str]) -> Callable[[dspy.Example, Any], Score]:
    """Accuracy of the first label word of output field `name` against the gold field of that name."""

    def score(example: dspy.Example, pred: Any) -> Score:
        return label_score(field_text(pred, name), example[name], labels)

    return score


def unique(records: Iterable[Record], key: str) -> list[Record]:
    """Keep the first record for each value of `key` (generators use it to deduplicate)."""
    seen: dict[Any, Record] = {}
    for record in records:
        seen.setdefault(record[key], record)
    return list(seen.values())
