"""Compile a task's program with one of DSPy's optimizers: the optimizer registry.

Compile on train, select on dev; the test split never reaches this module. Each
optimizer is one entry of `REGISTRY` (its compile function and its budget); the
option's choices (`OPTIMIZERS`) and the budgets in the program cache key are read from
it, so adding an optimizer is one function and one entry here. DSPy is imported only
when something is compiled: the option parser reads the names without it.
"""
from __future__ import annotations

import inspect
import random
from dataclasses import dataclass, field
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
    settings: dict = field(default_factory=dict)  # the budget (`budget(optimizer, overrides)`)
    make_program: Callable | None = None  # the cell's baseline program (its module and depth)

    def __post_init__(self) -> None:
        if self.make_program is None:
            object.__setattr__(self, "make_program", self.task.make_program)
        if not self.settings:
            object.__setattr__(self, "settings", budget(self.optimizer))


def compile_program(job: CompileJob) -> dspy.Module:
    """A fresh program of the task, compiled by `job.optimizer` (`none`: returned as is)."""
    import dspy

    student = job.make_program()
    compile_with = REGISTRY[job.optimizer].compile
    if compile_with is None:
        return student
    random.seed(job.seed)  # some optimizers draw from the global generator
    with dspy.context(lm=job.student_lm):
        return compile_with(job, student, job.settings)


def is_noop(compiled: dspy.Module, baseline: dspy.Module) -> bool:
    """True when compiling changed nothing: same instructions, no demos added."""
    return compiled.dump_state() == baseline.dump_state()


def learning_curve(compiled: dspy.Module) -> list[dict] | None:
    """The dev score of each step of the search, from the optimizer's own results on the program it
    returned: `[{"step", "score", "kind"}]`, step 0 the unoptimized program, scores fractions in [0, 1].
    None when the optimizer reports no steps (`labeled`, `bootstrap`, the baseline)."""
    if isinstance(getattr(compiled, "trial_logs", None), dict):
        return _mipro_trials(compiled.trial_logs)
    if hasattr(getattr(compiled, "detailed_results", None), "val_aggregate_scores"):  # one per accepted candidate
        return _points(compiled.detailed_results.val_aggregate_scores, "iteration", scale=1)
    if isinstance(getattr(compiled, "candidate_programs", None), list):
        tried = sorted(compiled.candidate_programs, key=lambda c: c["seed"])  # seeds -3, -2, ... in the order tried
        return _points([c["score"] for c in tried], "candidate", scale=100)
    return None


def _mipro_trials(trial_logs: dict) -> list[dict]:
    """MIPROv2's trials scored on the whole dev set (trial 1: the default program; minibatch-only
    trials are left out, their scores are on a few examples). `Evaluate` reports percentages."""
    return [{"step": trial - 1, "score": round(float(log["full_eval_score"]) / 100, 6), "kind": "trial"}
            for trial, log in sorted(trial_logs.items()) if "full_eval_score" in log]


def _points(scores: list, kind: str, *, scale: int) -> list[dict]:
    return [{"step": step, "score": round(float(score) / scale, 6), "kind": kind} for step, score in enumerate(scores)]


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


def _split(cls, settings: dict) -> tuple[dict, dict]:
    """A budget split into the optimizer's constructor and `compile` keyword arguments."""
    compile_params = inspect.signature(cls.compile).parameters
    init = {k: v for k, v in settings.items() if k not in compile_params}
    return init, {k: v for k, v in settings.items() if k in compile_params}


def _run(cls, student, settings: dict, *, init: dict, compile: dict):
    init_kwargs, compile_kwargs = _split(cls, settings)
    return cls(**init, **init_kwargs).compile(student, **compile, **compile_kwargs)


def _labeled(job: CompileJob, student, settings: dict):
    import dspy

    return _run(dspy.LabeledFewShot, student, settings, init={}, compile={"trainset": job.trainset, "sample": True})


def _bootstrap(job: CompileJob, student, settings: dict):
    import dspy

    return _run(dspy.BootstrapFewShot, student, settings,
                init={"metric": job.task.dspy_metric, "teacher_settings": {"lm": job.teacher_lm}},
                compile={"trainset": job.trainset})


def _bootstrap_rs(job: CompileJob, student, settings: dict):
    import dspy

    return _run(dspy.BootstrapFewShotWithRandomSearch, student, settings,
                init={"metric": job.task.dspy_metric, "teacher_settings": {"lm": job.teacher_lm},
                      "num_threads": job.threads},
                compile={"trainset": job.trainset, "valset": job.devset or job.trainset})


def _mipro(job: CompileJob, student, settings: dict):
    import dspy

    return _run(dspy.MIPROv2, student, settings,
                init={"metric": job.task.dspy_metric, "prompt_model": job.teacher_lm, "task_model": job.student_lm,
                      "teacher_settings": {"lm": job.teacher_lm}, "seed": job.seed, "num_threads": job.threads,
                      "verbose": False},
                compile={"trainset": job.trainset, "valset": job.devset or job.trainset})


def _gepa(job: CompileJob, student, settings: dict):
    import dspy

    return _run(dspy.GEPA, student, settings,
                init={"metric": _gepa_metric(job.task), "reflection_lm": job.teacher_lm, "seed": job.seed,
                      "num_threads": job.threads, "track_stats": True},  # True: its scores per candidate
                compile={"trainset": job.trainset, "valset": job.devset or job.trainset})


@dataclass(frozen=True)
class Optimizer:
    compile: Callable | None  # (job, student, settings) -> compiled program; None: the baseline as is
    settings: dict  # its default budget: small, because the default models are tiny and local
    dspy_class: str | None = None  # whose parameters a budget may set (`--arb-optimizer-settings`)
    fixed: frozenset = frozenset()  # parameters the compile function sets itself
    replaces: dict = field(default_factory=dict)  # a setting that makes some defaults moot (MIPRO's `auto`)


_COMMON_FIXED = frozenset({"metric", "student", "trainset", "teacher", "teacher_settings", "valset", "num_threads"})
REGISTRY: dict[str, Optimizer] = {  # in the order cells are listed; `none` first
    "none": Optimizer(None, {}),
    "labeled": Optimizer(_labeled, {"k": 4}, "LabeledFewShot", _COMMON_FIXED | {"sample"}),
    "bootstrap": Optimizer(_bootstrap, {"max_bootstrapped_demos": 3, "max_labeled_demos": 3, "max_rounds": 1},
                           "BootstrapFewShot", _COMMON_FIXED),
    "bootstrap_rs": Optimizer(_bootstrap_rs, {"max_bootstrapped_demos": 3, "max_labeled_demos": 3,
                                              "num_candidate_programs": 4},
                              "BootstrapFewShotWithRandomSearch", _COMMON_FIXED),
    "mipro": Optimizer(_mipro, {"auto": None, "num_candidates": 3, "num_trials": 6, "max_bootstrapped_demos": 3,
                                "max_labeled_demos": 3, "minibatch": False},
                       "MIPROv2", _COMMON_FIXED | {"prompt_model", "task_model", "seed", "verbose"},
                       replaces={"auto": ("num_candidates", "num_trials")}),
    "gepa": Optimizer(_gepa, {"max_metric_calls": 120, "reflection_minibatch_size": 3},
                      "GEPA", _COMMON_FIXED | {"reflection_lm", "seed", "track_stats"},
                      replaces={name: ("max_metric_calls",) for name in ("auto", "max_full_evals")}),
}
OPTIMIZERS = tuple(REGISTRY)
OPTIMIZER_SETTINGS: dict[str, dict] = {name: dict(o.settings) for name, o in REGISTRY.items()}  # the defaults


def budget(optimizer: str, overrides: dict | None = None) -> dict:
    """The settings a cell compiles with: the defaults, then the user's overrides for this optimizer."""
    entry, changes = REGISTRY[optimizer], (overrides or {}).get(optimizer, {})
    settings = dict(OPTIMIZER_SETTINGS[optimizer])
    for name in changes:
        for moot in entry.replaces.get(name, ()):
            settings.pop(moot, None)
    return settings | changes


def parse_optimizer_settings(text: str | None) -> dict[str, dict]:
    """`mipro.auto=light,gepa.max_metric_calls=300` -> {"mipro": {"auto": "light"}, ...}, checked
    against each DSPy optimizer's own parameters; ValueError names the bad part and the valid ones."""
    parsed: dict[str, dict] = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        dotted, sep, value = part.partition("=")
        optimizer, dot, name = dotted.strip().partition(".")
        if not sep or not dot or not name:
            raise ValueError(f"expected OPTIMIZER.PARAMETER=VALUE, got {part!r}")
        valid = settable(optimizer)
        if name not in valid:
            raise ValueError(f"{optimizer!r} has no setting {name!r}; valid: {', '.join(sorted(valid))}")
        parsed.setdefault(optimizer, {})[name] = _value(value)
    return parsed


def settable(optimizer: str) -> set[str]:
    """The parameters of an optimizer's DSPy class (constructor and compile) a budget may set."""
    if optimizer not in REGISTRY:
        raise ValueError(f"unknown optimizer {optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
    entry = REGISTRY[optimizer]
    if entry.dspy_class is None:
        return set()
    import dspy

    cls = getattr(dspy, entry.dspy_class)
    names = {*inspect.signature(cls.__init__).parameters, *inspect.signature(cls.compile).parameters}
    return names - entry.fixed - {"self", "kwargs", "args"}


def _value(text: str):
    """`light` -> "light", `8` -> 8, `0.5` -> 0.5, `true` -> True, `none` -> None."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text
