"""Study axes (SPEC 10): modules, demos, train sizes, depth, seeds, optimizer budgets, repeats."""
import json
from pathlib import Path

import dspy
import pytest
from conftest import latest_run, read_results

from pytest_arbitrage.axes import cell_axes, parse_module, parse_values
from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.compiled import keep_demos
from pytest_arbitrage.modules import ComparedSamples, MajorityOfSamples, label_free_reward
from pytest_arbitrage.optimizers import budget, parse_optimizer_settings
from pytest_arbitrage.options import OPTIONS, SettingsError, load_settings
from pytest_arbitrage.tasks import all_tasks, get_task
from pytest_arbitrage.testing import scripted_lm


def settings_of(**values):
    raw = {o.name: o.default for o in OPTIONS} | values
    return load_settings(raw.get, valid_tasks=sorted(all_tasks()), root=Path("."))


# ---------------------------------------------------------------- parsing: usage errors before any LM call


@pytest.mark.parametrize("option, value, says", [
    ("modules", "cot,foo", "unknown module 'foo'; valid: predict, cot, bestofN"),
    ("modules", "sc1", "needs a sample count from 2 to 20"),
    ("modules", "cot3", "takes no count"),
    ("modules", "cot,cot", "listed twice"),
    ("depth", "1,7", "unsupported pipeline depth 7; valid: 1, 2, 3, 4, 5"),
    ("demos", "0,-1", "expected a whole number >= 0, got '-1'"),
    ("train", "4,x", "expected a whole number >= 0, got 'x'"),
    ("seeds", "1,1", "listed twice"),
])
def test_bad_axis_values_name_the_value_and_the_valid_ones(option, value, says):
    with pytest.raises(SettingsError) as error:
        settings_of(tasks="sentiment", **{option: value})
    assert says in str(error.value) and f"--arb-{option}" in str(error.value)


def test_an_axis_a_task_cannot_take_is_a_usage_error_naming_the_task():
    with pytest.raises(SettingsError, match="task 'sentiment' does not declare pipeline depths"):
        settings_of(tasks="sentiment,qa", depth="1,3")
    assert settings_of(tasks="qa,classification,heart_disease", depth="1,3").axes == {"depth": (1, 3)}


def test_sampling_options_are_checked_together():
    with pytest.raises(SettingsError, match="--arb-repeats.*temperature 0.*--arb-temperature"):
        settings_of(repeats="3")
    with pytest.raises(SettingsError, match="give two or more with --arb-seeds"):
        settings_of(select="dev", seeds="5")
    with pytest.raises(SettingsError, match="unknown value 'test'; valid: dev"):
        settings_of(select="test", seeds="1,2")
    chosen = settings_of(select="dev", seeds="1,2", repeats="3", temperature="0.7")
    assert (chosen.seeds, chosen.axes, chosen.repeats) == ((1, 2), {}, 3), "selected seeds are not an axis"


def test_a_single_train_size_keeps_its_meaning_and_a_list_is_an_axis():
    assert settings_of(train="8").axes == {} and settings_of(train="8").train == 8
    nested = settings_of(train="0,2,8")
    assert nested.axes == {"train": (0, 2, 8)} and nested.train == 8


def test_optimizer_settings_are_checked_against_dspys_own_parameters():
    assert parse_optimizer_settings("mipro.auto=light,bootstrap_rs.num_candidate_programs=8") == {
        "mipro": {"auto": "light"}, "bootstrap_rs": {"num_candidate_programs": 8}}
    with pytest.raises(ValueError) as error:
        parse_optimizer_settings("mipro.num_trails=3")
    assert "'mipro' has no setting 'num_trails'; valid:" in str(error.value) and "num_trials" in str(error.value)
    with pytest.raises(ValueError, match="unknown optimizer 'mipr'"):
        parse_optimizer_settings("mipr.auto=light")
    with pytest.raises(ValueError, match="expected OPTIMIZER.PARAMETER=VALUE"):
        parse_optimizer_settings("auto=light")
    with pytest.raises(SettingsError, match="--arb-optimizer-settings"):
        settings_of(optimizer_settings="gepa.metric=x")  # set by the harness itself, not a budget


def test_a_budget_override_replaces_the_defaults_it_makes_moot():
    assert budget("mipro")["num_trials"] == 6 and budget("mipro")["auto"] is None
    light = budget("mipro", {"mipro": {"auto": "light"}})
    assert light["auto"] == "light" and "num_trials" not in light and "num_candidates" not in light
    assert budget("gepa", {"gepa": {"max_metric_calls": 300}})["max_metric_calls"] == 300
    assert "max_metric_calls" not in budget("gepa", {"gepa": {"auto": "light"}})


# ---------------------------------------------------------------- the grid


def test_baseline_cells_take_only_the_axes_that_do_not_need_compiling():
    axes = {"module": ("predict", "cot"), "demos": (0, 2), "train": (4, 8)}
    assert cell_axes(axes, "none") == [{"module": "predict"}, {"module": "cot"}]
    optimized = cell_axes(axes, "labeled")
    assert len(optimized) == 8 and optimized[0] == {"module": "predict", "train": 4, "demos": 0}
    key = CellKey("sentiment", "m", "labeled", optimized[-1])
    assert key.reference() == CellKey("sentiment", "m", "none", {"module": "cot"})


def test_collect_only_lists_the_cross_product_and_k_selects_one_value(sweep):
    args = ["--collect-only", "-q", "--arb-tasks=sentiment,qa", "--arb-models=openai/a,openai/b",
            "--arb-optimizers=none,labeled", "--arb-modules=predict,cot", "--arb-demos=0,1,2"]
    ids = [line for line in sweep.runpytest(*args).outlines if "::test_cell[" in line]
    assert len(ids) == 2 * 2 * (2 + 2 * 3)  # tasks x models x (baseline modules + labeled modules x demos)
    assert "test_sweep.py::test_cell[qa-openai/b-labeled[demos:2,module:cot]]" in ids
    picked = [line for line in sweep.runpytest(*args, "-k", "demos:1 and module:cot").outlines
              if "::test_cell[" in line]
    assert len(picked) == 4 and all("demos:1,module:cot" in line for line in picked)


def test_bad_axis_values_stop_the_run_before_any_lm_call(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-modules=cot,bestof")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "bestof" in result.stderr.str() + result.stdout.str()
    assert not (sweep.path / "engine_calls.json").exists() or json.loads(
        (sweep.path / "engine_calls.json").read_text()) == {}


# ---------------------------------------------------------------- what cells do with their axes


def test_demos_are_cut_from_one_compiled_program_and_every_axis_reaches_records(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=none,labeled",
                             "--arb-demos=0,1,3", "--arb-n=5", "--arb-train=8")
    result.assert_outcomes(passed=4)
    run = latest_run(sweep.path)
    cells = [json.loads(line) for line in (run / "cells.jsonl").read_text().splitlines()]
    optimized = [c for c in cells if c["optimizer"] == "labeled"]
    assert sorted(c["axes"]["demos"] for c in optimized) == [0, 1, 3]
    assert len({c["program_file"] for c in optimized}) == 1, "one program serves every demo count"
    assert sorted(c["program_from_cache"] for c in optimized) == [False, True, True], "compiled once"
    assert {c["noop"] for c in optimized if c["axes"]["demos"] == 0} == {True}
    records = read_results(run)
    assert {json.dumps(r["axes"]) for r in records} == {"{}", '{"demos": 0}', '{"demos": 1}', '{"demos": 3}'}
    summary = json.loads((run / "summary.json").read_text())
    deltas = {tuple(row["axes"].items()): row for row in summary["deltas"]}
    assert all(row["ref_id"] == "sentiment-openai/a-none" for row in deltas.values()), "all pair with the baseline"


def test_repeats_write_one_record_per_sample_and_the_cell_counts_examples(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=none",
                             "--arb-n=4", "--arb-repeats=3", "--arb-temperature=0.7")
    result.assert_outcomes(passed=1)
    run = latest_run(sweep.path)
    records = read_results(run)
    assert len(records) == 12
    assert sorted((r["example_id"], r["replicate"]) for r in records) == sorted(
        (e, k) for e in {r["example_id"] for r in records} for k in range(3))
    [cell] = json.loads((run / "summary.json").read_text())["cells"]
    assert (cell["n"], cell["replicates"]) == (4, 3)


def test_a_train_size_of_zero_is_the_unoptimized_program_and_sizes_are_nested(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=none,labeled",
                             "--arb-train=0,2,6", "--arb-n=3")
    result.assert_outcomes(passed=4)
    cells = [json.loads(line) for line in (latest_run(sweep.path) / "cells.jsonl").read_text().splitlines()]
    by_train = {c["axes"].get("train"): c for c in cells if c["optimizer"] == "labeled"}
    assert by_train[0]["noop"] is True and by_train[0]["program_file"] is None
    demos = {m: len(json.loads(Path(by_train[m]["program_file"]).read_text())["demos"]) for m in (2, 6)}
    assert demos == {2: 2, 6: 4}  # labeled keeps k=4 of the first m examples


def test_seeds_selected_on_dev_keep_one_cell_and_record_every_seeds_dev_score(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=labeled",
                             "--arb-seeds=1,2,3", "--arb-select=dev", "--arb-n=3", "--arb-dev=6")
    result.assert_outcomes(passed=1)
    [cell] = [json.loads(line) for line in (latest_run(sweep.path) / "cells.jsonl").read_text().splitlines()]
    assert set(cell["dev_scores"]) == {"1", "2", "3"} and cell["axes"] == {}
    best = max(cell["dev_scores"].values())
    assert cell["dev_scores"][str(cell["selected_seed"])] == best
    assert cell["optimizer_settings"] == {"k": 4}


# ---------------------------------------------------------------- modules and demos, directly


def test_keep_demos_cuts_a_copy():
    program = dspy.Predict("question -> answer")
    program.demos = [dspy.Example(question=str(i), answer=str(i)) for i in range(4)]
    cut = keep_demos(program, 2)
    assert [d.question for d in cut.demos] == ["0", "1"] and len(program.demos) == 4


def test_modules_parse_and_report_their_names():
    assert [parse_module(m).name for m in ("predict", "cot", "bestof3", "refine2", "mcc3", "sc5")] == [
        "predict", "cot", "bestof3", "refine2", "mcc3", "sc5"]
    assert parse_values("module", "sc3,cot") == ("sc3", "cot")


def test_self_consistency_samples_m_times_with_distinct_rollouts_and_takes_the_majority():
    answers = iter(f"[[ ## reasoning ## ]]\n{why}\n\n[[ ## sentiment ## ]]\n{label}\n\n[[ ## completed ## ]]"
                   for why, label in (("a", "positive"), ("b", "negative"), ("c", "positive")))
    lm = scripted_lm(lambda prompt: next(answers)).copy(cache=False)
    task = get_task("sentiment")
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        prediction = task.program(module="sc3")(text="it was fine")
    assert lm.engine.calls == 3
    assert isinstance(task.program(module="sc3"), MajorityOfSamples)
    assert isinstance(task.program(module="mcc3"), ComparedSamples)
    assert "positive" in str(prediction.sentiment)


def test_rewards_for_best_of_n_and_refine_read_no_gold():
    task = get_task("sentiment")
    reward = label_free_reward(task.answer_ok)
    assert reward({"text": "x"}, dspy.Prediction(sentiment="positive")) == 1.0
    assert reward({"text": "x"}, dspy.Prediction(sentiment="  ")) == 0.0
