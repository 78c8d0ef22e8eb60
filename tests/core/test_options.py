"""Option parsing: defaults, ini/CLI precedence is pytest's; here the values and the errors."""
from pathlib import Path

import pytest

from pytest_arbitrage.options import OPTIONS, SettingsError, parse_settings

TASKS = ["arithmetic", "sentiment"]


def settings_from(**given):
    defaults = {o.name: o.default for o in OPTIONS}
    defaults.update(given)
    return parse_settings(defaults.get, valid_tasks=TASKS, root=Path("/root"))


def test_defaults_sweep_the_quick_tasks_on_both_embedded_models():
    s = settings_from()
    assert s.models == ("llamacpp/smollm2-135m", "llamacpp/gemma3-270m@api")
    assert s.tasks == ("arithmetic", "sentiment"), "the quick tasks that exist"
    assert settings_from(tasks="all").tasks == ("arithmetic", "sentiment")
    assert s.n == 25
    assert s.optimizers[0] == "none"
    assert s.report_dir == Path("/root/reports")
    assert s.correction == "holm" and s.alpha == 0.05


def test_optimizers_come_out_in_canonical_order():
    assert settings_from(optimizers="mipro,none,labeled").optimizers == ("none", "labeled", "mipro")


@pytest.mark.parametrize("name, value, expected", [
    ("optimizers", "none,miprov3", ["'miprov3'", "mipro", "gepa", "bootstrap_rs"]),
    ("tasks", "sentiment,nope", ["'nope'", "arithmetic", "sentiment"]),
    ("n", "ten", ["--arb-n", "'ten'"]),
    ("n", "0", ["--arb-n", ">= 1"]),
    ("seed", "-1", ["--arb-seed"]),
    ("alpha", "1.5", ["--arb-alpha", "'1.5'"]),
    ("correction", "sidak", ["'sidak'", "holm", "bonferroni", "bh"]),
    ("fail_on", "drop", ["'drop'", "regression"]),
    ("tier", "openai/x=cheap", ["'cheap'", "local", "api"]),
    ("data", "sometimes", ["'sometimes'", "offline", "hub"]),
    ("data", "nope=x.jsonl", ["'nope'"]),
    ("models", " , ", ["--arb-models"]),
    ("optimizers", "none,none", ["twice"]),
])
def test_bad_values_name_the_value_and_the_valid_choices(name, value, expected):
    with pytest.raises(SettingsError) as error:
        settings_from(**{name: value})
    for fragment in expected:
        assert fragment in str(error.value)


def test_data_files_point_tasks_at_local_files(tmp_path):
    (tmp_path / "s.jsonl").write_text("{}\n")
    s = parse_settings({**{o.name: o.default for o in OPTIONS}, "data": "sentiment=s.jsonl"}.get,
                       valid_tasks=TASKS, root=tmp_path)
    assert s.data_files == {"sentiment": tmp_path / "s.jsonl"}
    with pytest.raises(SettingsError, match="does not exist"):
        parse_settings({**{o.name: o.default for o in OPTIONS}, "data": "sentiment=missing.jsonl"}.get,
                       valid_tasks=TASKS, root=tmp_path)
