"""The CI regression gate: --arb-compare with --arb-fail-on=regression, and the compare command."""
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import latest_run

ARGS = ["--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none", "--arb-n=40"]


def test_a_significant_drop_fails_the_session_and_names_the_cell(sweep, monkeypatch):
    sweep.runpytest(*ARGS).assert_outcomes(passed=1)
    baseline = latest_run(sweep.path)
    monkeypatch.setenv("ARB_FAKE_MODE", "mute")
    result = sweep.runpytest(*ARGS, f"--arb-compare={baseline}", "--arb-fail-on=regression",
                             "--arb-cache-dir=.cache-muted")  # the muted model must really be asked
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*REGRESSION*sentiment*openai/good*none*"])
    regressed = latest_run(sweep.path)
    compare = subprocess.run([sys.executable, "-m", "pytest_arbitrage", "compare", str(baseline), str(regressed)],
                             capture_output=True, text=True)
    assert compare.returncode == 1, compare.stdout + compare.stderr


def test_the_same_program_does_not_trip_the_gate(sweep):
    sweep.runpytest(*ARGS).assert_outcomes(passed=1)
    result = sweep.runpytest(*ARGS, "--arb-compare=latest", "--arb-fail-on=regression")
    assert result.ret == pytest.ExitCode.OK
    assert "REGRESSION" not in result.stdout.str()


def test_compare_with_a_missing_run_is_a_usage_error(sweep):
    result = sweep.runpytest(*ARGS, "--arb-compare=reports/no-such-run")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no-such-run" in result.stderr.str()


# -- the gate on a project of your own (the README's files, nothing of benchmarks/) -------------

def save_baseline(project) -> str:
    baseline = project.path / "reports" / "baseline"
    shutil.copytree(latest_run(project.path), baseline)
    return str(baseline)


def cells_of(run) -> dict:
    return {c["optimizer"]: c for c in map(json.loads, (run / "cells.jsonl").read_text().splitlines())}


def test_a_changed_instruction_is_a_new_program_and_a_real_drop_fails_its_items(own_project):
    own_project.runpytest().assert_outcomes(passed=2)
    baseline = save_baseline(own_project)
    task_file = own_project.path / "my_task.py"
    task_file.write_text(task_file.read_text().replace('"""Does the weather report describe cold, mild or hot weather?"""',
                                                       '"""Describe the weather."""'))
    result = own_project.runpytest(f"--arb-compare={baseline}", "--arb-fail-on=regression", "--junitxml=junit.xml")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*weather_feel-openai/reader-labeled*gate:*significantly worse than the saved run*"])
    suite = ET.parse(own_project.path / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "2"
    assert all("significantly worse" in case.find("failure").get("message") for case in suite.iter("testcase"))
    run = latest_run(own_project.path)
    labeled = cells_of(run)["labeled"]
    assert labeled["program_from_cache"] is False and "the program definition" in labeled["program_reuse"]
    assert labeled["gate"]["verdict"] == "regression"
    rows = json.loads((run / "summary.json").read_text())["comparison"]["rows"]
    assert {r["verdict"] for r in rows} == {"regression"} and all(r["program_changed"] for r in rows)
    report = (run / "report.md").read_text()
    assert report.index("## Gate:") < report.index("## Cells"), "regressions come first"
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert {r["raw_answer"] for r in records} == {"unsure"}, "each record keeps the model's raw answer"


def test_an_unchanged_program_reuses_its_compiled_program_and_passes(own_project):
    own_project.runpytest().assert_outcomes(passed=2)
    baseline = save_baseline(own_project)
    own_project.runpytest(f"--arb-compare={baseline}", "--arb-fail-on=regression").assert_outcomes(passed=2)
    labeled = cells_of(latest_run(own_project.path))["labeled"]
    assert labeled["program_from_cache"] is True and labeled["gate"]["verdict"] == "pass"


def test_an_unreachable_model_fails_the_gate_instead_of_skipping(own_project):
    own_project.runpytest().assert_outcomes(passed=2)
    baseline = save_baseline(own_project)
    result = own_project.runpytest(f"--arb-compare={baseline}", "--arb-fail-on=regression",
                                   "--arb-models=openai/down")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(errors=2)  # the LM fixture fails: an error in setup, as pytest counts it
    result.stdout.fnmatch_lines(["*gate: this cell cannot be compared, its model is unavailable*fake server is down*"])


def test_a_cell_not_in_the_saved_run_is_untestable_and_deselected_cells_are_not_judged(own_project):
    own_project.runpytest("--arb-optimizers=none").assert_outcomes(passed=1)
    baseline = save_baseline(own_project)
    result = own_project.runpytest(f"--arb-compare={baseline}", "--arb-fail-on=regression")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*labeled*gate:*is not in the saved run*save a new baseline*"])
    own_project.runpytest(f"--arb-compare={baseline}", "--arb-fail-on=regression", "-k", "none").assert_outcomes(passed=1)


def test_a_run_too_small_to_see_the_minimum_effect_is_inconclusive(own_project):
    own_project.runpytest("--arb-optimizers=none").assert_outcomes(passed=1)
    baseline = save_baseline(own_project)
    args = [f"--arb-compare={baseline}", "--arb-optimizers=none", "--arb-min-effect=0.01", "--arb-n=10"]
    own_project.runpytest(*args, "--arb-fail-on=regression").assert_outcomes(passed=1)
    assert cells_of(latest_run(own_project.path))["none"]["gate"]["verdict"] == "inconclusive"
    result = own_project.runpytest(*args, "--arb-fail-on=regression,inconclusive")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*inconclusive: at n=10 paired the gate can only detect a drop of*"])
