"""The CI regression gate: --arb-compare with --arb-fail-on=regression, and the compare command."""
import subprocess
import sys

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
