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


def _cell_lines(run) -> list[dict]:
    return [json.loads(line) for line in (run / "cells.jsonl").read_text().splitlines()]


@pytest.mark.real_model
def test_embedded_demo_counts_cut_one_compiled_program_and_change_the_score(real_sweep):
    result = real_sweep.runpytest("--arb-tasks=sentiment", "--arb-models=llamacpp/smollm2-135m",
                                  "--arb-optimizers=none,labeled", "--arb-demos=0,1,2,4", "--arb-n=12")
    result.assert_outcomes(passed=5)
    run = latest_run(real_sweep.path)
    labeled = [c for c in _cell_lines(run) if c["optimizer"] == "labeled"]
    assert sorted(c["program_from_cache"] for c in labeled) == [False, True, True, True], "compiled once"
    means = {c["axes"]["demos"]: c["mean"] for c in json.loads((run / "summary.json").read_text())["cells"]
             if c["optimizer"] == "labeled"}
    assert len(set(means.values())) > 1, f"the demo count changes what the model answers: {means}"


@pytest.mark.real_model
def test_embedded_modules_cost_their_calls_and_repeats_sample_each_example(real_sweep):
    result = real_sweep.runpytest("--arb-tasks=sentiment", "--arb-models=llamacpp/smollm2-135m",
                                  "--arb-optimizers=none", "--arb-modules=predict,cot,sc3", "--arb-n=4",
                                  "--arb-repeats=2", "--arb-temperature=0.8")
    result.assert_outcomes(passed=3)
    run = latest_run(real_sweep.path)
    cells = {c["axes"]["module"]: c for c in json.loads((run / "summary.json").read_text())["cells"]}
    assert {m: c["lm_calls_per_example"] for m, c in cells.items()} == {"predict": 1, "cot": 1, "sc3": 3}
    assert {(c["n"], c["replicates"]) for c in cells.values()} == {(4, 2)}
    records = read_results(run)
    assert len(records) == 3 * 4 * 2
    sc3 = [r for r in records if r["axes"] == {"module": "sc3"}]
    assert len({r["raw_answer"] for r in sc3}) > 1, "sampled answers differ"


@pytest.mark.real_model
def test_an_axis_grid_gives_the_same_records_serially_and_on_two_workers(real_sweep):
    args = ["--arb-tasks=sentiment", "--arb-models=llamacpp/smollm2-135m", "--arb-optimizers=none,labeled",
            "--arb-modules=predict,sc3", "--arb-demos=0,2", "--arb-n=3"]
    fields = ("example_id", "score", "raw_answer", "axes", "optimizer", "lm_calls", "replicate")

    def records(*extra):
        cache = real_sweep.path / f"cache{len(extra)}"  # each run computes its own answers
        result = real_sweep.runpytest(*args, f"--arb-cache-dir={cache}", *extra)
        result.assert_outcomes(passed=6)
        return sorted(json.dumps({k: r[k] for k in fields}, sort_keys=True)
                      for r in read_results(latest_run(real_sweep.path)))

    assert records() == records("-n", "2")
