"""math: grade-school multi-step word problems; numeric match ("$18", "18.0", "1,800" all count).

Hub: openai/gsm8k ("main"); the gold is the number after "####".
Offline: multi-step problems from our own seeded templates.
"""
from __future__ import annotations

import dspy

from pytest_arbitrage.metrics import extract_number, format_number
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, make_loader
from pytest_arbitrage.tasks._word_problems import MULTI_STEP, generate, score_number
from pytest_arbitrage.tasks.base import Task


class MathProblem(dspy.Signature):
    """Solve the math word problem step by step. End with the final number."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="the final number")


def _from_gsm8k(row) -> dict | None:
    gold = extract_number(str(row["answer"]).split("####")[-1])
    if gold is None:
        return None
    return {"question": row["question"], "answer": format_number(gold)}


DATA = DataSpec(
    task="math",
    inputs=("question",),
    offline=lambda: generate(MULTI_STEP, count=600, seed=8),
    sizes=(150, 150, 300),
    hub=HubSpec("openai/gsm8k", _from_gsm8k, name="main"),
)

TASK = register(
    Task(
        max_tokens=160,
        name="math",
        description="GSM8K-style multi-step word problems, chain of thought; numeric match.",
        signature=MathProblem, module="cot",
        load=make_loader(DATA),
        score=score_number,
    )
)
