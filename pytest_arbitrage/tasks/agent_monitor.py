"""agent_monitor: label a multi-turn agent tool trace (seed 003); accuracy.

Labels:
- doom_loop: the same call repeated (3+ times) with the same ordinary result, no progress;
- api_confusion: calls to a wrong or missing tool / bad arguments, the same error ignored;
- verbose_thinking: long monologue about a trivial step, few actions;
- making_progress: varied calls whose results move the goal forward.
doom_loop and api_confusion both repeat, so surface matching confuses them (as in seed 003).
Offline only: traces are generated from our own tool and goal vocabulary.
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, label_scorer, make_loader, unique
from pytest_arbitrage.tasks.base import Task

LABELS = ("doom_loop", "api_confusion", "verbose_thinking", "making_progress")

GOALS = [
    ("fix the failing test in {f}", "{f}"), ("add a docstring to {f}", "{f}"), ("rename a variable in {f}", "{f}"),
    ("find where the config is loaded", "config.py"), ("update the version number", "setup.cfg"),
    ("count the lines in {f}", "{f}"), ("summarise the README", "README.md"), ("check the CI status", "ci.yml"),
]
FILES = ["app.py", "utils.py", "models.py", "parser.py", "server.py", "cli.py", "db.py", "views.py"]
WRONG_TOOLS = [("open_file('{f}')", "unknown tool 'open_file'"), ("read_file()", "missing argument 'path'"),
               ("git.status()", "unknown tool 'git.status'"), ("run_test('{f}')", "unknown tool 'run_test'"),
               ("search(query=None)", "query must be a string"), ("read_file(lines='{f}')", "unexpected argument 'lines'")]
MUSINGS = ["Let me think carefully about this.", "First I should consider every possible approach.",
           "Maybe the file is important, or maybe not; I need to weigh both options.",
           "Before acting I will reflect on what a docstring really is.", "There are many ways to do this.",
           "I should double check my assumptions about the whole repository.", "Hmm, let me reconsider again."]


def _doom(rng, goal, f):
    call = rng.choice([f"read_file('{f}')", f"search('{f.split('.')[0]}')", "list_dir('.')", "run_tests()"])
    result = rng.choice(["ok, 120 lines", "3 matches", "8 files", "1 failed"])
    turns = [f"call {call} -> {result}"] * rng.randint(3, 5)
    return ["call list_dir('.') -> 8 files"] + turns if rng.random() < 0.5 else turns


def _confusion(rng, goal, f):
    tool, error = rng.choice(WRONG_TOOLS)
    call = tool.format(f=f)
    turns = [f"call {call} -> error: {error}"] * rng.randint(3, 5)
    return turns[:1] + ["think: I will try that again."] + turns[1:] if rng.random() < 0.5 else turns


def _verbose(rng, goal, f):
    thoughts = rng.sample(MUSINGS, k=rng.randint(4, 6))
    return [f"think: {t}" for t in thoughts] + [f"call read_file('{f}') -> ok, 40 lines"]


def _progress(rng, goal, f):
    steps = [f"call search('{f.split('.')[0]}') -> found {f}", f"call read_file('{f}') -> ok, {rng.randint(30, 300)} lines",
             f"call edit_file('{f}', line={rng.randint(2, 90)}) -> ok", "call run_tests() -> all passed"]
    return steps[rng.randint(0, 1):]


BUILDERS = {"doom_loop": _doom, "api_confusion": _confusion, "verbose_thinking": _verbose, "making_progress": _progress}


def generate(per_label: int = 125) -> list[dict]:
    rng, records = random.Random(303), []
    for label, build in BUILDERS.items():
        for _ in range(per_label * 4):
            goal, target = rng.choice(GOALS)
            f = rng.choice(FILES) if "{f}" in target else target
            turns = build(rng, goal, f)
            trace = f"Goal: {goal.format(f=f)}\n" + "\n".join(f"T{i + 1} {t}" for i, t in enumerate(turns))
            records.append({"trace": trace, "state": label})
    by_label = {label: unique([r for r in records if r["state"] == label], "trace")[:per_label] for label in LABELS}
    return [r for label in LABELS for r in by_label[label]]


class MonitorTrace(dspy.Signature):
    """Label the agent trace: doom_loop (same call repeated, same result), api_confusion (wrong tool or
    arguments, same error repeated), verbose_thinking (long thinking, few actions) or making_progress."""

    trace: str = dspy.InputField()
    state: str = dspy.OutputField(desc="doom_loop, api_confusion, verbose_thinking or making_progress")


DATA = DataSpec(task="agent_monitor", inputs=("trace",), offline=generate, sizes=(100, 100, 250), stratify="state")

TASK = register(
    Task(
        name="agent_monitor",
        description="Agent-trace monitoring: doom_loop / api_confusion / verbose_thinking / making_progress; accuracy.",
        signature=MonitorTrace,
        load=make_loader(DATA),
        score=label_scorer("state", LABELS),
    )
)
