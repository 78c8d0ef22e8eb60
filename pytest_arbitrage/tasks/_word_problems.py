"""Seeded arithmetic word problems: one-step (`arithmetic`) and multi-step (`math` offline).

Every problem is built from our own templates; the gold answer is computed, never typed.
"""
from __future__ import annotations

import random
from typing import Callable

import dspy

from pytest_arbitrage.metrics import numeric_score
from pytest_arbitrage.tasks._common import field_text
from pytest_arbitrage.tasks.base import Score

PEOPLE = [("Ana", "she"), ("Ben", "he"), ("Chloe", "she"), ("Dev", "he"), ("Elena", "she"), ("Farid", "he"),
          ("Grace", "she"), ("Hugo", "he"), ("Ines", "she"), ("Jonas", "he"), ("Kira", "she"), ("Liam", "he")]
THINGS = ["apples", "pencils", "stickers", "marbles", "cookies", "books", "cards", "shells", "stamps", "eggs"]
PRICED = ["notebook", "pen", "ticket", "sandwich", "toy car", "plant", "mug", "scarf"]

Problem = tuple[str, int]


def _who(rng: random.Random) -> tuple[str, str]:
    return rng.choice(PEOPLE)


def _add(rng):
    (n, p), t, a, b = _who(rng), rng.choice(THINGS), rng.randint(3, 60), rng.randint(2, 40)
    return f"{n} has {a} {t}. {p.capitalize()} gets {b} more. How many {t} does {p} have now?", a + b


def _sub(rng):
    (n, _), t, b = _who(rng), rng.choice(THINGS), rng.randint(2, 30)
    a = b + rng.randint(1, 50)
    return f"{n} had {a} {t} and gave {b} away. How many {t} are left?", a - b


def _price(rng):
    (n, p), item, cost, k = _who(rng), rng.choice(PRICED), rng.randint(2, 15), rng.randint(2, 9)
    return f"One {item} costs ${cost}. {n} buys {k} of them. How many dollars does {p} spend?", cost * k


def _share(rng):
    (n, _), t, k, q = _who(rng), rng.choice(THINGS), rng.randint(2, 8), rng.randint(2, 12)
    return f"{n} shares {k * q} {t} equally among {k} friends. How many {t} does each friend get?", q


def _groups(rng):
    t, boxes, each = rng.choice(THINGS), rng.randint(2, 12), rng.randint(2, 12)
    return f"There are {boxes} boxes with {each} {t} in each box. How many {t} are there in total?", boxes * each


def _big(rng):
    t, a, b = rng.choice(THINGS), rng.randint(5, 30) * 100, rng.randint(5, 30) * 100
    return f"A shop sold {a:,} {t} in May and {b:,} in June. How many {t} did it sell in total?", a + b


ONE_STEP: list[Callable[[random.Random], Problem]] = [_add, _sub, _price, _share, _groups, _big]


def _change(rng):
    (n, p), item, cost, k = _who(rng), rng.choice(PRICED), rng.randint(2, 9), rng.randint(2, 5)
    bill = 50 if cost * k < 50 else 100
    return (f"{n} buys {k} {item}s at ${cost} each and pays with a ${bill} bill. "
            f"How many dollars of change does {p} get?", bill - cost * k)


def _packs(rng):
    (n, p), t = _who(rng), rng.choice(THINGS)
    a, k, m, g = rng.randint(2, 20), rng.randint(2, 6), rng.randint(3, 12), rng.randint(1, 10)
    return (f"{n} has {a} {t}. {p.capitalize()} buys {k} packs of {m} {t} and then gives {g} to a friend. "
            f"How many {t} does {n} have now?", a + k * m - g)


def _trip(rng):
    s1, h1, s2, h2 = rng.randint(4, 12) * 10, rng.randint(1, 4), rng.randint(3, 9) * 10, rng.randint(1, 3)
    return (f"A bus drives at {s1} km per hour for {h1} hours, then at {s2} km per hour for {h2} hours. "
            f"How many km does it drive in total?", s1 * h1 + s2 * h2)


def _wages(rng):
    (n, p), w, h, d = _who(rng), rng.randint(8, 25), rng.randint(3, 8), rng.randint(2, 6)
    return f"{n} earns ${w} an hour and works {h} hours a day for {d} days. How many dollars does {p} earn?", w * h * d


def _percent(rng):
    total, pct = rng.randint(2, 12) * 20, rng.choice([10, 25, 50, 75])
    return (f"A school has {total} students and {pct}% of them walk to school. The rest take the bus. "
            f"How many students take the bus?", total - total * pct // 100)


def _saving(rng):
    (n, p), weekly, weeks, have = _who(rng), rng.randint(3, 20), rng.randint(2, 10), rng.randint(5, 40)
    goal = have + weekly * weeks
    return (f"{n} wants a bike that costs ${goal}. {p.capitalize()} already has ${have} and saves ${weekly} "
            f"every week. How many weeks does {p} need to save?", weeks)


MULTI_STEP: list[Callable[[random.Random], Problem]] = [_change, _packs, _trip, _wages, _percent, _saving]


def generate(templates: list[Callable[[random.Random], Problem]], *, count: int, seed: int) -> list[dict]:
    """`count` distinct problems, cycling through the templates with one seeded generator."""
    rng, records = random.Random(seed), {}
    for i in range(count * 5):
        question, answer = templates[i % len(templates)](rng)
        records.setdefault(question, {"question": question, "answer": str(answer)})
        if len(records) >= count:
            break
    return list(records.values())


def score_number(example: dspy.Example, pred: dspy.Prediction) -> Score:
    """Numeric match on the `answer` field; when it holds no number, the final number of `reasoning`."""
    answer = field_text(pred, "answer")
    result = numeric_score(answer, example.answer)
    if result.parse_error and field_text(pred, "reasoning"):
        return numeric_score(field_text(pred, "reasoning"), example.answer)
    return result
