"""Scale (SPEC 14): resume an interrupted run in its own folder; shards that merge into the unsharded run."""
import json
import subprocess
import sys

import pytest
from conftest import FAKE_MODELS_CONFTEST, latest_run, read_results

ARGS = ["--arb-tasks=sentiment,arithmetic", "--arb-models=openai/a", "--arb-optimizers=none,labeled", "--arb-n=7"]
KEEP = ("task", "model", "optimizer", "axes", "example_id", "replicate", "score", "raw_answer")


def keyed(records):
    return sorted(json.dumps({k: r.get(k) for k in KEEP}, sort_keys=True) for r in records)


def engine_calls(pytester) -> int:
    return sum(json.loads((pytester.path / "engine_calls.json").read_text()).values())


def test_a_resumed_run_scores_only_what_it_lacks_and_ends_equal_to_an_uninterrupted_run(sweep):
    sweep.runpytest(*ARGS, "--arb-cache-dir=full-cache").assert_outcomes(passed=4)
    full_run = latest_run(sweep.path)
    full = read_results(full_run)
    results = full_run / "results.jsonl"
    lines = results.read_text().splitlines()
    results.write_text("\n".join(lines[:-9]) + "\n")  # as if interrupted 9 examples before the end

    result = sweep.runpytest(*ARGS, "--arb-resume=latest", "--arb-cache-dir=fresh-cache")
    result.assert_outcomes(passed=4)
    assert latest_run(sweep.path) == full_run, "continued in its own folder"
    resumed = read_results(full_run)
    assert keyed(resumed) == keyed(full) and len(resumed) == len(full) == 28, "no duplicate, nothing missing"
    assert engine_calls(sweep) == 9, "only the missing examples were scored"
    summary = json.loads((full_run / "summary.json").read_text())
    assert {c["n"] for c in summary["cells"]} == {7}


def test_resuming_a_folder_that_is_not_a_run_is_a_usage_error(sweep):
    result = sweep.runpytest(*ARGS, "--arb-resume=no/such/run")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--arb-resume" in result.stderr.str()


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b"])
def test_a_bad_shard_names_the_form(sweep, bad):
    result = sweep.runpytest(*ARGS, f"--arb-shard={bad}", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "expected i/N with 1 <= i <= N" in result.stderr.str()


def test_two_shards_merged_give_the_summary_of_one_unsharded_run(sweep):
    sweep.runpytest(*ARGS, "--arb-report-dir=whole").assert_outcomes(passed=4)
    whole = (sweep.path / "whole" / "latest").resolve()
    shards = []
    for i in (1, 2):
        sweep.runpytest(*ARGS, f"--arb-shard={i}/2", f"--arb-report-dir=shard{i}").assert_outcomes(passed=4)
        shards.append((sweep.path / f"shard{i}" / "latest").resolve())
    sizes = [len(read_results(s)) for s in shards]
    assert sorted(sizes) == [14, 14], "balanced over cells and examples"
    merged = sweep.path / "merged"
    done = subprocess.run([sys.executable, "-m", "pytest_arbitrage", "merge", *map(str, shards), "--into", str(merged)],
                          capture_output=True, text=True, cwd=sweep.path)
    assert done.returncode == 0, done.stderr
    assert keyed(read_results(merged)) == keyed(read_results(whole))
    ours, theirs = (json.loads((d / "summary.json").read_text()) for d in (merged, whole))
    for section in ("cells", "deltas"):
        strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith(("seconds", "latency_ms")) and k != "program_file"}
                              for r in rows]
        assert strip(ours[section]) == strip(theirs[section]), section


KEEN = """
import re

def keen(prompt):
    \"\"\"Reads sentiment right only when demos show it how (more than one text in the prompt).\"\"\"
    texts = re.findall(r"I (love|hate|saw) it", prompt)
    if len(texts) < 2:
        return "neutral"
    return {"love": "positive", "hate": "negative", "saw": "neutral"}[texts[-1]]

RESPONDERS["keen"] = keen
"""


def sentiment_file(pytester, n: int) -> str:
    words = (("love", "positive"), ("hate", "negative"), ("saw", "neutral"))
    lines = [{"text": f"I {word} it (#{i} {split})", "sentiment": label, "split": split}
             for split in ("train", "dev", "test") for i in range(n) for word, label in words]
    pytester.makefile(".jsonl", texts="\n".join(json.dumps(line) for line in lines))
    return "--arb-data=sentiment=texts.jsonl"


def test_sequential_stops_a_clearly_better_cell_early_and_the_report_says_at_what_n(sweep):
    sweep.makeconftest(FAKE_MODELS_CONFTEST + KEEN)
    args = ["--arb-tasks=sentiment", "--arb-models=openai/keen", "--arb-optimizers=none,labeled", "--arb-n=60",
            sentiment_file(sweep, 20)]
    result = sweep.runpytest(*args, "--arb-sequential")
    result.assert_outcomes(passed=2)
    run = latest_run(sweep.path)
    cells = {c["optimizer"]: c for c in json.loads((run / "summary.json").read_text())["cells"]}
    assert cells["none"]["n"] == 60, "the baseline is scored in full"
    stopped = cells["labeled"]["sequential"]
    assert stopped["decided"] and stopped["direction"] == "b" and cells["labeled"]["n"] < 30
    assert f"stopped early at n={stopped['stopped_at']} of 60: significantly better" in cells["labeled"]["reason"]
    assert "stopped early at n=" in (run / "report.md").read_text()


def test_without_a_clear_difference_sequential_scores_the_full_n(sweep):
    args = ["--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=none,labeled", "--arb-n=12",
            "--arb-sequential=true"]
    sweep.runpytest(*args).assert_outcomes(passed=2)
    cells = json.loads((latest_run(sweep.path) / "summary.json").read_text())["cells"]
    assert {c["n"] for c in cells} == {12}
    assert [c["sequential"]["decided"] for c in cells if c["optimizer"] == "labeled"] == [False]
