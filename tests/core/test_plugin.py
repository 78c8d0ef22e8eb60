"""The plugin end to end through pytester, on scripted models (fast, deterministic)."""
import json
import xml.etree.ElementTree as ET

import pytest
from conftest import latest_run, read_results

FAKES = "--arb-models=openai/good,ollama_chat/fake-local"
SMALL = ["--arb-n=6", "--arb-train=4", "--arb-dev=4", "-p", "no:cacheprovider"]


def test_collect_only_lists_cells_in_grid_order(sweep):
    result = sweep.runpytest("--collect-only", "-q", "--arb-tasks=sentiment,arithmetic", FAKES,
                             "--arb-optimizers=labeled,none")
    ids = [line.split("[", 1)[1].rstrip("]") for line in result.outlines if "::test_cell[" in line]
    assert ids == [
        "arithmetic-openai/good-none", "arithmetic-openai/good-labeled",
        "arithmetic-ollama_chat/fake-local-none", "arithmetic-ollama_chat/fake-local-labeled",
        "sentiment-openai/good-none", "sentiment-openai/good-labeled",
        "sentiment-ollama_chat/fake-local-none", "sentiment-ollama_chat/fake-local-labeled",
    ]
    assert not (sweep.path / "reports").exists(), "collecting must not create a run folder"


def test_keyword_selection_works_on_cell_ids(sweep):
    result = sweep.runpytest("--collect-only", "-q", "--arb-tasks=sentiment,arithmetic", FAKES,
                             "-k", "arithmetic and fake-local and none")
    result.stdout.fnmatch_lines(["*test_cell[[]arithmetic-ollama_chat/fake-local-none[]]*", "*1/8 tests collected*"])


@pytest.mark.parametrize("option, bad, valid", [
    ("--arb-optimizers=none,miprov9", "miprov9", "gepa"),
    ("--arb-tasks=nosuchtask", "nosuchtask", "sentiment"),
    ("--arb-models=nosuchprovider/x", "nosuchprovider", "llamacpp"),
    ("--arb-n=many", "many", "whole number"),
    ("--arb-correction=tukey", "tukey", "holm"),
])
def test_bad_options_are_usage_errors_before_any_lm_call(sweep, option, bad, valid):
    result = sweep.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert bad in result.stderr.str() and valid in result.stderr.str()


def test_ini_keys_set_options_and_the_command_line_wins(sweep):
    sweep.makeini("[pytest]\narbitrage_tasks = sentiment\narbitrage_optimizers = none\n")
    ini_only = sweep.runpytest("--collect-only", "-q", FAKES)
    ini_only.stdout.fnmatch_lines(["*2 tests collected*"])
    overridden = sweep.runpytest("--collect-only", "-q", FAKES, "--arb-optimizers=none,labeled")
    overridden.stdout.fnmatch_lines(["*4 tests collected*"])


def test_a_sweep_writes_records_summary_reports_and_junit(sweep):
    junit = sweep.path / "junit.xml"
    result = sweep.runpytest("--arb-tasks=sentiment", FAKES, "--arb-optimizers=none,labeled", *SMALL,
                             f"--junitxml={junit}")
    result.assert_outcomes(passed=4)
    run = latest_run(sweep.path)
    records = read_results(run)
    assert len(records) == 4 * 6
    assert {r["optimizer"] for r in records} == {"none", "labeled"}
    assert {r["tier"] for r in records} == {"api", "local"}
    assert all(0.0 <= r["score"] <= 1.0 and r["input_tokens"] > 0 for r in records)
    cells = [json.loads(line) for line in (run / "cells.jsonl").read_text().splitlines()]
    assert sorted(c["status"] for c in cells) == ["passed"] * 4
    assert {c["noop"] for c in cells if c["optimizer"] == "labeled"} == {False}
    summary = json.loads((run / "summary.json").read_text())
    assert summary["meta"]["run_id"] == run.name
    assert (run / "report.md").is_file() and (run / "report.html").is_file()
    result.stdout.fnmatch_lines(["*pytest-arbitrage*", f"*run folder: {run}*"])
    properties = {p.get("name") for p in ET.parse(junit).iter("property")}
    assert {"arbitrage_n", "arbitrage_mean_score"} <= properties
    assert "arbitrage_records" not in properties


def test_unavailable_model_skips_only_its_cells_with_a_reason(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good,openai/down",
                             "--arb-optimizers=none", *SMALL, "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*openai/down: the fake server is down; start it with `fake serve`*"])
    cells = [json.loads(line) for line in (latest_run(sweep.path) / "cells.jsonl").read_text().splitlines()]
    assert {(c["model"], c["status"]) for c in cells} == {("openai/good", "passed"), ("openai/down", "skipped")}


def test_failing_lm_calls_are_recorded_and_fail_only_their_cell(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good,openai/broken",
                             "--arb-optimizers=none", "--arb-threads=1", *SMALL)
    result.assert_outcomes(passed=1, failed=1)
    # one call at a time; max error rate 0.5 of 6: after the 4th error the cell cannot pass, so it stops there
    result.stdout.fnmatch_lines(["*4 of 4 examples failed*stopped after 4 of 6 examples*scripted outage*"])
    broken = [r for r in read_results(latest_run(sweep.path)) if r["model"] == "openai/broken"]
    assert len(broken) == 4 and all(r["error"] and r["score"] == 0.0 for r in broken)


def test_last_failed_reruns_only_the_failed_cell(sweep):
    args = ["--arb-tasks=sentiment", "--arb-models=openai/good,openai/broken", "--arb-optimizers=none",
            "--arb-n=3"]
    sweep.runpytest(*args).assert_outcomes(passed=1, failed=1)
    rerun = sweep.runpytest(*args, "--lf", "-v")
    rerun.assert_outcomes(failed=1)
    rerun.stdout.fnmatch_lines(["*collected 1 item*"])
    rerun.stdout.fnmatch_lines(["*sentiment-openai/broken-none*FAILED*"])


def test_rerunning_a_sweep_reuses_programs_and_makes_no_new_lm_calls(sweep):
    args = ["--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none,bootstrap", *SMALL]
    sweep.runpytest(*args).assert_outcomes(passed=2)
    first, first_calls = read_results(latest_run(sweep.path)), engine_calls(sweep)
    sweep.runpytest(*args).assert_outcomes(passed=2)
    second, second_calls = read_results(latest_run(sweep.path)), engine_calls(sweep)
    assert first_calls > 0 and second_calls == 0
    strip = lambda rs: sorted((r["optimizer"], r["example_id"], r["score"], r["input_tokens"]) for r in rs)  # noqa: E731
    assert strip(first) == strip(second), "cached answers and their token counts must be identical"
    programs = list((sweep.path / ".arbitrage_cache" / "programs" / "sentiment").glob("bootstrap-*.json"))
    assert len(programs) == 1
    cells = [json.loads(line) for line in (latest_run(sweep.path) / "cells.jsonl").read_text().splitlines()]
    assert {c["optimizer"]: c["program_from_cache"] for c in cells} == {"none": None, "bootstrap": True}


def engine_calls(pytester) -> int:
    return sum(json.loads((pytester.path / "engine_calls.json").read_text()).values())


def test_an_interrupted_run_keeps_every_example_already_scored(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/interrupt", "--arb-optimizers=none", "--arb-threads=1",
                             "--arb-n=10")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    run = latest_run(sweep.path)
    records = read_results(run)
    assert len(records) == 3 and len({r["example_id"] for r in records}) == 3
    assert json.loads((run / "summary.json").read_text())["cells"][0]["n"] == 3


def test_the_benchmark_suite_collects_the_quick_tasks_by_default_and_k_selects_from_all(pytester):
    from pathlib import Path

    from pytest_arbitrage.tasks import all_tasks

    benchmarks = Path(__file__).parents[2] / "benchmarks"
    result = pytester.runpytest_subprocess(str(benchmarks), "--collect-only", "-q", "-p", "no:cacheprovider")
    collected = {line.split("[", 1)[1].split("-", 1)[0] for line in result.outlines if "::test_cell[" in line}
    assert collected == {"arithmetic", "extraction", "heart_disease", "rag", "sentiment"}, "the quick default"
    every = pytester.runpytest_subprocess(str(benchmarks), "--collect-only", "-q", "-p", "no:cacheprovider",
                                          "-k", "math or weather_feel")
    picked = {line.split("[", 1)[1].split("-", 1)[0] for line in every.outlines if "::test_cell[" in line}
    assert picked == {"math", "weather_feel"}, "-k selects from every task"
    assert len(set(all_tasks()) | {"weather_feel"}) >= 14  # 13 built-in tasks and the worked example


def test_a_data_file_runs_end_to_end_with_summary_and_reports(sweep):
    lines = [{"text": f"I {word} it ({split})", "sentiment": label, "split": split}
             for split in ("train", "dev", "test")
             for word, label in (("love", "positive"), ("hate", "negative"), ("saw", "neutral"))]
    sweep.makefile(".jsonl", mine="\n".join(json.dumps(line) for line in lines))
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none,labeled",
                             "--arb-data=sentiment=mine.jsonl", "--arb-n=3")
    result.assert_outcomes(passed=2)
    run = latest_run(sweep.path)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["meta"]["options"]["data_files"] == {"sentiment": str(sweep.path / "mine.jsonl")}
    assert {c["data_origin"] for c in summary["cells"]} == {f"file:{sweep.path / 'mine.jsonl'}"}
    assert (run / "report.md").is_file() and (run / "report.html").is_file()


def test_more_examples_asked_for_than_the_task_has_says_so(sweep):
    lines = [{"text": f"text {i}", "sentiment": "positive", "split": "test"} for i in range(3)]
    sweep.makefile(".jsonl", few="\n".join(json.dumps(line) for line in lines))
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none",
                             "--arb-data=sentiment=few.jsonl", "--arb-n=50")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*--arb-n=50 but task 'sentiment' has only 3 test examples; the cell scores 3*"])
    [cell] = [json.loads(line) for line in (latest_run(sweep.path) / "cells.jsonl").read_text().splitlines()]
    assert (cell["n_requested"], cell["n_available"], cell["adapter"]) == (50, 3, "LenientChatAdapter")


BUGGY_TASK = '''
import dataclasses
import dspy
from pytest_arbitrage.tasks import get_task, register

class Buggy(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict("text -> sentiment")

    def forward(self, text):
        raise RuntimeError("a bug in my program")

register(dataclasses.replace(get_task("sentiment"), name="buggy", make_program=Buggy))
'''


def test_a_bug_in_the_program_fails_its_cell_at_once_with_the_traceback(sweep):
    sweep.makeconftest((sweep.path / "conftest.py").read_text() + BUGGY_TASK)
    result = sweep.runpytest("--arb-tasks=buggy,sentiment", "--arb-models=openai/good", "--arb-optimizers=none",
                             "--arb-n=20", "--junitxml=junit.xml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*def forward(self, text):*", "*RuntimeError: a bug in my program*"])
    cases = {c.get("name"): c for c in ET.parse(sweep.path / "junit.xml").getroot().iter("testcase")}
    buggy = cases["test_cell[buggy-openai/good-none]"]
    assert float(buggy.get("time")) < 1.0, "no retries with backoff for a program's own bug"
    assert not [r for r in read_results(latest_run(sweep.path)) if r["task"] == "buggy"]


def test_hub_data_that_cannot_be_loaded_skips_its_cells_with_the_reason(sweep, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: fail at once, as an unreachable hub does
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(sweep.path / "hf"))  # an empty datasets cache
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none,labeled",
                             "--arb-data=hub", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*cardiffnlp/tweet_eval*data fetch*"])
    assert not (sweep.path / "engine_calls.json").exists() or not any(
        json.loads((sweep.path / "engine_calls.json").read_text()).values())
    fallback = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none",
                               "--arb-data=hub-or-offline")
    fallback.assert_outcomes(passed=1, warnings=1)
    [cell] = json.loads((latest_run(sweep.path) / "summary.json").read_text())["cells"]
    assert cell["data_origin"].startswith("offline (hub unavailable: cardiffnlp/tweet_eval")


def test_an_unrelated_test_run_imports_no_dspy_and_writes_nothing(pytester):
    pytester.makepyfile(test_plain='''
        import sys

        def test_plain():
            pass

        def test_zz_nothing_heavy_was_imported():
            heavy = [m for m in ("dspy", "litellm", "scipy", "pytest_arbitrage.tasks", "pytest_arbitrage.session")
                     if m in sys.modules]
            assert heavy == []
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error::pytest.PytestAssertRewriteWarning")
    result.assert_outcomes(passed=2)
    assert not (pytester.path / ".arbitrage_cache").exists() and not (pytester.path / "reports").exists()


def test_a_grid_collected_lazily_still_turns_a_bad_setting_into_a_usage_error(sweep):
    (sweep.path / "reports").write_text("a file where the report folder should be")
    result = sweep.runpytest()  # no --arb-* option: the session is built at collection
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--arb-report-dir" in result.stdout.str() + result.stderr.str()
