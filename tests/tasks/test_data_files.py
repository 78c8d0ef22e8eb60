"""Data files (`--arb-data=TASK=FILE`) are checked whole, up front, with file, line and field named."""
import importlib.util
import json
from pathlib import Path

import pytest

from pytest_arbitrage.tasks import DataFileError, DataSource, all_tasks, check_data_file, get_task
from pytest_arbitrage.tasks._common import read_jsonl, spec_of


# The worked example registers itself when run, at test time (test_tasks.py parametrizes over the
# registry at collection and expects only built-in tasks).
TASKS = sorted({*all_tasks(), "weather_feel"})


@pytest.fixture(autouse=True, scope="module")
def worked_example():
    path = Path(__file__).parents[2] / "benchmarks" / "example_task.py"
    spec = importlib.util.spec_from_file_location("example_task_for_data_files", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

# What the metrics read, besides the inputs: chosen per task, checked against the specs below.
GOLD = {
    "agent_monitor": ("state",), "agentic": ("answer",), "analysis": ("answer",), "arithmetic": ("answer",),
    "classification": ("intent",), "code": ("entry_point", "tests", "code"), "extraction": ("entities",),
    "heart_disease": ("diagnosis",), "math": ("answer",), "qa": ("answer",), "rag": ("answer", "answers"),
    "sentiment": ("sentiment",), "synthesis": ("summary",), "weather_feel": ("feel",),
}


def offline_records(name: str) -> list[dict]:
    """The task's own offline records, each with the id the loader gives it."""
    return [dict(example) for example in get_task(name).load(DataSource()).train[:6]]


def write(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def error_of(name: str, path: Path) -> str:
    with pytest.raises(DataFileError) as exc:
        check_data_file(name, path)
    with pytest.raises(DataFileError):  # the loader runs the same check: a bad file never loads
        get_task(name).load(DataSource(kind="file", path=path))
    return str(exc.value)


def test_every_task_has_the_gold_fields_its_metric_reads():
    assert set(GOLD) == set(TASKS)
    for name in TASKS:
        assert spec_of(name).gold_fields() == GOLD[name], name


@pytest.mark.parametrize("name", TASKS)
def test_a_tasks_own_records_pass_the_check_and_load(name, tmp_path):
    records = offline_records(name)
    path = write(tmp_path / "good.jsonl", records)
    check_data_file(name, path)
    splits = get_task(name).load(DataSource(kind="file", path=path))
    loaded = splits.train + splits.dev + splits.test
    assert sorted(e.example_id for e in loaded) == sorted(r["example_id"] for r in records)
    assert splits.origin == f"file:{path}"


def corruptions(name: str) -> list[tuple[str, callable, int, str]]:
    """(label, how to corrupt the lines, the bad line, what the message must name)."""
    spec = spec_of(name)
    first_input, first_gold = spec.inputs[0], spec.gold_fields()[0]

    def drop(field):
        return lambda lines: lines[:2] + [json.dumps({k: v for k, v in json.loads(lines[2]).items() if k != field})] + lines[3:]

    def set_field(field, value):
        return lambda lines: lines[:2] + [json.dumps({**json.loads(lines[2]), field: value})] + lines[3:]

    return [
        ("garbage line", lambda lines: lines[:2] + ["{not json"] + lines[3:], 3, "not valid JSON"),
        ("not an object", lambda lines: lines[:2] + ['["a", "list"]'] + lines[3:], 3, "JSON object"),
        ("missing input", drop(first_input), 3, f"missing input field {first_input!r}"),
        ("missing gold", drop(first_gold), 3, f"missing gold field {first_gold!r}"),
        ("input is a list", set_field(first_input, ["a", "b"]), 3, f"field {first_input!r}"),
        ("gold is null", set_field(first_gold, None), 3, f"field {first_gold!r}"),
        ("bad split", lambda lines: [json.dumps({**json.loads(line), "split": "validation"}) for line in lines], 1,
         "field 'split'"),
        ("duplicate id", lambda lines: lines[:4] + [json.dumps({**json.loads(lines[4]), "example_id":
                                                               json.loads(lines[1])["example_id"]})] + lines[5:],
         5, "line 2"),
    ]


@pytest.mark.parametrize("name", TASKS)
def test_each_corruption_names_file_line_and_field(name, tmp_path):
    good = [json.dumps(r) for r in offline_records(name)]
    for label, corrupt, line, fragment in corruptions(name):
        path = tmp_path / f"{label.replace(' ', '_')}.jsonl"
        path.write_text("\n".join(corrupt(good)) + "\n", encoding="utf-8")
        message = error_of(name, path)
        assert str(path) in message, label
        assert f"line {line}: " in message and fragment in message, (label, message)


def test_blank_lines_are_fine_and_line_numbers_count_them(tmp_path):
    lines = [json.dumps(r) for r in offline_records("sentiment")]
    path = tmp_path / "blanks.jsonl"
    path.write_text("\n" + lines[0] + "\n\n   \n" + "\n".join(lines[1:]) + "\n\n{oops\n", encoding="utf-8")
    assert "line 11: not valid JSON" in error_of("sentiment", path)
    path.write_text("\n\n".join(lines) + "\n\n", encoding="utf-8")
    check_data_file("sentiment", path)


@pytest.mark.parametrize("text", ["", "\n  \n\n"])
def test_an_empty_file_is_an_error(tmp_path, text):
    path = tmp_path / "empty.jsonl"
    path.write_text(text)
    assert "no records" in error_of("sentiment", path)


def test_a_missing_file_is_a_data_file_error(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        check_data_file("sentiment", tmp_path / "nope.jsonl")


def test_identical_records_without_ids_are_duplicates_too(tmp_path):
    row = {"text": "the soup was fine", "sentiment": "neutral"}
    path = write(tmp_path / "twice.jsonl", [row, {"text": "a bad day", "sentiment": "negative"}, row])
    assert "line 3: same fields as line 1" in error_of("sentiment", path)


def test_a_split_on_only_some_lines_is_an_error(tmp_path):
    rows = [{"text": f"item {i} arrived", "sentiment": "neutral"} for i in range(4)]
    path = write(tmp_path / "some.jsonl", [{**rows[0], "split": "train"}, *rows[1:]])
    assert "line 2: missing field 'split'" in error_of("sentiment", path)


@pytest.mark.parametrize("example_id", [None, "", ["x"], True])
def test_a_bad_example_id_is_an_error(tmp_path, example_id):
    path = write(tmp_path / "ids.jsonl", [{"text": "ok", "sentiment": "neutral", "example_id": example_id}])
    assert "line 1: field 'example_id'" in error_of("sentiment", path)


def test_wrong_kind_names_the_expected_kind(tmp_path):
    rows = [{"text": 7, "sentiment": "neutral"}, {"context": "c", "question": "q", "answer": "a", "answers": "a"}]
    assert "field 'text' must be text, got 7" in error_of("sentiment", write(tmp_path / "s.jsonl", rows[:1]))
    assert "field 'answers' must be a list of text" in error_of("rag", write(tmp_path / "r.jsonl", rows[1:]))


def test_many_problems_are_listed_up_to_a_few(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_text("nope\n" * 9)
    message = error_of("sentiment", path)
    assert [f"line {n}: " in message for n in range(1, 10)] == [True] * 5 + [False] * 4
    assert "... and 4 more" in message


def test_an_unknown_task_is_a_key_error(tmp_path):
    with pytest.raises(KeyError, match="valid tasks"):
        check_data_file("no_such_task", write(tmp_path / "x.jsonl", [{}]))


def test_read_jsonl_names_the_file_and_line(tmp_path):
    path = tmp_path / "raw.jsonl"
    path.write_text('{"a": 1}\n\n[1]\n{"b": 2}\n')
    with pytest.raises(DataFileError) as exc:
        read_jsonl(path)
    assert str(path) in str(exc.value) and "line 3: a JSON object" in str(exc.value)
    path.write_text('{"a": 1}\n\n{"b": 2}\n')
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
