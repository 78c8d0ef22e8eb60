"""agentic: yes/no questions that need an implicit chain of reasoning (StrategyQA); accuracy.

Hub: ChilleD/StrategyQA. Offline: questions composed from our own table of typical
weights, sizes and durations, so each needs a comparison the question does not state.
The program reasons first (chain of thought), then answers yes or no.
"""
from __future__ import annotations

import itertools

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, gold_bool, make_loader, unique, yes_no_scorer
from pytest_arbitrage.tasks.base import Task

# name: (typical weight in kg, typical length in cm)
OBJECTS = {
    "elephant": (5000, 600), "house cat": (4, 45), "mouse": (0.03, 8), "grand piano": (400, 180),
    "apple": (0.2, 8), "car": (1400, 450), "laptop": (2, 35), "bicycle": (12, 170), "pencil": (0.01, 18),
    "watermelon": (8, 35), "horse": (500, 240), "smartphone": (0.2, 15), "refrigerator": (80, 180),
    "coin": (0.005, 2), "sofa": (60, 210), "paperback book": (0.3, 20), "large dog": (35, 100),
    "kitchen chair": (7, 90), "city bus": (12000, 1200), "teacup": (0.2, 9), "banana": (0.15, 20),
    "sheep": (70, 130), "television": (15, 120), "golf ball": (0.05, 4),
}
# activity: typical minutes
ACTIVITIES = {
    "boil an egg": 10, "watch a feature film": 120, "fly from London to Sydney": 1320, "brush your teeth": 2,
    "run a marathon": 240, "bake a loaf of bread": 180, "read a short poem": 3, "sleep through a night": 480,
    "play a football match": 90, "cook instant noodles": 4, "drive across a small town": 15,
    "knit a sweater": 1800,
}


def generate() -> list[dict]:
    records = []
    for name, (kg, cm) in OBJECTS.items():
        records += [
            {"question": f"Could a person hold a {name} in one hand?", "answer": _yn(kg <= 5 and cm <= 40)},
            {"question": f"Would a {name} fit inside a shoebox?", "answer": _yn(cm <= 30)},
            {"question": f"Could two adults carry a {name} up the stairs?", "answer": _yn(kg <= 150)},
        ]
    for (a, (kg_a, _)), (b, (kg_b, _)) in itertools.permutations(OBJECTS.items(), 2):
        if max(kg_a, kg_b) >= 3 * min(kg_a, kg_b):  # only clear-cut comparisons
            records.append({"question": f"Is a {a} usually heavier than a {b}?", "answer": _yn(kg_a > kg_b)})
    for (a, t_a), (b, t_b) in itertools.permutations(ACTIVITIES.items(), 2):
        if max(t_a, t_b) >= 3 * min(t_a, t_b):
            records.append({"question": f"Could you {a} in the time it takes to {b}?", "answer": _yn(t_a < t_b)})
    return unique(records, "question")


def _yn(value: bool) -> str:
    return "yes" if value else "no"


def _from_strategyqa(row) -> dict:
    return {"question": row["question"], "answer": _yn(gold_bool(row["answer"]))}


class StrategyQuestion(dspy.Signature):
    """Answer the question with yes or no."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="yes or no")


DATA = DataSpec(
    task="agentic",
    inputs=("question",),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("ChilleD/StrategyQA", _from_strategyqa),
    stratify="answer",
)

TASK = register(
    Task(
        max_tokens=160,
        name="agentic",
        description="Implicit multi-step yes/no reasoning (StrategyQA), chain of thought; accuracy.",
        signature=StrategyQuestion, module="cot",
        load=make_loader(DATA),
        score=yes_no_scorer("answer"),
    )
)
