"""`python -m pytest_arbitrage data fetch|show`, on offline data and on hub data served by fakes."""
import pytest
from tasks.hub_fixtures import gsm8k, serve

from pytest_arbitrage.cli import main

HUB_TASKS = "agentic, analysis, classification, code, extraction, heart_disease, math, qa, rag, sentiment, synthesis"


def test_show_prints_sizes_origin_and_converted_examples_of_the_offline_set(capsys):
    assert main(["data", "show", "sentiment", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sentiment: train 100, dev 100, test 300\norigin: offline\n")
    assert out.count("\ntest sentiment-") == 2 and out.count("  text (input): \"") == 2
    assert out.count("  sentiment: \"") == 2


def test_show_hub_prints_the_hub_examples(monkeypatch, capsys):
    serve(monkeypatch, {"openai/gsm8k": gsm8k()})
    assert main(["data", "show", "math", "--data", "hub", "--split", "train", "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "math: train 4, dev 4, test 4\norigin: hub:openai/gsm8k/main@main\n" in out
    assert "\ntrain math-" in out and "  question (input): \"Ann has" in out
    assert out.count("  answer: \"100") == 1


def test_show_exits_1_when_the_asked_for_source_fails(monkeypatch, capsys):
    serve(monkeypatch, {})
    assert main(["data", "show", "math", "--data", "hub"]) == 1
    err = capsys.readouterr().err
    assert "openai/gsm8k/main@main" in err and "data fetch math" in err


def test_fetch_loads_each_task_and_exits_1_naming_the_ones_that_failed(monkeypatch, capsys):
    calls = serve(monkeypatch, {"openai/gsm8k": gsm8k()})
    assert main(["data", "fetch", "math", "classification"]) == 1
    out, err = capsys.readouterr()
    assert out == "math: train 4, dev 4, test 4; hub:openai/gsm8k/main@main\n"
    assert "classification: task 'classification': could not load PolyAI/banking77@refs/convert/parquet" in err
    assert err.endswith("could not fetch: classification\n")
    assert calls[0] == {"path": "openai/gsm8k", "name": "main", "revision": None}


def test_fetch_of_available_data_says_where_it_is_cached(monkeypatch, capsys):
    serve(monkeypatch, {"openai/gsm8k": gsm8k()})
    assert main(["data", "fetch", "math"]) == 0
    assert "later runs work with HF_DATASETS_OFFLINE=1" in capsys.readouterr().out


def test_fetch_without_tasks_fetches_every_task_with_hub_data_once(monkeypatch, capsys):
    calls = serve(monkeypatch, {})
    assert main(["data", "fetch"]) == 1
    assert capsys.readouterr().err.endswith(f"could not fetch: {HUB_TASKS}\n")
    assert len(calls) == len(HUB_TASKS.split(", "))


def test_unknown_task_and_bad_count_are_usage_errors(capsys):
    assert main(["data", "show", "no_such_task"]) == 2
    assert "unknown task no_such_task; valid tasks: agent_monitor" in capsys.readouterr().err
    assert main(["data", "fetch", "math", "nope"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["data", "show", "math", "-n", "0"])
    assert exited.value.code == 2
