"""Each optimizer really compiles a program (DSPy's own optimizers), on a scripted LM."""
import multiprocessing
import random

import dspy
import pytest

from pytest_arbitrage.adapters import LenientChatAdapter
from pytest_arbitrage.data import cell_data
from pytest_arbitrage.optimizers import OPTIMIZER_SETTINGS, CompileJob, compile_program, is_noop
from pytest_arbitrage.program_cache import load_or_compile
from pytest_arbitrage.tasks import DataSource, get_task
from pytest_arbitrage.testing import scripted_lm

LABELS = ("positive", "negative", "neutral")
TINY_BUDGETS = {
    "mipro": {**OPTIMIZER_SETTINGS["mipro"], "num_candidates": 2, "num_trials": 2},
    "gepa": {**OPTIMIZER_SETTINGS["gepa"], "max_metric_calls": 30},
    "bootstrap_rs": {**OPTIMIZER_SETTINGS["bootstrap_rs"], "num_candidate_programs": 2},
}


def sometimes_right(prompt: str) -> str:
    """A noisy labeller: right when the text has a telling word, else a seeded guess."""
    text = prompt.lower().rsplit("text:", 1)[-1]
    for word, label in (("love", "positive"), ("great", "positive"), ("broke", "negative"), ("rude", "negative")):
        if word in text:
            return label
    if "instruction" in prompt.lower():
        return "Read the text and answer with one word: positive, negative or neutral."
    return random.Random(prompt).choice(LABELS)


@pytest.fixture
def job_for(monkeypatch):
    for name, budget in TINY_BUDGETS.items():
        monkeypatch.setitem(OPTIMIZER_SETTINGS, name, budget)
    task = get_task("sentiment")
    data = cell_data(task, DataSource(), n=5, train=12, dev=8, seed=0)
    lm = scripted_lm(sometimes_right, cache=False)

    def make(optimizer):
        return CompileJob(task=task, optimizer=optimizer, student_lm=lm, teacher_lm=lm,
                          trainset=data.train, devset=data.dev, seed=0)

    return make


@pytest.mark.parametrize("optimizer", ["labeled", "bootstrap", "bootstrap_rs", "mipro", "gepa"])
def test_every_optimizer_compiles_a_loadable_program(job_for, optimizer, tmp_path):
    job = job_for(optimizer)
    with dspy.context(adapter=LenientChatAdapter()):
        program = compile_program(job)
    baseline = job.task.make_program()
    assert type(program) is type(baseline)
    program.save(str(tmp_path / "p.json"))
    reloaded = job.task.make_program()
    reloaded.load(str(tmp_path / "p.json"))
    assert reloaded.dump_state() == program.dump_state()
    if optimizer in ("labeled", "bootstrap"):
        assert not is_noop(program, baseline), "demos must have been added"


def test_the_baseline_is_returned_untouched_and_flagged_by_is_noop(job_for):
    program = compile_program(job_for("none"))
    assert is_noop(program, get_task("sentiment").make_program())


def test_compiling_never_sees_the_test_split(job_for):
    job = job_for("labeled")
    seen = {e.example_id for e in job.trainset} | {e.example_id for e in job.devset}
    test_ids = {e.example_id for e in cell_data(job.task, DataSource(), n=200, train=0, dev=0, seed=0).test}
    assert seen and not seen & test_ids


def _compile_in_child(path, counter, barrier):
    barrier.wait()
    task = get_task("sentiment")

    def compile_once():
        with counter.get_lock():
            counter.value += 1
        program = task.make_program()
        program.predictors()[0].signature = program.predictors()[0].signature.with_instructions("compiled")
        return program

    program = load_or_compile(path, make_program=task.make_program, compile_fn=compile_once).program
    assert program.predictors()[0].signature.instructions == "compiled"


def test_two_processes_needing_one_program_compile_it_once(tmp_path):
    context = multiprocessing.get_context("fork")
    counter, barrier = context.Value("i", 0), context.Barrier(2)
    path = tmp_path / "programs" / "p.json"
    children = [context.Process(target=_compile_in_child, args=(path, counter, barrier)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [c.exitcode for c in children] == [0, 0]
    assert counter.value == 1
    assert not list(path.parent.glob("*.tmp.json")), "no half-written file is left behind"
