"""`python -m pytest_arbitrage merge`: shards of one sweep give the unsharded summary; refusals."""
import json

import pytest

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.cli import main
from pytest_arbitrage.merge import Shard, merge_cell, merge_records, missing_shards
from pytest_arbitrage.reports import StatsOptions
from pytest_arbitrage.reports.synthetic import synthetic_run
from pytest_arbitrage.run_folder import finish_run

OPTIONS = {"models": ["llamacpp/smollm2-135m", "openai/gpt-4o-mini"], "optimizers": ["none", "bootstrap"],
           "tasks": ["math", "qa"], "n": 80, "seed": 0, "data": "offline", "alpha": 0.05, "correction": "holm",
           "include_partial": False, "report_dir": "reports", "cache_dir": ".arbitrage-cache", "threads": 1,
           "shard": None}


def true_score(task, model, optimizer):
    return {"none": 0.45, "bootstrap": 0.75}[optimizer] - (0.2 if model.startswith("llamacpp") else 0.0)


def meta(run_id, *, options=None, **fields):
    return {"run_id": run_id, "started": f"2025-01-01T00:00:0{run_id[-1]}", "finished": "2025-01-01T01:00:00",
            "options": OPTIONS | (options or {}), "versions": {"pytest-arbitrage": "0.1.0", "dspy": "3.0"},
            "hub_revisions": {"math": "org/math@main (commit 1)"}, "git_commit": "abc123"} | fields


def write_run(folder, records, cells, run_meta):
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "cells.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cells))
    (folder / "summary.json").write_text(json.dumps({"meta": run_meta}))
    return folder


def sweep():
    records, cells = synthetic_run(true_score, run_id="full", n=80, seed=3)
    for cell in cells:
        cell |= {"compile_seconds": 2.0, "eval_seconds": 4.0, "data_origin": "offline", "n_requested": 80}
    return records, cells


def split(records, cells):
    """Shard 1: the first four cells whole and the even examples of the rest; shard 2: the odd
    examples of the rest, plus five of shard 1's records again (duplicates)."""
    whole = {CellKey.of(c) for c in cells[:4]}
    one = [r for r in records if CellKey.of(r) in whole or int(r["example_id"].split("-")[1]) % 2 == 0]
    two = [r for r in records if r not in one] + one[-5:]
    cells_one = [c | ({} if CellKey.of(c) in whole else {"eval_seconds": 1.5}) for c in cells]
    cells_two = [c | {"eval_seconds": 2.5, "compile_seconds": None} for c in cells if CellKey.of(c) not in whole]
    return ([r | {"run_id": "s1"} for r in one], cells_one), ([r | {"run_id": "s2"} for r in two], cells_two)


@pytest.fixture
def shards(tmp_path):
    records, cells = sweep()
    (rec1, cells1), (rec2, cells2) = split(records, cells)
    one = write_run(tmp_path / "s1", rec1, cells1, meta("s1", options={"shard": "1/2", "cache_dir": "/m1"}))
    two = write_run(tmp_path / "s2", rec2, cells2, meta("s2", options={"shard": "2/2", "threads": 4}))
    return tmp_path, one, two


def unsharded_summary(tmp_path):
    records, cells = sweep()
    folder = write_run(tmp_path / "full", records, cells, meta("full"))
    return finish_run(folder, meta=meta("full"), options=StatsOptions(alpha=0.05, correction="holm"))


def test_two_shards_merge_to_the_unsharded_summary(shards, capsys):
    tmp_path, one, two = shards
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 0
    assert "640 records, 5 duplicates dropped, 8 cells" in capsys.readouterr().out
    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())
    expected = unsharded_summary(tmp_path)
    assert {k: v for k, v in merged.items() if k != "meta"} == {k: v for k, v in expected.items() if k != "meta"}
    assert [c["n"] for c in merged["cells"]] == [80] * 8
    assert any(row["p"] < 0.001 for row in merged["deltas"])  # the equality covers real p-values and deltas
    assert [m["shard"] for m in merged["meta"]["merged_from"]] == ["1/2", "2/2"]
    assert merged["meta"]["run_id"] == "merged" and merged["meta"]["options"]["shard"] is None


def test_merge_does_not_depend_on_folder_order(shards):
    tmp_path, one, two = shards
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "a")]) == 0
    assert main(["merge", str(two), str(one), "--into", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "results.jsonl").read_text() == (tmp_path / "b" / "results.jsonl").read_text()
    cells = {name: [json.loads(line) | {"run_id": None} for line in (tmp_path / name / "cells.jsonl").open()]
             for name in ("a", "b")}
    assert cells["a"] == cells["b"] and len(cells["a"]) == 8


def rewrite_meta(folder, **fields):
    (folder / "summary.json").write_text(json.dumps({"meta": meta(folder.name, **fields)}))


@pytest.mark.parametrize("fields, named", [
    ({"options": {"n": 100}}, "options.n: 80 vs 100"),
    ({"options": {"correction": "bh"}}, "options.correction"),
    ({"options": {"new_option": "x"}}, "options.new_option"),  # an option this code does not know must agree
    ({"hub_revisions": {"math": "org/math@main (commit 2)"}}, "hub_revisions.math"),
    ({"versions": {"pytest-arbitrage": "0.1.0", "dspy": "2.6"}}, "versions.dspy"),
    ({"git_commit": "def456"}, "git_commit"),
])
def test_refuses_shards_of_different_sweeps(shards, capsys, fields, named):
    tmp_path, one, two = shards
    rewrite_meta(two, **fields)
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert named in err and str(one) in err and str(two) in err
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("fields", [
    {"options": {"report_dir": "/elsewhere", "timeout": 30.0, "prices": "p.toml"}, "platform": "Darwin"},
    {"hub_revisions": {"qa": "org/qa@main (commit 9)"}},  # this shard loaded another task only
])
def test_run_local_fields_may_differ(shards, fields):
    tmp_path, one, two = shards
    rewrite_meta(two, **fields)
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 0


def test_refuses_conflicting_scores_naming_the_key(shards, capsys):
    tmp_path, one, two = shards
    first = json.loads((one / "results.jsonl").read_text().splitlines()[0])
    with open(two / "results.jsonl", "a") as handle:
        handle.write(json.dumps(first | {"score": 1.0 - first["score"], "correct": not first["correct"]}) + "\n")
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert f"conflict on {CellKey.of(first).id} example {first['example_id']!r} replicate 0" in err
    assert str(one) in err and str(two) in err


def test_refuses_a_cell_with_another_data_origin(shards, capsys):
    tmp_path, one, two = shards
    lines = [json.loads(line) for line in (two / "cells.jsonl").read_text().splitlines()]
    lines[0]["data_origin"] = "hub rev=other"
    (two / "cells.jsonl").write_text("".join(json.dumps(c) + "\n" for c in lines))
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert f"cell {CellKey.of(lines[0]).id}" in err and "data_origin: 'offline' vs 'hub rev=other'" in err


@pytest.mark.parametrize("target, message", [("s1", "is one of the shards"), ("busy", "is not an empty folder")])
def test_refuses_a_bad_target(shards, capsys, target, message):
    tmp_path, one, two = shards
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("")
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / target)]) == 2
    assert message in capsys.readouterr().err


def test_refuses_a_shard_without_meta_and_a_record_without_example_id(shards, capsys):
    tmp_path, one, two = shards
    (two / "summary.json").unlink()
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "m1")]) == 2
    assert f"{two} has no run meta with options" in capsys.readouterr().err
    rewrite_meta(two)
    with open(two / "results.jsonl", "a") as handle:
        handle.write(json.dumps({"task": "math", "model": "m", "optimizer": "none", "score": 1.0}) + "\n")
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "m2")]) == 2
    err, line = capsys.readouterr().err, len((two / "results.jsonl").read_text().splitlines())
    assert f"{two}/results.jsonl" in err and f"{line}" in err and "'example_id'" in err


def test_refuses_the_same_folder_twice(shards, capsys):
    tmp_path, one, _ = shards
    assert main(["merge", str(one), str(tmp_path / "." / "s1"), "--into", str(tmp_path / "m")]) == 2
    assert "are the same folder" in capsys.readouterr().err


def test_replicates_are_distinct_keys_and_equal_copies_duplicates(tmp_path):
    base = {"task": "t", "model": "m", "optimizer": "none", "axes": {}, "example_id": "e1", "replicate": 0,
            "score": 1.0}
    one = Shard(tmp_path / "1", [base, base | {"replicate": 1, "score": 0.0}], [], {})
    two = Shard(tmp_path / "2", [dict(base)], [], {})
    records, duplicates = merge_records([one, two])
    assert duplicates == 1 and [r["replicate"] for r in records] == [0, 1]


def test_cell_lines_combine_status_reasons_and_seconds():
    key = CellKey("t", "m", "none")
    lines = [({**key.fields(), "status": "passed", "eval_seconds": 1.0, "compile_seconds": 3.0, "noop": False,
               "n_requested": 80, "gate": {"verdict": "pass"}, "program_from_cache": False}, "a"),
             ({**key.fields(), "status": "partial", "reason": "cut short after 7 examples", "eval_seconds": 0.5,
               "noop": True, "n_requested": 80, "program_from_cache": True}, "b")]
    cell = merge_cell(key, lines, run_id="m")
    assert cell["status"] == "partial" and cell["reason"] == "cut short after 7 examples"
    assert (cell["eval_seconds"], cell["compile_seconds"], cell["n_requested"]) == (1.5, 3.0, 80)
    assert cell["noop"] is True and cell["gate"] is None and cell["program_from_cache"] is False
    assert cell["run_id"] == "m"


def test_warns_about_missing_shards(shards, capsys):
    tmp_path, one, two = shards
    rewrite_meta(one, options={"shard": "1/3"})
    rewrite_meta(two, options={"shard": "2/3"})
    assert main(["merge", str(one), str(two), "--into", str(tmp_path / "merged")]) == 0
    assert "no folder for shard 3/3" in capsys.readouterr().err
    assert missing_shards([Shard(one, [], [], {"options": {"shard": None}})]) == []
