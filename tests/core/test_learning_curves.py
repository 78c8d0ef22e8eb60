"""Optimizer learning curves: the dev score of each MIPROv2 trial, GEPA iteration and random-search
candidate, read off DSPy's real optimizers, kept beside the program in the cache, and in cells.jsonl."""
import hashlib
import json
import re

import dspy
import pytest
from conftest import latest_run

from pytest_arbitrage.adapters import LenientChatAdapter
from pytest_arbitrage.data import cell_data
from pytest_arbitrage.optimizers import CompileJob, budget, compile_program, learning_curve
from pytest_arbitrage.program_cache import load_or_compile
from pytest_arbitrage.tasks import DataSource, get_task
from pytest_arbitrage.testing import scripted_lm

TOP_LEVEL = 4
TASK = get_task("sentiment")
DATA = cell_data(TASK, DataSource(), n=5, train=12, dev=8, seed=0)
GOLD = {e.text: e.sentiment for e in [*DATA.train, *DATA.dev]}


def climber(prompt: str) -> str:
    """A student right on more examples the higher the "level N" in its instruction and the more demos
    it is shown; asked for a new instruction (GEPA's reflection asks in JSON, MIPRO's proposer in plain
    text), it goes one level up."""
    level = max(map(int, re.findall(r"level (\d)", prompt)), default=0)
    proposal = f"Label the sentiment, level {min(level + 1, TOP_LEVEL)}."
    if "new_instruction" in prompt:
        return json.dumps({"new_instruction": proposal})
    if "proposed_instruction" in prompt:
        return proposal
    text = max(GOLD, key=prompt.rfind)  # the example asked about comes last (after any demos)
    demos = sum(t in prompt for t in GOLD) - 1
    if int(hashlib.sha256(text.encode()).hexdigest(), 16) % (TOP_LEVEL + 1) <= level + demos:
        return GOLD[text]
    return next(label for label in ("positive", "negative", "neutral") if label != GOLD[text])


LM = scripted_lm(climber, cache=False)


def compiled(optimizer: str, **settings) -> dspy.Module:
    job = CompileJob(task=TASK, optimizer=optimizer, student_lm=LM, teacher_lm=LM, trainset=DATA.train,
                     devset=DATA.dev, seed=0, settings=budget(optimizer, {optimizer: settings}))
    with dspy.context(adapter=LenientChatAdapter()):
        return compile_program(job)


def dev_score(program: dspy.Module) -> float:
    """The program's mean score on dev, computed here (not by the optimizer)."""
    with dspy.context(lm=LM, adapter=LenientChatAdapter()):
        scores = [TASK.score(e, program(**e.inputs())).value for e in DATA.dev]
    return sum(scores) / len(scores)


def assert_well_formed(curve: list[dict], kind: str) -> None:
    assert [p["step"] for p in curve] == list(range(len(curve)))
    assert {p["kind"] for p in curve} == {kind}
    assert all(0.0 <= p["score"] <= 1.0 for p in curve)
    assert len({p["score"] for p in curve}) > 1, "a flat curve could hide a scale or ordering mistake"


def test_mipro_gives_one_point_per_trial_plus_the_default_program():
    program = compiled("mipro", num_candidates=3, num_trials=5)
    curve = learning_curve(program)
    assert len(curve) == 5 + 1
    assert_well_formed(curve, "trial")
    trials = [program.trial_logs[p["step"] + 1] for p in curve]
    assert [p["score"] for p in curve] == [t["full_eval_score"] / 100 for t in trials], "MIPRO reports percent"
    assert [p["score"] for p in curve] == pytest.approx([dev_score(t["full_eval_program"]) for t in trials])
    assert max(p["score"] for p in curve) == program.score / 100


def test_gepa_gives_one_point_per_candidate_from_the_seed_program_on():
    program = compiled("gepa", max_metric_calls=80)
    results = program.detailed_results
    curve = learning_curve(program)
    assert len(curve) == len(results.candidates) > 2
    assert_well_formed(curve, "iteration")
    assert [p["score"] for p in curve] == results.val_aggregate_scores
    assert [p["score"] for p in curve] == pytest.approx([dev_score(c) for c in results.candidates])
    assert curve[0]["score"] == pytest.approx(dev_score(TASK.make_program())), "step 0: the unoptimized program"


def test_tracking_gepa_stats_leaves_the_compiled_program_as_it_was(monkeypatch):
    tracked = compiled("gepa", max_metric_calls=80)

    class UntrackedGEPA(dspy.GEPA):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "track_stats": False})

    monkeypatch.setattr(dspy, "GEPA", UntrackedGEPA)
    untracked = compiled("gepa", max_metric_calls=80)
    assert not hasattr(untracked, "detailed_results") and learning_curve(untracked) is None
    assert tracked.dump_state() == untracked.dump_state()
    assert tracked.predictors()[0].signature.instructions != TASK.make_program().predictors()[0].signature.instructions


def test_random_search_gives_one_point_per_candidate_in_the_order_tried():
    program = compiled("bootstrap_rs", num_candidate_programs=3)
    curve = learning_curve(program)
    assert len(curve) == 3 + 3  # zero-shot, labeled only, unshuffled bootstrap, then the random ones
    assert_well_formed(curve, "candidate")
    tried = sorted(program.candidate_programs, key=lambda c: c["seed"])
    assert [p["score"] for p in curve] == [c["score"] / 100 for c in tried]
    assert [p["score"] for p in curve] == pytest.approx([dev_score(c["program"]) for c in tried])
    assert curve[0]["score"] == pytest.approx(dev_score(TASK.make_program()))


@pytest.mark.parametrize("optimizer", ["none", "labeled", "bootstrap"])
def test_optimizers_without_a_search_have_no_curve(optimizer):
    assert learning_curve(compiled(optimizer)) is None


def test_a_program_reused_from_the_cache_keeps_its_curve(tmp_path):
    path = tmp_path / "programs" / "mipro-abc.json"
    compile_fn = lambda: compiled("mipro", num_candidates=2, num_trials=3)  # noqa: E731
    first = load_or_compile(path, make_program=TASK.make_program, compile_fn=compile_fn, curve_of=learning_curve)
    again = load_or_compile(path, make_program=TASK.make_program, compile_fn=pytest.fail, curve_of=learning_curve)
    assert (first.from_cache, again.from_cache) == (False, True)
    assert len(first.learning_curve) == 4 and again.learning_curve == first.learning_curve
    assert not list(path.parent.glob("*.tmp.json")) and (path.parent / "mipro-abc.curve").exists()


def test_a_missing_or_damaged_curve_file_reads_as_no_curve_and_a_stale_one_is_removed(tmp_path):
    path = tmp_path / "labeled-abc.json"
    curve_file = tmp_path / "labeled-abc.curve"
    curve_file.write_text("[{not json")
    loaded = load_or_compile(path, make_program=TASK.make_program, compile_fn=lambda: compiled("labeled"),
                             curve_of=learning_curve)
    assert loaded.learning_curve is None and not curve_file.exists(), "a curve not of this program is dropped"
    curve_file.write_text("[{not json")
    again = load_or_compile(path, make_program=TASK.make_program, compile_fn=pytest.fail, curve_of=learning_curve)
    assert again.from_cache and again.learning_curve is None


def read_cells(run_dir) -> dict[str, dict]:
    return {c["optimizer"]: c for c in map(json.loads, (run_dir / "cells.jsonl").read_text().splitlines())}


def test_a_sweep_writes_each_cells_curve_to_cells_jsonl_also_when_its_program_is_reused(sweep):
    args = ["--arb-tasks=sentiment", "--arb-models=openai/good", "--arb-optimizers=none,mipro", "--arb-n=4",
            "--arb-train=4", "--arb-dev=4", "--arb-optimizer-settings=mipro.num_trials=3", "-p", "no:cacheprovider"]
    sweep.runpytest(*args).assert_outcomes(passed=2)
    first = read_cells(latest_run(sweep.path))
    sweep.runpytest(*args).assert_outcomes(passed=2)
    second = read_cells(latest_run(sweep.path))
    assert first["none"]["learning_curve"] is None
    curve = first["mipro"]["learning_curve"]
    assert [p["step"] for p in curve] == [0, 1, 2, 3] and {p["kind"] for p in curve} == {"trial"}
    assert all(0 <= p["score"] <= 1 and p["score"] * 4 == int(p["score"] * 4) for p in curve), "of 4 dev examples"
    assert (first["mipro"]["program_from_cache"], second["mipro"]["program_from_cache"]) == (False, True)
    assert second["mipro"]["learning_curve"] == curve
