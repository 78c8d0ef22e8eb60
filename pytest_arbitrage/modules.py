"""The inference-module and pipeline-depth axes: a task's signature built into DSPy's own modules.

    predict   dspy.Predict(signature)                                     1 LM call
    cot       dspy.ChainOfThought(signature)                              1 call
    bestofN   dspy.BestOfN(ChainOfThought, N, reward)                     up to N calls
    refineN   dspy.Refine(ChainOfThought, N, reward)                      up to N calls
    mccM      M ChainOfThought samples + dspy.MultiChainComparison        M + 1 calls
    scM       M ChainOfThought samples + dspy.majority (self-consistency) M calls

Rewards for BestOfN and Refine never see the gold answer: they ask only that the answer can be
read (`Task.answer_ok`). Depth d chains d - 1 stages, each a `dspy.Predict` reading the task's
inputs and the previous stage's notes, before the task's own step (which reads the last notes).
"""
from __future__ import annotations

import dspy

from pytest_arbitrage.axes import DEPTHS, SAMPLE_TEMPERATURE, ModuleChoice, parse_module
from pytest_arbitrage.sampling import sample

STAGES = {
    "parse": "List the facts the input states, one per line.",
    "context": "Say what kind of case this is and what matters for answering it.",
    "analysis": "Analyze the input: what it says and what it implies for the question.",
    "reasoning": "Reason step by step from the notes toward the answer, without giving it yet.",
    "synthesis": "Summarize the notes into the key points that decide the answer.",
}


def build_program(task, module: str | None = None, depth: int | None = None) -> dspy.Module:
    """The task's signature in `module` (None: the task's own) at `depth` (None: one step)."""
    stages = DEPTHS[depth or 1]
    signature = task.signature
    if stages:
        signature = signature.append(notes_field(stages[-1]), dspy.InputField(desc=f"notes from the {stages[-1]} step"),
                                     str)
    final = _module(parse_module(module or task.module), signature, task.answer_ok)
    return Pipeline(task.signature, stages, final) if stages else final


def notes_field(stage: str) -> str:
    """A stage's output field (suffixed, so it never collides with a task's own field names)."""
    return f"{stage}_notes"


def _module(choice: ModuleChoice, signature, answer_ok) -> dspy.Module:
    if choice.kind == "predict":
        return dspy.Predict(signature)
    if choice.kind == "cot":
        return dspy.ChainOfThought(signature)
    if choice.kind == "mcc":
        return ComparedSamples(signature, choice.n)
    if choice.kind == "sc":
        return MajorityOfSamples(signature, choice.n)
    retry = dspy.BestOfN if choice.kind == "bestof" else dspy.Refine
    return retry(dspy.ChainOfThought(signature), N=choice.n, reward_fn=label_free_reward(answer_ok), threshold=1.0)


def label_free_reward(answer_ok):
    """1.0 when the prediction is a readable answer, else 0.0; gold labels never enter."""
    def reward(_inputs: dict, prediction) -> float:
        return 1.0 if answer_ok(prediction) else 0.0

    return reward


def _samples(predictor, inputs: dict, m: int) -> list:
    """m samples: a distinct rollout id each (else DSPy's cache returns one answer m times), and
    marked for in-process engines, which never see the rollout id (`sampling`)."""
    samples = []
    for i in range(m):
        with sample(i):
            samples.append(predictor(**inputs, config={"rollout_id": i, "temperature": SAMPLE_TEMPERATURE}))
    return samples


class ComparedSamples(dspy.Module):
    """M ChainOfThought samples compared by `dspy.MultiChainComparison` (M + 1 LM calls)."""

    def __init__(self, signature, m: int):
        super().__init__()
        self.m = m
        self.sample = dspy.ChainOfThought(signature)
        self.compare = dspy.MultiChainComparison(signature, M=m)

    def forward(self, **inputs):
        return self.compare(completions=_samples(self.sample, inputs, self.m), **inputs)


class MajorityOfSamples(dspy.Module):
    """Self-consistency: M ChainOfThought samples, the most common answer wins (`dspy.majority`)."""

    def __init__(self, signature, m: int):
        super().__init__()
        self.m = m
        self.sample = dspy.ChainOfThought(signature)

    def forward(self, **inputs):
        return dspy.majority(_samples(self.sample, inputs, self.m))


class Pipeline(dspy.Module):
    """Stages in sequence, then the task's step; each stage reads the inputs and the last notes."""

    def __init__(self, signature, stages: tuple[str, ...], final: dspy.Module):
        super().__init__()
        self.stage_names = stages
        previous = None
        for name in stages:
            setattr(self, f"stage_{name}", dspy.Predict(_stage_signature(signature, name, previous)))
            previous = name
        self.answer = final

    def forward(self, **inputs):
        notes: dict = {}
        for name in self.stage_names:
            notes = {notes_field(name): getattr(getattr(self, f"stage_{name}")(**inputs, **notes), notes_field(name))}
        return self.answer(**inputs, **notes)


def _stage_signature(signature, name: str, previous: str | None):
    fields = {key: (field.annotation, dspy.InputField(desc=(field.json_schema_extra or {}).get("desc", "")))
              for key, field in signature.input_fields.items()}
    if previous:
        fields[notes_field(previous)] = (str, dspy.InputField(desc=f"notes from the {previous} step"))
    fields[notes_field(name)] = (str, dspy.OutputField(desc=f"{name} notes"))
    return dspy.make_signature(fields, STAGES[name])
