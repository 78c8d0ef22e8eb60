"""Whole cells on real models: the embedded llama.cpp model and a real OpenAI-compatible server."""
import json

import pytest
from conftest import latest_run, read_results

SECRET = "sk-test-0123456789-do-not-leak"


@pytest.fixture
def real_sweep(sweep):
    sweep.makeconftest("")  # real providers, not the scripted fakes
    return sweep


@pytest.mark.real_model
def test_embedded_model_cells_score_and_count_parse_errors(real_sweep):
    result = real_sweep.runpytest("--arb-tasks=sentiment", "--arb-models=llamacpp/smollm2-135m",
                                  "--arb-optimizers=none,labeled", "--arb-n=10", "--arb-train=8")
    result.assert_outcomes(passed=2)
    records = read_results(latest_run(real_sweep.path))
    assert len(records) == 20
    assert all(r["tier"] == "local" and r["cost_usd"] == 0.0 and r["input_tokens"] > 0 for r in records)
    assert all(r["correct"] == (r["score"] == 1.0) for r in records)


@pytest.mark.server
def test_openai_cells_against_a_real_server_and_no_secret_reaches_any_file(real_sweep, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    result = real_sweep.runpytest("--arb-tasks=sentiment", f"--arb-models=openai/{openai_server.alias}",
                                  "--arb-optimizers=none,bootstrap", "--arb-n=6", "--arb-train=6", "--arb-dev=4",
                                  f"--junitxml={real_sweep.path / 'junit.xml'}")
    result.assert_outcomes(passed=2)
    run = latest_run(real_sweep.path)
    records = read_results(run)
    assert len(records) == 12 and {r["tier"] for r in records} == {"api"}
    assert all(r["error"] is None and r["input_tokens"] > 0 for r in records)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["meta"]["options"]["models"] == [f"openai/{openai_server.alias}"]
    leaked = [p for p in real_sweep.path.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaked == [], f"the API key was written to {leaked}"
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_a_missing_key_skips_openai_cells_with_what_to_do(real_sweep, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = real_sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/gpt-4o-mini",
                                  "--arb-optimizers=none", "--arb-n=2", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*openai/gpt-4o-mini*OPENAI_API_KEY*"])
