"""Study presets (`--arb-study`): each collects its grid, command-line values win, bad names are usage errors."""
import pytest

from pytest_arbitrage.axes import AXES
from pytest_arbitrage.options import OPTIONS
from pytest_arbitrage.studies import STUDIES, real_command

OPTION_NAMES = {o.name for o in OPTIONS}


def test_every_preset_sets_only_real_options():
    for study in STUDIES.values():
        assert set(study.options) | set(study.real) <= OPTION_NAMES, study.name
        assert study.question.endswith("?")


@pytest.mark.parametrize("name", list(STUDIES))
def test_each_preset_collects_its_grid_offline(sweep, name):
    result = sweep.runpytest(f"--arb-study={name}", "--collect-only", "-q")
    assert result.ret == 0, result.stderr.str()
    ids = [line for line in result.outlines if "::test_cell[" in line]
    options = STUDIES[name].options
    assert {i.split("[", 1)[1].split("-", 1)[0] for i in ids} == set(options["tasks"].split(","))
    for axis in AXES.values():
        values = options.get(axis.option, "")
        if "," in values:  # an axis of the study: every value is in some cell id
            assert all(any(f"{axis.name}:{v}" in i for i in ids) for v in values.split(",")), (name, axis.name)


def test_the_command_line_wins_over_the_preset(sweep):
    result = sweep.runpytest("--arb-study=demo-curve", "--arb-tasks=sentiment", "--arb-demos=0,5",
                             "--arb-models=openai/a", "--collect-only", "-q")
    ids = [line for line in result.outlines if "::test_cell[" in line]
    assert sorted(i.split("::")[-1] for i in ids) == sorted([
        "test_cell[sentiment-openai/a-none]", "test_cell[sentiment-openai/a-bootstrap[demos:0]]",
        "test_cell[sentiment-openai/a-bootstrap[demos:5]]"])


def test_a_preset_runs_on_scripted_models_and_its_options_are_recorded(sweep):
    result = sweep.runpytest("--arb-study=modules", "--arb-models=openai/a", "--arb-n=3")
    result.assert_outcomes(passed=8)
    assert "module:sc3" in result.stdout.str()


def test_list_prints_every_study_and_an_unknown_one_names_the_valid_ones(sweep):
    listed = sweep.runpytest("--arb-study=list")
    assert listed.ret == 0
    for study in STUDIES.values():
        listed.stdout.fnmatch_lines([f"{study.name}*{study.question[:30]}*"])
    unknown = sweep.runpytest("--arb-study=demo_curve", "--collect-only")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown study 'demo_curve'; valid: phase1, demo-curve" in unknown.stderr.str()


def test_the_real_command_names_the_studys_models_and_hub_data():
    command = real_command(STUDIES["demo-curve"])
    assert command.startswith("pytest benchmarks --arb-study=demo-curve ")
    assert "--arb-data=hub" in command and "--arb-models=" in command
