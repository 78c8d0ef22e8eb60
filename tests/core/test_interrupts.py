"""Interrupts and crashes: SIGINT and SIGTERM, serially and under xdist, before and during
scoring. Every record already scored stays, none is duplicated, the summary and reports
are written, and a cell cut short is marked partial and kept out of the comparisons."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import latest_run, read_results

ONE_CELL = ["--arb-tasks=sentiment", "--arb-optimizers=none", "--arb-threads=1", "-p", "no:cacheprovider"]  # one call at a time: interrupts land at a known count


def cells_jsonl(run):
    return [json.loads(line) for line in (run / "cells.jsonl").read_text().splitlines()]


def assert_no_duplicates(records):
    keys = [(r["task"], r["model"], r["optimizer"], r["example_id"]) for r in records]
    assert len(keys) == len(set(keys))


def test_an_interrupted_cell_is_marked_partial_and_kept_out_of_comparisons(sweep):
    result = sweep.runpytest("--arb-models=openai/interrupt,openai/good", "--arb-n=10", *ONE_CELL)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    run = latest_run(sweep.path)
    [partial] = [c for c in cells_jsonl(run) if c["status"] == "partial"]
    assert partial["model"] == "openai/interrupt"
    assert partial["reason"] == "cut short after 3 examples: the run was interrupted"
    summary = json.loads((run / "summary.json").read_text())
    assert [c["status"] for c in summary["cells"]] == ["partial"]
    for section in ("deltas", "inversions", "arbitrage"):
        assert "openai/interrupt" not in json.dumps(summary[section]), f"a partial cell entered {section}"


def test_an_interrupt_before_the_first_record_still_leaves_a_run_folder(sweep):
    result = sweep.runpytest("--arb-models=openai/interrupt0", "--arb-n=5", *ONE_CELL)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    run = latest_run(sweep.path)
    assert run.is_dir() and (run / "summary.json").is_file() and (run / "report.md").is_file()
    assert json.loads((run / "summary.json").read_text())["cells"] == []


def test_a_crashed_worker_leaves_its_cell_marked_partial(sweep):
    sweep.runpytest("--arb-models=openai/crash,openai/good", "--arb-n=6", "-n", "2", *ONE_CELL)
    partial = [c for c in cells_jsonl(latest_run(sweep.path)) if c["status"] == "partial"]
    assert [c["model"] for c in partial] == ["openai/crash"]
    assert partial[0]["reason"] == "cut short after 3 examples: the xdist worker running it crashed"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_sigterm_is_an_interruption_with_summary_and_reports(sweep, workers):
    args = ["--arb-models=openai/slow", "--arb-tasks=sentiment,arithmetic", "--arb-optimizers=none",
            "--arb-n=20", "--arb-threads=1", "-p", "no:cacheprovider", *workers]
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=sweep.path, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    scored = ("reports/*/results.jsonl", ".arbitrage_cache/spool/*/*.jsonl")  # serial / xdist workers
    while time.monotonic() < deadline and not any(list(sweep.path.glob(p)) for p in scored):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGTERM)  # as `timeout` and CI runners do: the whole group
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    run = latest_run(sweep.path)
    records = read_results(run)
    assert 0 < len(records) < 40
    assert_no_duplicates(records)
    summary = json.loads((run / "summary.json").read_text())
    assert sum(c["n"] for c in summary["cells"]) == len(records)
    assert {c["status"] for c in summary["cells"]} <= {"partial", "passed"}
    assert "pytest-arbitrage" in out and (run / "report.html").is_file()
