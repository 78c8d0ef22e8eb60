"""analysis: yes/no questions about a passage (BoolQ); accuracy.

Hub: google/boolq (passages truncated for 2k-token models).
Offline: passages about invented landmarks; each question checks one stated fact,
half of them against a wrong value.
"""
from __future__ import annotations

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, make_loader, unique, yes_no_scorer
from pytest_arbitrage.tasks._world import DAYS, World, landmark_facts, landmark_passage
from pytest_arbitrage.tasks.base import Task

MAX_PASSAGE = 1200


def _question(world: World, facts: dict, truth: bool) -> str:
    name, kind = facts["name"], world.pick(["town", "founder", "year", "day", "fee"])
    if kind == "town":
        return f"is {name} in {facts['town'] if truth else _other(world.town, facts['town'])}"
    if kind == "founder":
        return f"was {name} founded by {facts['founder'] if truth else _other(world.person, facts['founder'])}"
    if kind == "year":
        gap = world.rng.randint(3, 40)
        return f"did {name} open {'before' if truth else 'after'} {facts['year'] + gap}"
    if kind == "day":
        other = world.pick([d for d in DAYS if d != facts["day"]])
        return f"is {name} closed every {facts['day'] if truth else other}"
    return f"is entry to {name} free" if (facts["fee"] == 0) == truth else f"does entry to {name} cost money"


def _other(draw, actual: str) -> str:
    value = draw()
    while value == actual:
        value = draw()
    return value


def generate() -> list[dict]:
    world, records = World(seed=11), []
    for i in range(700):
        facts = landmark_facts(world)
        passage = landmark_passage(facts)
        truth = i % 2 == 0
        question = _question(world, facts, truth)
        records.append({"passage": passage, "question": question + "?", "answer": "yes" if truth else "no"})
    return unique(records, "question")


def _from_boolq(row) -> dict:
    return {"passage": str(row["passage"])[:MAX_PASSAGE], "question": str(row["question"]).rstrip("?") + "?",
            "answer": "yes" if row["answer"] else "no"}


class PassageQuestion(dspy.Signature):
    """Read the passage and answer the question with yes or no."""

    passage: str = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="yes or no")


DATA = DataSpec(
    task="analysis",
    inputs=("passage", "question"),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("google/boolq", _from_boolq, test_split="validation"),
    stratify="answer",
)

TASK = register(
    Task(
        name="analysis",
        description="Yes/no reading comprehension over a passage (BoolQ); accuracy.",
        signature=PassageQuestion,
        load=make_loader(DATA),
        score=yes_no_scorer("answer"),
    )
)
