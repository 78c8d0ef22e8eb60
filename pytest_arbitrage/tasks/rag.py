"""rag: answer from a given context (SQuAD), scored for correctness and faithfulness.

value = token F1 against the gold answers x the fraction of the answer's tokens found in
the context (an answer the context does not support loses credit even if it is right by
luck); details carry em, f1 and faithfulness. Continuous; a bootstrapped demo needs 1.0.
Hub: rajpurkar/squad. Offline: questions about passages on invented landmarks.
"""
from __future__ import annotations

import dspy

from pytest_arbitrage.metrics import grounded_answer_score
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, answer_text, make_loader, unique
from pytest_arbitrage.tasks._world import World, landmark_facts, landmark_passage
from pytest_arbitrage.tasks.base import Score, Task

MAX_CONTEXT = 1500
QUESTIONS = {
    "founder": ("Who founded {name}?", lambda f: f["founder"]),
    "town": ("In which town does {name} stand?", lambda f: f["town"]),
    "year": ("In what year did {name} open?", lambda f: str(f["year"])),
    "day": ("On which day is {name} closed?", lambda f: f["day"]),
    "fee": ("How much does entry to {name} cost?", lambda f: "free" if f["fee"] == 0 else f"{f['fee']} dollars"),
}


def generate() -> list[dict]:
    world, records = World(seed=21), []
    for i in range(650):
        facts = landmark_facts(world)
        template, answer = QUESTIONS[list(QUESTIONS)[i % len(QUESTIONS)]]
        records.append({"context": landmark_passage(facts), "question": template.format(name=facts["name"]),
                        "answer": answer(facts), "answers": [answer(facts)]})
    return unique(records, "question")


# `answer` (the output field's name) gives labeled demos their answer; `answers` are all the accepted ones.
def _from_squad(row) -> dict | None:
    context, answers = str(row["context"]), list(row["answers"]["text"])
    if len(context) > MAX_CONTEXT or not answers:
        return None  # keep contexts a 2k-token model can read whole, and only answerable questions
    return {"context": context, "question": row["question"], "answer": answers[0], "answers": answers}


class ContextAnswer(dspy.Signature):
    """Answer the question with a short phrase copied from the context."""

    context: str = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="a short phrase from the context")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    return grounded_answer_score(answer_text(pred, "answer"), example.answers, example.context)


DATA = DataSpec(
    task="rag",
    inputs=("context", "question"),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("rajpurkar/squad", _from_squad, test_split="validation"),
)

TASK = register(
    Task(
        name="rag",
        description="Answer from a given context (SQuAD); token F1 x faithfulness to the context.",
        signature=ContextAnswer,
        load=make_loader(DATA),
        score=score,
        binary=False,
        pass_threshold=1.0,
    )
)
