"""qa: multi-hop questions over context paragraphs (HotPotQA, distractor setting).

Score value = SQuAD token F1 (continuous), exact match in `details["em"]`; a bootstrapped
demo needs F1 = 1.0 (an exact normalised match).
Hub: hotpotqa/hotpot_qa "distractor"; each paragraph is cut to its first two sentences and
the context to 2,000 characters so a 2k-token model can read it.
Offline: two-hop questions about invented landmarks and people, with two distractor paragraphs.
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.metrics import qa_score
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, answer_text, make_loader, unique
from pytest_arbitrage.tasks._world import World, landmark_facts
from pytest_arbitrage.tasks.base import Score, Task

MAX_CONTEXT = 2000
JOBS = ["baker", "teacher", "sailor", "carpenter", "nurse", "pilot", "printer", "gardener", "miner", "tailor"]


def _person(world: World, name: str) -> dict:
    return {"name": name, "born_in": world.town(), "born": world.year(1760, 1900), "job": world.pick(JOBS)}


def _paragraphs(site: dict, person: dict) -> list[str]:
    title = site["name"].removeprefix("the ").title()
    return [f"{title}: {title} stands in {site['town']}. It was founded by {person['name']} in {site['year']}.",
            f"{person['name']}: {person['name']} was born in {person['born_in']} in {person['born']}. "
            f"{person['name'].split()[0]} worked as a {person['job']}."]


def _example(world: World, rng: random.Random, kind: int) -> dict:
    (site, other) = (landmark_facts(world), landmark_facts(world))
    founder, other_founder = _person(world, site["founder"]), _person(world, other["founder"])
    gold, distractors = _paragraphs(site, founder), _paragraphs(other, other_founder)
    name = site["name"]
    question, answer = [
        (f"In which town was the founder of {name} born?", founder["born_in"]),
        (f"What job did the founder of {name} have?", founder["job"]),
        (f"In what year was the founder of {name} born?", str(founder["born"])),
        (f"Which opened first, {name} or {other['name']}?", name if site["year"] < other["year"] else other["name"]),
    ][kind]
    paragraphs = gold + distractors
    rng.shuffle(paragraphs)
    return {"context": "\n".join(paragraphs), "question": question, "answer": answer}


def generate() -> list[dict]:
    world, rng = World(seed=31), random.Random(31)
    records = [_example(world, rng, i % 4) for i in range(650)]
    return [r for r in unique(records, "question") if r["answer"]]


def _from_hotpot(row) -> dict:
    titles, sentences = row["context"]["title"], row["context"]["sentences"]
    paragraphs = [f"{t}: {''.join(s[:2]).strip()}" for t, s in zip(titles, sentences)]
    return {"context": "\n".join(paragraphs)[:MAX_CONTEXT], "question": row["question"], "answer": row["answer"]}


class MultiHopQuestion(dspy.Signature):
    """Answer the question using the context. Give a short answer."""

    context: str = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="a few words")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    return qa_score(answer_text(pred, "answer"), [example.answer])


DATA = DataSpec(
    task="qa",
    inputs=("context", "question"),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("hotpotqa/hotpot_qa", _from_hotpot, name="distractor", test_split="validation"),
)

TASK = register(
    Task(
        name="qa",
        description="Multi-hop QA over context paragraphs (HotPotQA distractor); token F1 (EM in details).",
        signature=MultiHopQuestion, pipeline=True,
        load=make_loader(DATA),
        score=score,
        binary=False,
        pass_threshold=1.0,
    )
)
