"""extraction: named entities (CoNLL-2003 types PER, ORG, LOC, MISC); entity-level F1.

Output format asked for: "PER: Ana Ruiz; ORG: Belford Bank; LOC: Corwick" (or "none");
"Ana Ruiz (PER)" is read too. Continuous; a bootstrapped demo needs F1 = 1.0.
Hub: lukasgarbas/conll-03 (parquet; IOB2 tags as strings, ints are read with the CoNLL order).
Offline: news-style sentences from our own templates with invented names.
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.metrics import entity_f1_score
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, answer_text, make_loader, unique
from pytest_arbitrage.tasks._world import World
from pytest_arbitrage.tasks.base import Score, Task

TYPES = ("PER", "ORG", "LOC", "MISC")
CONLL_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
MISC = ["German", "Olympic", "French", "European Cup", "Brazilian", "Nobel Prize", "Japanese", "World Cup"]
TEMPLATES = [
    "{PER} joined {ORG} in {LOC} last month.",
    "{ORG} opened a new office in {LOC}, said {PER}.",
    "{PER} and {PER2} met in {LOC} to discuss the {MISC} bid.",
    "The {MISC} team beat {ORG} on Sunday.",
    "{PER} spoke to reporters after {ORG} shares fell.",
    "Shares in {ORG} rose on Tuesday.",
    "{PER} won the {MISC} race in {LOC}.",
    "Heavy rain is expected on Monday.",
    "Police in {LOC} said {PER} was not hurt.",
    "{ORG} and {ORG2} agreed to merge.",
]


def gold_entities(pairs: list[tuple[str, str]]) -> str:
    """ "PER: a, b; ORG: c" in type order, or "none"."""
    groups = [f"{t}: {', '.join(v for k, v in pairs if k == t)}" for t in TYPES if any(k == t for k, _ in pairs)]
    return "; ".join(groups) or "none"


def _sentence(world: World, rng: random.Random) -> dict:
    template = rng.choice(TEMPLATES)
    slots = {"PER": world.person(), "PER2": world.person(), "ORG": world.org(), "ORG2": world.org(),
             "LOC": world.town(), "MISC": rng.choice(MISC)}
    order = sorted((template.index("{" + k + "}"), k) for k in slots if "{" + k + "}" in template)
    pairs = [(k.rstrip("2"), slots[k]) for _, k in order]
    return {"text": template.format(**slots), "entities": gold_entities(pairs)}


def generate() -> list[dict]:
    world, rng = World(seed=41), random.Random(41)
    return unique([_sentence(world, rng) for _ in range(700)], "text")


def _from_conll(row) -> dict:
    """IOB2: `B-X` starts an entity; `I-X` continues one only right after `B-X` or `I-X`, so an `I-X`
    after `O` or after another type starts a new entity."""
    tags = [CONLL_TAGS[t] if isinstance(t, int) else str(t) for t in row["ner_tags"]]
    pairs: list[tuple[str, str]] = []
    previous = "O"
    for token, tag in zip(row["tokens"], tags):
        if tag.startswith("I-") and previous[2:] == tag[2:]:
            pairs[-1] = (tag[2:], f"{pairs[-1][1]} {token}")
        elif tag != "O":
            pairs.append((tag[2:], token))
        previous = tag
    return {"text": " ".join(row["tokens"]), "entities": gold_entities(pairs)}


class Entities(dspy.Signature):
    """List the named entities in the text as PER (people), ORG, LOC and MISC, like "PER: Ann Lee; LOC: Oslo", or none."""

    text: str = dspy.InputField()
    entities: str = dspy.OutputField(desc="TYPE: name; TYPE: name")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    return entity_f1_score(answer_text(pred, "entities"), example.entities)


DATA = DataSpec(
    task="extraction",
    inputs=("text",),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("lukasgarbas/conll-03", _from_conll),
)

TASK = register(
    Task(
        max_tokens=64,
        name="extraction",
        description="Named entity extraction (CoNLL-2003 types); entity-level F1.",
        signature=Entities,
        load=make_loader(DATA),
        score=score,
        binary=False,
        pass_threshold=1.0,
    )
)
