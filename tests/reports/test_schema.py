"""The record schema (SPEC 12): every bad line is exit 2 naming file, line and field; defaults are documented."""
import json
import math
import re
import warnings
from dataclasses import asdict
from pathlib import Path

import dspy
import pytest

from pytest_arbitrage.cli import main
from pytest_arbitrage.record_schema import (
    RECORD_FIELDS, SchemaError, check_line, default_tier, example_hash, schema_table,
)
from pytest_arbitrage.records import Record
from pytest_arbitrage.run_folder import load_run
from pytest_arbitrage.reports import StatsOptions, build_summary
from pytest_arbitrage.reports.synthetic import synthetic_run

README = Path(__file__).resolve().parents[2] / "README.md"


def good(i: int, **fields) -> dict:
    return {"task": "qa", "model": "openai/gpt-4o-mini", "tier": "api", "optimizer": "none",
            "example_id": f"e{i}", "score": 1.0, "correct": True} | fields


def write_run(tmp_path, lines: list, name: str = "run", cells: list | None = None) -> Path:
    """A run folder whose results.jsonl holds `lines` (dicts are dumped, strings written as they are)."""
    folder = tmp_path / name
    folder.mkdir()
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    (folder / "results.jsonl").write_text(text)
    if cells is not None:
        (folder / "cells.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cells))
    return folder


def without(record: dict, name: str) -> dict:
    return {k: v for k, v in record.items() if k != name}


BAD_LINES = [  # (line 3 of 5, the field, words the message must hold)
    (without(good(2), "optimizer"), "optimizer", ["required field is missing"]),
    (without(good(2), "example_id"), "example_id", ["required field is missing"]),
    (good(2, task=None), "task", ["required, got null"]),
    (good(2, score="False", correct=None), "score", ['"False"', "a string"]),
    (good(2, score=True, correct=None), "score", ["must be a number", "true"]),
    ('{"task": "qa", "model": "openai/gpt-4o-mini", "optimizer": "none", "example_id": "e2", "score": NaN}',
     "score", ["nan"]),
    ('{"task": "qa", "model": "openai/gpt-4o-mini", "optimizer": "none", "example_id": "e2", "score": Infinity}',
     "score", ["inf"]),
    (good(2, score=50, correct=None), "score", ["in [0, 1]", "50", "0-100 scale"]),
    (good(2, score=-0.5, correct=None), "score", ["in [0, 1]", "-0.5"]),
    (good(2, tier="API"), "tier", ["'API'", "local, api"]),
    (good(2, score=0.0, correct=True), "correct", ["true", "score is 0.0"]),
    (good(2, score=1.0, correct=False), "correct", ["false", "score is 1.0"]),
    (good(2, axes=["depth", 3]), "axes", ["JSON object"]),
    (good(2, replicate=-1), "replicate", ["integer >= 0", "-1"]),
    (good(2, input_tokens="100"), "input_tokens", ["integer >= 0", '"100"']),
    (good(2, cost_usd=math.inf), "cost_usd", ["finite"]),
    (good(2, example_hash=123), "example_hash", ["string"]),
    ('{"task": "qa", "model": "openai/gpt-4o-mini", "optimizer": "none", "example_id": "e2", "score": 1',
     None, ["not valid JSON"]),
    ('["qa", "openai/gpt-4o-mini"]', None, ["not a JSON object"]),
]


@pytest.mark.parametrize("bad, field, words", BAD_LINES)
@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_bad_line_is_exit_2_naming_file_line_and_field(tmp_path, capsys, bad, field, words, command):
    run = write_run(tmp_path, [good(0), good(1), bad, good(3), good(4)])
    argv = ["report", str(run)] if command == "report" else ["compare", str(write_run(tmp_path, [good(0)], "old")),
                                                            str(run)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{run / 'results.jsonl'}:3:" in err, err
    if field is not None:
        assert f"field {field!r}" in err, err
    for word in words:
        assert word.lower() in err.lower(), (word, err)
    assert not (run / "summary.json").exists()


def test_every_problem_is_listed_with_its_line(tmp_path):
    run = write_run(tmp_path, [good(0), good(1, score=7, correct=None), without(good(2), "model"), good(3, tier="x")])
    with pytest.raises(SchemaError) as exc:
        load_run(run)
    message = str(exc.value)
    assert "3 problem(s)" in message
    assert [int(n) for n in re.findall(r"results\.jsonl:(\d+):", message)] == [2, 3, 4]


def test_duplicates_are_an_error_with_their_count(tmp_path, capsys):
    run = write_run(tmp_path, [good(0), good(1), good(0, score=0.0, correct=False), good(1), good(2)])
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert "results.jsonl:3: 2 duplicate record(s)" in err and "repeats line 1" in err and "'e0'" in err


def test_repeats_with_distinct_replicates_or_axes_are_not_duplicates(tmp_path):
    run = write_run(tmp_path, [good(0), good(0, replicate=1), good(0, axes={"depth": 2})])
    assert len(load_run(run)[0]) == 3


def test_a_torn_last_line_is_skipped_with_a_warning(tmp_path, capsys):
    run = write_run(tmp_path, [good(0), good(1), '{"task": "qa", "model": "openai/gpt-4o-mi'])
    with pytest.warns(UserWarning, match=r"results\.jsonl:3: skipped a torn last line"):
        records, _, _ = load_run(run)
    assert [r["example_id"] for r in records] == ["e0", "e1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(run)]) == 0


def test_cells_jsonl_is_checked_too(tmp_path, capsys):
    cells = [{"task": "qa", "model": "openai/gpt-4o-mini", "optimizer": "none", "tier": "API", "status": "passed"}]
    run = write_run(tmp_path, [good(0)], cells=cells)
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"{run / 'cells.jsonl'}:1: field 'tier'" in err


def test_only_the_required_fields_are_needed_and_defaults_are_filled(tmp_path):
    minimal = [{"task": "qa", "model": m, "optimizer": "none", "example_id": i, "score": 1}
               for m in ("llamacpp/smollm2-135m", "openai/gpt-4o-mini", "openai/my-server@local") for i in (1, 2)]
    records, _, _ = load_run(write_run(tmp_path, minimal))
    assert {r["model"]: r["tier"] for r in records} == {
        "llamacpp/smollm2-135m": "local", "openai/gpt-4o-mini": "api", "openai/my-server@local": "local"}
    first = records[0]
    assert (first["example_id"], first["score"], first["axes"], first["replicate"], first["parse_error"]) == \
        ("1", 1.0, {}, 0, False)
    assert first["correct"] is None and first["cost_usd"] is None and first["input_tokens"] is None
    assert main(["report", str(tmp_path / "run")]) == 0


def test_what_the_harness_writes_passes_and_unknown_fields_are_kept():
    record = asdict(Record(run_id="r", task="qa", model="openai/gpt-4o-mini", tier="api", optimizer="none", seed=0,
                           example_id="e1", score=0.0, correct=False, parse_error=True, error="timeout",
                           latency_ms=12.5, input_tokens=10, output_tokens=2, cost_usd=None, axes={"depth": 1},
                           lm_calls=1, raw_answer="x", answer={"a": "x"}, program_hash="p"))
    record |= {"example_hash": "sha256:0123456789abcdef", "replicate": 2, "from_another_tool": [1, 2]}
    assert check_line(record, RECORD_FIELDS) == record


def test_every_record_field_of_the_harness_is_in_the_schema():
    names = {f.name for f in RECORD_FIELDS}
    assert set(Record.__dataclass_fields__) <= names
    assert {f.name for f in RECORD_FIELDS if f.required} == {"task", "model", "optimizer", "example_id", "score"}


def test_the_readme_table_is_the_schema():
    text = README.read_text(encoding="utf-8")
    assert "## Record schema" in text
    assert schema_table() in text


def test_default_tier_follows_the_spec():
    assert [default_tier(m) for m in ("ollama/phi4", "local/x", "vertex_ai/claude-3@20240620", "openai/m@api",
                                      "llamacpp/x@api")] == ["local", "local", "api", "api", "api"]


# --baseline

def optimizer_run(tmp_path, name="run") -> Path:
    records, cells = synthetic_run(lambda t, m, o: 0.9 if o == "mipro" else 0.5, n=60, tasks=("math",),
                                   optimizers=("zero-shot", "mipro"))
    return write_run(tmp_path, records, name, cells)


def test_a_baseline_not_in_the_run_is_exit_2_listing_the_optimizers(tmp_path, capsys):
    run = optimizer_run(tmp_path)
    assert main(["report", str(run), "--baseline", "zeroshot"]) == 2
    assert "baseline optimizer 'zeroshot' is not in the run; optimizers present: mipro, zero-shot" in \
        capsys.readouterr().err


def test_the_named_baseline_is_the_reference_of_every_delta(tmp_path, capsys):
    run = optimizer_run(tmp_path)
    assert main(["report", str(run), "--baseline", "zero-shot"]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["options"]["baseline"] == "zero-shot"
    assert {r["optimizer"] for r in summary["deltas"]} == {"mipro"}
    assert all(r["ref_id"].endswith("-zero-shot") and r["delta"] > 0.2 for r in summary["deltas"])
    # the scoreboard's api side is the named baseline too (with `none` it had no reference at all)
    assert [r["ref_id"] for r in summary["arbitrage"]] == ["math-openai/gpt-4o-mini-zero-shot"]


def test_without_a_none_cell_the_user_is_told_to_name_the_baseline(tmp_path, capsys):
    run = optimizer_run(tmp_path)
    assert main(["report", str(run)]) == 0
    assert "name the baseline with --baseline (optimizers present: mipro, zero-shot)" in capsys.readouterr().err


# example_hash

def example(**fields) -> dspy.Example:
    return dspy.Example(**fields).with_inputs("question")


def test_example_hash_covers_inputs_and_gold_but_not_the_id():
    base = example(question="2+2?", answer="4", example_id="a")
    assert example_hash(base) == example_hash(example(answer="4", question="2+2?", example_id="b"))
    assert example_hash(base) != example_hash(example(question="2+2?", answer="5", example_id="a"))
    assert example_hash(base) != example_hash(example(question="2+3?", answer="4", example_id="a"))
    moved = dspy.Example(question="2+2?", answer="4").with_inputs("question", "answer")
    assert example_hash(base) != example_hash(moved)  # a gold field turned input is another example
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", example_hash(base))


def test_example_hash_is_stable_across_runs():
    # A literal: the hash must not change between processes, machines or releases.
    assert example_hash(example(question="2+2?", answer="4", example_id="a")) == "sha256:" + _expected_hash()


def _expected_hash() -> str:
    import hashlib

    blob = json.dumps({"inputs": {"question": "2+2?"}, "gold": {"answer": "4"}}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def test_equal_ids_with_different_hashes_are_never_paired(tmp_path, capsys):
    old = [good(i, example_hash=f"h{i}", score=1.0) for i in range(30)]
    new = [good(i, example_hash=f"other{i}", score=0.0, correct=False) for i in range(30)]
    assert main(["compare", str(write_run(tmp_path, old, "old")), str(write_run(tmp_path, new, "new"))]) == 3
    out = capsys.readouterr().out
    assert "examples differ by example_hash" in out and "regression" not in out.split("against")[-1]


def test_mismatched_hashes_are_dropped_and_counted(tmp_path):
    old = [good(i, example_hash=f"h{i}") for i in range(40)]
    new = [good(i, example_hash=f"h{i}" if i < 30 else "changed") for i in range(40)]
    rows = build_summary(new, [], meta={}, options=StatsOptions(baseline_records=old))["comparison"]["rows"]
    assert (rows[0]["n_paired"], rows[0]["n_hash_mismatch"]) == (30, 10)


def test_a_cell_info_without_tier_keeps_the_records_tier(tmp_path):
    cells = [{"task": "qa", "model": "openai/my-server", "optimizer": "none", "status": "passed"}]
    run = write_run(tmp_path, [good(0, model="openai/my-server", tier="local")], cells=cells)
    assert main(["report", str(run)]) == 0
    assert json.loads((run / "summary.json").read_text())["cells"][0]["tier"] == "local"
