"""The malformed-input battery: every bad option, path or file is a usage error naming the
bad value, raised before any LM call (SPEC 8). Most cases run in-process through
`load_settings` (what the plugin calls at configure time); a sample goes through pytest
itself to check the exit code (4), that no LM was called and that no record was written."""
import json
from pathlib import Path

import pytest

from pytest_arbitrage.options import OPTIONS, SettingsError, load_settings
from pytest_arbitrage.tasks import all_tasks

GOOD_SENTIMENT = '{"text": "I love it", "sentiment": "positive"}\n'


def settings_in(root: Path, **given):
    values = {o.name: o.default for o in OPTIONS} | given
    return load_settings(values.get, valid_tasks=list(all_tasks()), root=root)


@pytest.fixture
def root(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "reports_with_latest" / "latest").mkdir(parents=True)
    bad_files = {
        "nan.json": '{"acme/m": {"input": NaN, "output": 1}}', "neg.json": '{"acme/m": {"input": -1, "output": 1}}',
        "typo.json": '{"acme/m": {"inptu": 1, "output": 1}}', "list.json": "[1, 2]", "bad.toml": "= nope",
        "text.json": '{"acme/m": {"input": "cheap", "output": 1}}',
        "garbage.jsonl": GOOD_SENTIMENT + "{not json\n", "no_gold.jsonl": '{"text": "hi"}\n',
        "no_input.jsonl": '{"sentiment": "positive"}\n', "list_input.jsonl": '{"text": ["x"], "sentiment": "positive"}\n',
        "dup_ids.jsonl": '{"example_id": "a", "text": "x", "sentiment": "positive"}\n'
                         '{"example_id": "a", "text": "y", "sentiment": "negative"}\n',
        "empty.jsonl": "", "bad_split.jsonl": '{"text": "x", "sentiment": "positive", "split": "holdout"}\n',
    }
    for name, text in bad_files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


BAD = [  # (option, value, fragments the message must contain)
    ("models", "nosuch/model", ["'nosuch'"]),
    ("models", "llamacpp/unknown-model", ["'unknown-model'", "smollm2-135m"]),
    ("models", "llamacpp/missing.gguf", ["missing.gguf"]),
    ("models", "openai/m@loacl", ["'loacl'", "local", "api"]),
    ("models", "openai/m,openai/m@api", ["twice"]),
    ("models", "openai/m@local,api", ["malformed model spec 'api'"]),
    ("models", "openai", ["<provider>/<model>"]),
    ("models", " , ", ["--arb-models"]),
    ("teacher", "bogus", ["--arb-teacher", "'bogus'"]),
    ("optimizers", "none,miprov3", ["'miprov3'", "mipro", "gepa"]),
    ("optimizers", "none,none", ["twice"]),
    ("optimizers", "", ["--arb-optimizers"]),
    ("tasks", "sentiment,nope", ["'nope'", "sentiment"]),
    ("n", "ten", ["--arb-n", "'ten'"]),
    ("n", "0", ["--arb-n", ">= 1"]),
    ("n", "2.5", ["--arb-n"]),
    ("train", "-1", ["--arb-train"]),
    ("dev", "x", ["--arb-dev"]),
    ("seed", "-1", ["--arb-seed"]),
    ("threads", "0", ["--arb-threads"]),
    ("max_tokens", "0", ["--arb-max-tokens"]),
    ("max_error_rate", "1.5", ["--arb-max-error-rate"]),
    ("max_error_rate", "nan", ["finite"]),
    ("alpha", "1.5", ["--arb-alpha", "'1.5'"]),
    ("alpha", "0", ["--arb-alpha"]),
    ("alpha", "inf", ["--arb-alpha"]),
    ("correction", "sidak", ["'sidak'", "holm", "bonferroni", "bh"]),
    ("fail_on", "drop", ["'drop'", "regression", "inconclusive"]),
    ("fail_on", "regression", ["--arb-compare"]),  # a gate with nothing to compare does nothing
    ("min_effect", "5", ["--arb-min-effect"]),
    ("timeout", "0", ["--arb-timeout"]),
    ("timeout", "soon", ["--arb-timeout", "'soon'"]),
    ("include_partial", "maybe", ["--arb-include-partial", "'maybe'"]),
    ("tier", "openai/x=cheap", ["'cheap'", "local", "api"]),
    ("tier", "openai/not-in-sweep=api", ["'openai/not-in-sweep'", "not a model of this sweep"]),
    ("tier", "novalue", ["KEY=VALUE"]),
    ("data", "sometimes", ["'sometimes'", "offline", "hub"]),
    ("data", "nope=x.jsonl", ["'nope'"]),
    ("data", "sentiment=missing.jsonl", ["missing.jsonl", "does not exist"]),
    ("data", "sentiment=garbage.jsonl", ["garbage.jsonl", "line 2", "JSON"]),
    ("data", "sentiment=no_gold.jsonl", ["no_gold.jsonl", "line 1", "'sentiment'"]),
    ("data", "sentiment=no_input.jsonl", ["line 1", "'text'"]),
    ("data", "sentiment=list_input.jsonl", ["line 1", "'text'"]),
    ("data", "sentiment=dup_ids.jsonl", ["line 2", "'a'", "line 1"]),
    ("data", "sentiment=empty.jsonl", ["empty.jsonl"]),
    ("data", "sentiment=bad_split.jsonl", ["line 1", "holdout", "train, dev, test"]),
    ("prices", "nan.json", ["nan.json", "acme/m"]),
    ("prices", "neg.json", ["neg.json", "acme/m"]),
    ("prices", "typo.json", ["inptu"]),
    ("prices", "list.json", ["list.json"]),
    ("prices", "bad.toml", ["bad.toml"]),
    ("prices", "text.json", ["acme/m"]),
    ("prices", "no_such_prices.json", ["no_such_prices.json"]),
    ("report_dir", "a_file", ["--arb-report-dir", "a_file", "is a file"]),
    ("cache_dir", "a_file", ["--arb-cache-dir", "a_file", "is a file"]),
    ("report_dir", "reports_with_latest", ["latest", "real folder"]),
]


@pytest.mark.parametrize("option, value, fragments", BAD, ids=[f"{o}={v}" for o, v, _ in BAD])
def test_every_bad_input_is_a_usage_error_naming_the_value(root, option, value, fragments):
    with pytest.raises(SettingsError) as error:
        settings_in(root, **{option: value})
    for fragment in fragments:
        assert fragment in str(error.value)


def test_good_inputs_of_the_same_kinds_are_accepted(root):
    (root / "good.jsonl").write_text(GOOD_SENTIMENT * 1 + '{"text": "awful", "sentiment": "negative"}\n')
    (root / "prices.toml").write_text('[models."acme/m"]\ninput = 1.0\noutput = 2.0\n')
    s = settings_in(root, models="openai/m@local,llamacpp/smollm2-135m", tier="openai/m=api",
                    data="sentiment=good.jsonl", prices="prices.toml", timeout="2.5", min_effect="0.05",
                    compare="latest", fail_on="inconclusive,regression", include_partial="true")
    assert s.fail_on == ("regression", "inconclusive") and s.timeout == 2.5 and s.include_partial
    assert json.loads(json.dumps(s.as_dict()))["data_files"] == {"sentiment": str(root / "good.jsonl")}


THROUGH_PYTEST = [
    (["--arb-models=openai/good@loacl"], "--arb-models"),
    (["--arb-data=sentiment=garbage.jsonl"], "line 2"),
    (["--arb-prices=nan.json"], "nan.json"),
    (["--arb-report-dir=a_file"], "is a file"),
    (["--arb-fail-on=regression"], "--arb-compare"),
]


@pytest.mark.parametrize("args, fragment", THROUGH_PYTEST, ids=[a[0] for a, _ in THROUGH_PYTEST])
def test_through_pytest_bad_input_exits_4_before_any_lm_call(sweep, root, args, fragment):
    for path in root.iterdir():
        if path.is_file():
            (sweep.path / path.name).write_bytes(path.read_bytes())
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert fragment in result.stderr.str()
    assert not (sweep.path / "engine_calls.json").exists() or not any(
        json.loads((sweep.path / "engine_calls.json").read_text()).values())
    assert not list(sweep.path.glob("reports/*/results.jsonl"))


def test_a_bad_ini_value_names_the_ini_key(sweep):
    sweep.makeini("[pytest]\narbitrage_n = lots\n")
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key arbitrage_n: expected a whole number >= 1, got 'lots'" in result.stderr.str()
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-n=lots")
    assert "--arb-n: expected a whole number" in result.stderr.str()
