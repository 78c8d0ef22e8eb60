"""synthesis: one-sentence summaries (XSum); ROUGE-L F1 with a copy penalty.

value = ROUGE-L F1 against the reference x (1 - the fraction of the summary's words that
sit in an 8-word run copied verbatim from the document); details carry both parts.
Continuous; a bootstrapped demo needs value >= 0.35 (a threshold used only to pick demos).
Hub: EdinburghNLP/xsum (documents cut to 1,500 characters for 2k-token models).
Offline: short news items from our own templates, each with an abstractive reference.
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.metrics import summary_score
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, answer_text, make_loader, unique
from pytest_arbitrage.tasks._world import World
from pytest_arbitrage.tasks.base import Score, Task

MAX_DOCUMENT = 1500
ACTIONS = ["rebuild the old footbridge", "close two libraries", "build a new swimming pool",
           "ban cars from the market square", "plant a thousand trees", "raise parking charges"]
REASONS = ["falling sales", "higher energy costs", "a drop in orders", "the loss of a major contract"]
FINDS = ["a Roman coin hoard", "the remains of a medieval mill", "a bronze age sword", "a buried Viking boat"]
WEATHER = ["snow", "flooding", "storms", "ice"]


def _council(w: World, r: random.Random) -> tuple[str, str]:
    town, action, who = w.town(), r.choice(ACTIONS), w.person()
    yes, cost = r.randint(12, 30), r.randint(2, 40)
    doc = (f"Councillors in {town} voted {yes} to {r.randint(2, 11)} on Wednesday to {action}. The plan, put forward "
           f"by {who}, is expected to cost about {cost} million dollars. Some residents said the money should be "
           f"spent elsewhere. Work is due to begin next year.")
    return doc, f"{town} council has approved a plan to {action}."


def _jobs(w: World, r: random.Random) -> tuple[str, str]:
    org, town, n = w.org(), w.town(), r.choice([40, 120, 250, 600, 900])
    doc = (f"{org} said on Monday that {n} posts would go at its site in {town}. The firm blamed "
           f"{r.choice(REASONS)}. {w.person()}, a union official, called the decision a heavy blow for the area. "
           f"The company has {n * r.randint(3, 8)} staff in the region.")
    return doc, f"{org} is to cut {n} jobs in {town}."


def _match(w: World, r: random.Random) -> tuple[str, str]:
    home, away, scorer = w.town(), w.town(), w.person()
    goals = r.randint(2, 5)
    doc = (f"{home} beat {away} {goals}-{r.randint(0, goals - 1)} on Saturday. {scorer} scored twice before half "
           f"time as the visitors struggled. The result lifts {home} to the top of the table with {r.randint(3, 9)} "
           f"games left.")
    return doc, f"{home} went top of the league after a win over {away}."


def _storm(w: World, r: random.Random) -> tuple[str, str]:
    town, kind, homes = w.town(), r.choice(WEATHER), r.randint(2, 90) * 100
    doc = (f"Roads around {town} were closed on Tuesday after a night of heavy {kind}. Engineers worked through "
           f"the morning, but {homes:,} homes were still without power by noon. Schools in the area stayed shut.")
    return doc, f"Bad {kind} has left {homes:,} homes near {town} without electricity."


def _dig(w: World, r: random.Random) -> tuple[str, str]:
    town, find, expert = w.town(), r.choice(FINDS), w.person()
    doc = (f"Archaeologists digging ahead of a housing project near {town} have uncovered {find}. {expert}, who "
           f"led the team, said it was one of the most exciting results in the county for decades. The objects "
           f"will go on show at a local museum.")
    return doc, f"Builders' diggers near {town} have led experts to {find}."


BUILDERS = [_council, _jobs, _match, _storm, _dig]


def generate() -> list[dict]:
    world, rng = World(seed=51), random.Random(51)
    records = []
    for i in range(650):
        document, summary = BUILDERS[i % len(BUILDERS)](world, rng)
        records.append({"document": document, "summary": summary})
    return unique(records, "document")


def _from_xsum(row) -> dict:
    return {"document": str(row["document"])[:MAX_DOCUMENT], "summary": row["summary"]}


class Summarize(dspy.Signature):
    """Summarize the document in one short sentence, in your own words."""

    document: str = dspy.InputField()
    summary: str = dspy.OutputField(desc="one sentence")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    return summary_score(answer_text(pred, "summary"), example.summary, example.document)


DATA = DataSpec(
    task="synthesis",
    inputs=("document",),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("EdinburghNLP/xsum", _from_xsum),
)

TASK = register(
    Task(
        max_tokens=64,
        name="synthesis",
        description="One-sentence summaries (XSum); ROUGE-L F1 x (1 - copied fraction).",
        signature=Summarize,
        load=make_loader(DATA),
        score=score,
        binary=False,
        pass_threshold=0.35,
    )
)
