"""Loading shared by every task: offline sets, the Hugging Face hub, local JSONL files.

A task describes its data once with a `DataSpec` (its input fields, a generator for
its offline records, and optionally a `HubSpec`), and `make_loader(spec)` gives the
`Task.load` function. A record is a flat dict of the task's fields; it becomes a
`dspy.Example` with a content-derived `example_id`.
"""
from __future__ import annotations

import json
import random
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import dspy

from pytest_arbitrage.metrics import label_score, yes_no_score
from pytest_arbitrage.tasks.base import DataSource, DataUnavailable, Score, Splits, stable_id

SEED = 0
Record = dict[str, Any]


# The branch where the hub keeps a parquet conversion of every dataset, loading scripts included.
PARQUET_BRANCH = "refs/convert/parquet"


@dataclass(frozen=True)
class HubSpec:
    """A Hugging Face dataset: `convert` maps one row to a record (None skips it).

    `revision` pins a branch, tag or commit (None: the main branch). With
    `test_split=None` the one split is partitioned into train/dev/test.
    """

    path: str
    convert: Callable[[Mapping[str, Any]], Record | None]
    name: str | None = None
    train_split: str = "train"
    test_split: str | None = "test"
    train_size: int = 200
    dev_size: int = 200
    revision: str | None = None

    @property
    def label(self) -> str:
        return self.path + (f"/{self.name}" if self.name else "")


@dataclass(frozen=True)
class DataSpec:
    """A task's data: `offline()` returns records; `sizes` are its train/dev/test sizes.

    `gold` names the fields the metric reads and labeled demos show; by default, the
    fields of the offline records that are not inputs.
    """

    task: str
    inputs: tuple[str, ...]
    offline: Callable[[], list[Record]]
    sizes: tuple[int, int, int]
    hub: HubSpec | None = None
    stratify: str | None = None
    gold: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _SPECS[self.task] = self

    def gold_fields(self) -> tuple[str, ...]:
        if self.gold is not None:
            return self.gold
        return tuple(k for k in _offline_sample(self) if k not in self.inputs and k != "example_id")


# Every DataSpec by its task name, for tasks with a load function of their own (code).
_SPECS: dict[str, DataSpec] = {}


def make_loader(spec: DataSpec) -> Callable[[DataSource], Splits]:
    def load(source: DataSource | None = None) -> Splits:
        source = source or DataSource()
        if source.kind == "offline":
            return offline_splits(spec)
        if source.kind in HUB_KINDS:
            return hub_splits(spec, strict=source.kind == "hub")
        if source.kind == "file":
            return file_splits(spec, source.path)
        kinds = ", ".join(("offline", *HUB_KINDS, "file"))
        raise ValueError(f"unknown data source kind {source.kind!r}; valid kinds: {kinds}")

    load.data_spec = spec
    return load


# ---------------------------------------------------------------- records -> examples


def to_example(task: str, record: Mapping[str, Any], inputs: Sequence[str]) -> dspy.Example:
    return dspy.Example(**_fields(record), example_id=example_id_of(task, record)).with_inputs(*inputs)


def _fields(record: Mapping[str, Any]) -> Record:
    return {k: v for k, v in record.items() if k not in ("example_id", "split")}


def example_id_of(task: str, record: Mapping[str, Any]) -> str:
    """The record's own `example_id`, else one derived from its fields."""
    return str(record.get("example_id") or stable_id(task, _fields(record)))


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


HUB_KINDS = ("hub", "hub-or-offline")
# A stratified split is drawn from this many times its size, so every class has examples to interleave.
STRATIFY_POOL = 4
SCRIPTS_REFUSED = "Dataset scripts are no longer supported"
COMMIT = re.compile(r"[0-9a-f]{40}")
# What each task's hub data was actually loaded from in this process (see `hub_revisions`).
_REVISIONS: dict[str, str] = {}


def hub_revisions() -> dict[str, str]:
    """Task -> "dataset@revision (commit ...)" for every hub dataset loaded in this process."""
    return dict(_REVISIONS)


def hub_tasks() -> list[str]:
    """The tasks whose own DataSpec names a hub dataset."""
    from pytest_arbitrage.tasks import all_tasks  # the registry imports the task modules, which import us

    specs = {name: getattr(task.load, "data_spec", None) or _SPECS.get(name) for name, task in all_tasks().items()}
    return [name for name, spec in specs.items() if spec and spec.task == name and spec.hub]


def hub_splits(spec: DataSpec, *, strict: bool = True) -> Splits:
    """Hugging Face `datasets`. When it cannot be loaded: DataUnavailable (strict), else the
    offline set with a warning and an origin that says so."""
    if spec.hub is None:  # the offline set is the task's only data: nothing is substituted
        warnings.warn(f"task {spec.task!r} has no Hugging Face dataset; using its offline set", stacklevel=3)
        return offline_splits(spec, origin="offline (no hub dataset)")
    try:
        return load_hub(spec, spec.hub)
    except DataUnavailable as exc:
        if strict:
            raise
        warnings.warn(f"{exc.reason} Using the offline set instead.", stacklevel=3)
        return offline_splits(spec, origin=f"offline (hub unavailable: {spec.hub.path})")


def load_hub(spec: DataSpec, hub: HubSpec) -> Splits:
    """The hub splits; any failure (no network, no such dataset or revision, rows the converter
    cannot read) is a DataUnavailable that says what to do."""
    revision = hub.revision or "main"
    try:
        data, revision = fetch_hub(hub)
        train, dev, test = _hub_partition(spec, hub, data)
    except Exception as exc:  # noqa: BLE001 - every cause ends the same way: the data is not there
        raise DataUnavailable(
            f"task {spec.task!r}: could not load {hub.label}@{revision} from the Hugging Face hub "
            f"({type(exc).__name__}: {exc}). Run `python -m pytest_arbitrage data fetch {spec.task}` where the "
            "hub is reachable (later runs then work offline), or pass --arb-data=hub-or-offline to use the "
            "offline set instead."
        ) from exc
    loaded = f"{hub.label}@{revision}" + (f" (commit {commit})" if (commit := resolved_commit(data)) else "")
    _REVISIONS[spec.task] = loaded
    return Splits(train=train, dev=dev, test=test, origin=f"hub:{loaded}")


def fetch_hub(hub: HubSpec) -> tuple[Any, str]:
    """The DatasetDict and the revision it came from. datasets >= 4 refuses repos that only ship a
    loading script; such a repo is retried once on its parquet conversion (same rows and features)."""
    try:
        return _load_dataset(hub, hub.revision), hub.revision or "main"
    except RuntimeError as exc:
        # A pinned revision is never swapped for another one: that would load data nobody asked for.
        if SCRIPTS_REFUSED not in str(exc) or hub.revision not in (None, "main"):
            raise
    return _load_dataset(hub, PARQUET_BRANCH), PARQUET_BRANCH


def _load_dataset(hub: HubSpec, revision: str | None) -> Any:
    import datasets

    if revision == PARQUET_BRANCH:
        # The conversion keeps each config in a folder of its own and has no card naming the configs.
        return datasets.load_dataset(hub.path, data_dir=hub.name or "default", revision=revision)
    return datasets.load_dataset(hub.path, hub.name, revision=revision)


def resolved_commit(data: Any) -> str | None:
    """The commit `datasets` loaded, where it says: its cache keeps a hub dataset's arrow files in a
    folder named by the commit hash. Best effort, never a network call."""
    for split in data.values():
        for cache_file in getattr(split, "cache_files", None) or ():
            folder = Path(cache_file["filename"]).parent.name
            if COMMIT.fullmatch(folder):
                return folder
    return None


def _hub_partition(spec: DataSpec, hub: HubSpec, data: Any) -> list[list[dspy.Example]]:
    rows = data[hub.train_split]
    if hub.test_split is None:  # one split, partitioned whole: nothing to sample
        pool = _nonempty(_convert_rows(spec, hub, rows), rows, hub.train_split)
        return partition(pool, fractions(len(pool)), stratify=spec.stratify)
    want = (hub.train_size + hub.dev_size) * (STRATIFY_POOL if spec.stratify else 1)
    pool = _nonempty(_sample_rows(spec, hub, rows, want), rows, hub.train_split)
    train_size = min(hub.train_size, len(pool) // 2)
    train, dev = partition(pool, (train_size, min(hub.dev_size, len(pool) - train_size)), stratify=spec.stratify)
    test_rows = data[hub.test_split]
    test_pool = _nonempty(_convert_rows(spec, hub, test_rows), test_rows, hub.test_split)
    (test,) = partition(test_pool, (len(test_pool),))
    return [train, dev, test]


def _nonempty(pool: list[dspy.Example], rows: Any, split: str) -> list[dspy.Example]:
    # No example at all means the rows are not what the converter expects (a changed schema).
    if not pool:
        raise ValueError(f"none of the {len(rows)} rows of split {split!r} could be converted "
                         f"(its columns: {', '.join(rows.column_names)})")
    return pool


def _sample_rows(spec: DataSpec, hub: HubSpec, rows: Any, want: int) -> list[dspy.Example]:
    """Rows converted in a seeded random order until `want` distinct examples (or the rows run out):
    a big train split (204k for XSum) is never converted whole."""
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    pool: dict[str, dspy.Example] = {}
    for start in range(0, len(order), want):
        for example in _convert_rows(spec, hub, rows.select(order[start : start + want])):
            pool.setdefault(example.example_id, example)
        if len(pool) >= want:
            break
    return list(pool.values())


def _convert_rows(spec: DataSpec, hub: HubSpec, rows: Any) -> list[dspy.Example]:
    """Rows of one split; each ClassLabel column `c` also gets its label name as `c_name`."""
    names = {k: f for k, f in getattr(rows, "features", {}).items() if hasattr(f, "int2str")}
    named = ({**row, **{f"{k}_name": f.int2str(row[k]) for k, f in names.items()}} for row in rows)
    return to_examples(spec, (r for r in map(hub.convert, named) if r is not None))


def file_splits(spec: DataSpec, path: Path | str | None) -> Splits:
    """A local JSONL file with the task's fields (checked whole first, see `validated_records`);
    an optional `split` field (train/dev/test) is honoured, otherwise a seeded 25/25/50
    partition is used. Ids are made when absent."""
    if path is None:
        raise ValueError(f"task {spec.task!r}: a file data source needs a path")
    records = validated_records(spec, path)
    origin = f"file:{path}"
    if all("split" in r for r in records):
        by_split = {name: to_examples(spec, [r for r in records if r["split"] == name]) for name in SPLITS}
        return Splits(train=by_split["train"], dev=by_split["dev"], test=by_split["test"], origin=origin)
    examples = to_examples(spec, records)
    train, dev, test = partition(examples, fractions(len(examples)))
    return Splits(train=train, dev=dev, test=test, origin=origin)


def read_jsonl(path: Path | str) -> list[Record]:
    """The JSON objects of a JSONL file (blank lines skipped); DataFileError names any bad line."""
    numbered, problems = _parse_lines(path)
    _raise_on(problems, f"{path}: bad JSONL file")
    return [record for _, record in numbered]


# ---------------------------------------------------------------- checking data files


class DataFileError(ValueError):
    """A task's data file is unusable; the message names the file, the lines and the fields."""


SPLITS = ("train", "dev", "test")
MAX_PROBLEMS = 5
Problem = tuple[int, str]  # (1-based line number, 0 for the whole file; what is wrong)


def check_data_file(task_name: str, path: Path | str) -> None:
    """Raise DataFileError unless `path` is a usable JSONL data file for the task (KeyError: no such task).

    Cheap and offline, so a bad file is found before any LM call.
    """
    validated_records(spec_of(task_name), path)


def spec_of(task_name: str) -> DataSpec:
    from pytest_arbitrage.tasks import get_task  # the registry imports the task modules, which import us

    task = get_task(task_name)
    spec = getattr(task.load, "data_spec", None) or _SPECS.get(task_name)
    if spec is None:
        raise DataFileError(f"task {task_name!r} has no DataSpec, so its data files cannot be checked")
    return spec


def validated_records(spec: DataSpec, path: Path | str) -> list[Record]:
    """Every record of a task's JSONL file, after checking all of them: JSON objects with
    each input and gold field of the kind the offline records use, valid splits, unique ids."""
    numbered, problems = _parse_lines(path)
    if not numbered and not problems:
        problems.append((0, "no records: the file is empty or has only blank lines"))
    schema = _schema(spec)
    for number, record in numbered:
        problems += [(number, text) for text in _record_problems(spec, schema, record)]
    problems += _duplicate_ids(spec.task, numbered) + _mixed_splits(numbered)
    _raise_on(problems, f"{path}: bad data file for task {spec.task!r}")
    return [record for _, record in numbered]


def _parse_lines(path: Path | str) -> tuple[list[tuple[int, Record]], list[Problem]]:
    try:
        lines = Path(path).read_bytes().splitlines()  # bytes: only \n, \r split, never U+2028 in a string
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    numbered, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except UnicodeDecodeError:
            problems.append((number, "not UTF-8 text"))
            continue
        if isinstance(value, dict):
            numbered.append((number, value))
        else:
            problems.append((number, f"a JSON object {{...}} is expected, got {_preview(value)}"))
    return numbered, problems


def _schema(spec: DataSpec) -> dict[str, str | None]:
    """Each input and gold field with the kind of value our offline records hold (None: unknown)."""
    sample = _offline_sample(spec)
    fields = (*spec.inputs, *spec.gold_fields())
    return {name: _kind(sample[name]) if name in sample else None for name in fields}


def _offline_sample(spec: DataSpec) -> Record:
    examples = offline_examples(spec)
    return dict(examples[0]) if examples else {}


def _record_problems(spec: DataSpec, schema: dict[str, str | None], record: Record) -> list[str]:
    problems = []
    for name, kind in schema.items():
        role = "input" if name in spec.inputs else "gold"
        if name not in record:
            names = spec.inputs if role == "input" else spec.gold_fields()
            problems.append(f"missing {role} field {name!r} (the {role} fields of task {spec.task!r}: {', '.join(names)})")
        elif kind is not None and _kind(record[name]) != kind:
            problems.append(f"field {name!r} must be {kind}, got {_preview(record[name])}")
    if "split" in record and record["split"] not in SPLITS:
        problems.append(f"field 'split' must be one of {', '.join(SPLITS)}, got {_preview(record['split'])}")
    if "example_id" in record and (record["example_id"] == "" or _kind(record["example_id"]) not in ("text", "a number")):
        problems.append(f"field 'example_id' must be non-empty text or a number, got {_preview(record['example_id'])}")
    return problems


def _duplicate_ids(task: str, numbered: list[tuple[int, Record]]) -> list[Problem]:
    # Examples are keyed by id: a repeated id silently leaves one example where the file has two.
    first: dict[str, int] = {}
    problems = []
    for number, record in numbered:
        example_id = example_id_of(task, record)
        if example_id not in first:
            first[example_id] = number
        elif "example_id" in record:
            problems.append((number, f"field 'example_id': {example_id!r} is also the id on line {first[example_id]}"))
        else:
            problems.append((number, f"same fields as line {first[example_id]} (both get example_id {example_id!r})"))
    return problems


def _mixed_splits(numbered: list[tuple[int, Record]]) -> list[Problem]:
    # A `split` on only some lines would be silently ignored (the file is then partitioned).
    tagged = [number for number, record in numbered if "split" in record]
    untagged = [number for number, record in numbered if "split" not in record]
    if tagged and untagged:
        return [(untagged[0], f"missing field 'split' (line {tagged[0]} has one: give every line a split, or none)")]
    return []


def _kind(value: Any) -> str:
    """The kind of a JSON value, as field rules and messages name it."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list of text" if value and all(isinstance(v, str) for v in value) else "a list"
    return "an object" if isinstance(value, dict) else "null"


def _preview(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _raise_on(problems: list[Problem], headline: str) -> None:
    if not problems:
        return
    problems = sorted(problems, key=lambda p: p[0])
    lines = [f"  line {number}: {text}" if number else f"  {text}" for number, text in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"  ... and {len(problems) - MAX_PROBLEMS} more")
    raise DataFileError(f"{headline}:\n" + "\n".join(lines))


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
