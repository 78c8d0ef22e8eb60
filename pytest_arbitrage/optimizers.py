"""Compile a task's program with one of DSPy's optimizers: the optimizer registry.

Compile on train, select on dev; the test split never reaches this module. Each
optimizer is one entry of `REGISTRY` (its compile function and its budget); the
option's choices (`OPTIMIZERS`) and the budgets in the program cache key are read from
it, so adding an optimizer is one function and one entry here. DSPy is imported only
when something is compiled: the option parser reads the names without it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import dspy

    from pytest_arbitrage.tasks import Task


@dataclass(frozen=True)
class CompileJob:
    task: Task
    optimizer: str
    student_lm: dspy.LM
    teacher_lm: dspy.LM
    trainset: list[dspy.Example]
    devset: list[dspy.Example]
    seed: int
    threads: int = 1


def compile_program(job: CompileJob) -> dspy.Module:
    """A fresh program of the task, compiled by `job.optimizer` (`none`: returned as is)."""
    import dspy

    student = job.task.make_program()
    compile_with = REGISTRY[job.optimizer].compile
    if compile_with is None:
        return student
    random.seed(job.seed)  # some optimizers draw from the global generator
    with dspy.context(lm=job.student_lm):
        return compile_with(job, student, OPTIMIZER_SETTINGS[job.optimizer])


def is_noop(compiled: dspy.Module, baseline: dspy.Module) -> bool:
    """True when compiling changed nothing: same instructions, no demos added."""
    return compiled.dump_state() == baseline.dump_state()


def _gepa_metric(task: Task) -> Callable:
    import dspy

    def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
        score = task.score(gold, pred)
        feedback = "The output could not be read as an answer." if score.parse_error else (
            f"Score {score.value:.2f}. Expected: {_expected(gold)}.")
        return dspy.Prediction(score=score.value, feedback=feedback)

    return metric


def _expected(example: dspy.Example) -> str:
    labels = {k: v for k, v in example.items() if k not in example.inputs().keys() and k != "example_id"}
    return "; ".join(f"{k}={v}" for k, v in labels.items())[:300]


def _labeled(job: CompileJob, student, settings: dict):
    import dspy

    return dspy.LabeledFewShot(k=settings["k"]).compile(student, trainset=job.trainset, sample=True)


def _bootstrap(job: CompileJob, student, settings: dict):
    import dspy

    optimizer = dspy.BootstrapFewShot(metric=job.task.dspy_metric, teacher_settings={"lm": job.teacher_lm},
                                      **settings)
    return optimizer.compile(student, trainset=job.trainset)


def _bootstrap_rs(job: CompileJob, student, settings: dict):
    import dspy

    optimizer = dspy.BootstrapFewShotWithRandomSearch(
        metric=job.task.dspy_metric, teacher_settings={"lm": job.teacher_lm},
        num_threads=job.threads, **settings)
    return optimizer.compile(student, trainset=job.trainset, valset=job.devset or job.trainset)


def _mipro(job: CompileJob, student, settings: dict):
    import dspy

    settings = dict(settings)
    num_trials, minibatch = settings.pop("num_trials"), settings.pop("minibatch")
    optimizer = dspy.MIPROv2(metric=job.task.dspy_metric, prompt_model=job.teacher_lm, task_model=job.student_lm,
                             teacher_settings={"lm": job.teacher_lm}, auto=None, seed=job.seed,
                             num_threads=job.threads, verbose=False, **settings)
    return optimizer.compile(student, trainset=job.trainset, valset=job.devset or job.trainset,
                             num_trials=num_trials, minibatch=minibatch)


def _gepa(job: CompileJob, student, settings: dict):
    import dspy

    optimizer = dspy.GEPA(metric=_gepa_metric(job.task), reflection_lm=job.teacher_lm, seed=job.seed,
                          num_threads=job.threads, track_stats=False, **settings)
    return optimizer.compile(student, trainset=job.trainset, valset=job.devset or job.trainset)


@dataclass(frozen=True)
class Optimizer:
    compile: Callable | None  # (job, student, settings) -> compiled program; None: the baseline as is
    settings: dict  # its budget: small, because the default models are tiny and local


REGISTRY: dict[str, Optimizer] = {  # in the order cells are listed; `none` first
    "none": Optimizer(None, {}),
    "labeled": Optimizer(_labeled, {"k": 4}),
    "bootstrap": Optimizer(_bootstrap, {"max_bootstrapped_demos": 3, "max_labeled_demos": 3, "max_rounds": 1}),
    "bootstrap_rs": Optimizer(_bootstrap_rs, {"max_bootstrapped_demos": 3, "max_labeled_demos": 3,
                                              "num_candidate_programs": 4}),
    "mipro": Optimizer(_mipro, {"num_candidates": 3, "num_trials": 6, "max_bootstrapped_demos": 3,
                                "max_labeled_demos": 3, "minibatch": False}),
    "gepa": Optimizer(_gepa, {"max_metric_calls": 120, "reflection_minibatch_size": 3}),
}
OPTIMIZERS = tuple(REGISTRY)
OPTIMIZER_SETTINGS: dict[str, dict] = {name: dict(o.settings) for name, o in REGISTRY.items()}  # what the key reads
