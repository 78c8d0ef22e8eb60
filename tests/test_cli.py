"""`python -m pytest_arbitrage report|compare`: files written, exit codes, run lookup."""
import json
import os
import subprocess
import sys

import pytest

from pytest_arbitrage.cli import main
from pytest_arbitrage.reports.synthetic import synthetic_run


def save_run(report_dir, name, true_score, *, seed=1):
    records, cells = synthetic_run(true_score, run_id=name, n=150, seed=seed)
    folder = report_dir / name
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "cells.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cells))
    return folder


def drop_qa_bootstrap(task, model, optimizer):
    return 0.5 if (task, optimizer) == ("qa", "bootstrap") and model.startswith("openai") else 0.9


@pytest.fixture
def runs(tmp_path):
    report_dir = tmp_path / "reports"
    old = save_run(report_dir, "old", lambda *cell: 0.9)
    same = save_run(report_dir, "same", lambda *cell: 0.9)
    worse = save_run(report_dir, "worse", drop_qa_bootstrap)
    return report_dir, old, same, worse


def test_report_rebuilds_summary_and_keeps_old_meta(runs, capsys):
    report_dir, old, *_ = runs
    (old / "summary.json").write_text(json.dumps({"meta": {"run_id": "old", "git_commit": "abc"}}))
    assert main(["report", str(old), "--alpha", "0.01", "--correction", "bh"]) == 0
    summary = json.loads((old / "summary.json").read_text())
    assert summary["meta"] == {"run_id": "old", "git_commit": "abc"}
    assert summary["options"]["alpha"] == 0.01 and summary["options"]["correction"] == "bh"
    assert len(summary["cells"]) == 8
    assert (old / "report.md").is_file() and (old / "report.html").is_file()
    assert "Optimization delta" in capsys.readouterr().out


def test_compare_exits_1_and_names_the_regression(runs, capsys):
    report_dir, old, _, worse = runs
    assert main(["compare", str(old), str(worse)]) == 1
    out = capsys.readouterr().out
    assert "qa-openai/gpt-4o-mini-bootstrap is significantly worse than the saved run old" in out
    assert "REGRESSION (fails)" in out and "1 regression" in out


def test_compare_exits_0_without_regression(runs, capsys):
    report_dir, old, same, _ = runs
    assert main(["compare", str(old), str(same)]) == 0
    out = capsys.readouterr().out
    assert "8 pass" in out and "regression" not in out.split("against")[-1]


def test_compare_with_a_min_effect_the_run_cannot_see_exits_3(runs, capsys):
    report_dir, old, same, _ = runs
    # n=150 paired at level 0.05/8: the MDE is a few points, so 0.5pp cannot be ruled out
    assert main(["compare", str(old), str(same), "--min-effect", "0.005"]) == 3
    assert "8 inconclusive" in capsys.readouterr().out
    assert main(["compare", str(old), str(same), "--min-effect", "0.5"]) == 0


def test_a_cell_missing_from_the_saved_run_is_untestable_and_exits_3(runs, capsys):
    report_dir, old, same, _ = runs
    records = [json.loads(line) for line in (old / "results.jsonl").read_text().splitlines()]
    kept = [r for r in records if r["task"] != "qa"]
    (old / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    assert main(["compare", str(old), str(same)]) == 3
    out = capsys.readouterr().out
    assert "UNTESTABLE (fails)" in out and "is not in the saved run old" in out


@pytest.mark.parametrize("pointer", ["symlink", "textfile"])
def test_latest_may_be_a_symlink_or_a_text_file(runs, pointer, capsys):
    report_dir, old, _, worse = runs
    latest = report_dir / "latest"
    if pointer == "symlink":
        latest.symlink_to(worse.name)
    else:
        latest.write_text("worse\n")
    assert main(["compare", str(old), "latest", "--report-dir", str(report_dir)]) == 1


def test_bad_run_path_is_a_usage_error_naming_the_path(runs, capsys):
    report_dir, old, *_ = runs
    missing = report_dir / "nope"
    assert main(["compare", str(old), str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "results.jsonl" in err and "latest" in err


def test_missing_latest_is_a_usage_error(tmp_path, capsys):
    assert main(["report", "latest", "--report-dir", str(tmp_path)]) == 2
    assert "latest" in capsys.readouterr().err


def test_bad_options_exit_2(runs):
    report_dir, old, *_ = runs
    for argv in (["compare", str(old)], ["report", str(old), "--alpha", "1.5"],
                 ["report", str(old), "--correction", "sidak"], ["report", str(old), "--mcnemar", "fisher"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_module_entry_point_returns_the_exit_code(runs):
    report_dir, old, _, worse = runs
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-m", "pytest_arbitrage", "compare", str(old), str(worse)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr


def test_mcnemar_choice_reaches_the_summary(runs, capsys):
    report_dir, old, *_ = runs
    assert main(["report", str(old), "--mcnemar", "midp"]) == 0
    summary = json.loads((old / "summary.json").read_text())
    assert summary["options"]["mcnemar"] == "midp"
    assert {r["test"] for r in summary["deltas"] if r["test"]} == {"mcnemar-midp"}
    assert main(["compare", str(old), str(old), "--mcnemar", "midp"]) == 0
