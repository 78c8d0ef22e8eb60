"""pipeline_d1/d2/d3/d5: the heart_disease task as a 1-, 2-, 3- or 5-step program (seed 004).

Each step is its own predictor with its own signature and sees only the previous
step's output (patient -> findings -> risk factors -> assessment -> argument ->
diagnosis), so depth changes the program, not the number of repeats. Reports group the
four tasks by `axes = {"pipeline": "heart_disease", "depth": k}`.
"""
from __future__ import annotations

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import make_loader, yes_no_scorer
from pytest_arbitrage.tasks.base import Task
from pytest_arbitrage.tasks.heart_disease import DATA

STEPS = {  # output field: (instruction, output description)
    "findings": ("List the abnormal values in the patient record.", "abnormal values"),
    "risk_factors": ("Name the heart disease risk factors among these findings.", "risk factors"),
    "assessment": ("Rate the heart disease risk as low, medium or high and give one reason.", "risk and reason"),
    "argument": ("Give the strongest reason for and against heart disease and say which wins.", "short argument"),
    "diagnosis": ("Does this indicate heart disease? Answer yes or no.", "yes or no"),
}
DEPTHS = {
    1: ("diagnosis",),
    2: ("findings", "diagnosis"),
    3: ("findings", "assessment", "diagnosis"),
    5: ("findings", "risk_factors", "assessment", "argument", "diagnosis"),
}


def step_signature(source: str, target: str) -> type[dspy.Signature]:
    instruction, desc = STEPS[target]
    fields = {source: (str, dspy.InputField()), target: (str, dspy.OutputField(desc=desc))}
    return dspy.make_signature(fields, instruction)


class Chain(dspy.Module):
    """Predictors in sequence; each one's single output is the next one's single input."""

    def __init__(self, outputs: tuple[str, ...], source: str = "patient"):
        super().__init__()
        self.fields = (source, *outputs)
        for i, (src, dst) in enumerate(zip(self.fields, self.fields[1:])):
            setattr(self, f"step{i + 1}_{dst}", dspy.Predict(step_signature(src, dst)))

    def forward(self, **inputs):
        value, trail = inputs[self.fields[0]], {}
        for i, (src, dst) in enumerate(zip(self.fields, self.fields[1:])):
            value = getattr(self, f"step{i + 1}_{dst}")(**{src: value})[dst]
            trail[dst] = value
        return dspy.Prediction(**trail)


def _make(depth: int) -> Task:
    return register(
        Task(
            max_tokens=64,
            name=f"pipeline_d{depth}",
            description=f"heart_disease as a {depth}-step chained program; accuracy.",
            make_program=lambda: Chain(DEPTHS[depth]),
            load=make_loader(DATA),
            score=yes_no_scorer("diagnosis"),
            axes={"pipeline": "heart_disease", "depth": depth},
        )
    )


TASKS = {depth: _make(depth) for depth in DEPTHS}
