"""A small fictional world for offline sets: people, towns, organisations, all invented.

Names are built from syllables with a seeded generator, so offline questions cannot be
answered from memorised facts, only from the text the task gives.
"""
from __future__ import annotations

import random

FIRST = ["Ana", "Bruno", "Carla", "Dmitri", "Edith", "Felix", "Greta", "Hamid", "Ines", "Jonas", "Kalani",
         "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tilda", "Umar", "Vera",
         "Wendell", "Yara"]
ONSETS = ["Bel", "Cor", "Dal", "Fen", "Gar", "Hal", "Kes", "Lor", "Mar", "Nor", "Orv", "Pel", "Quin", "Ros",
          "Sel", "Tam", "Val", "Wyn"]
CODAS = ["ani", "ber", "dell", "ford", "ick", "ley", "mond", "ova", "rick", "sen", "ton", "vik"]
TOWN_ENDS = ["wick", "dale", "mouth", "field", "haven", "stead", "bury", "port"]
ORG_KINDS = ["Systems", "Bank", "Foods", "Motors", "Labs", "Airlines", "Press", "Energy"]
ORDINALS = ["Golden", "Silver", "Northern", "Quiet", "Red", "Old", "Eastern", "Hidden"]
PLACES = ["Museum", "Library", "Bridge", "Theatre", "Observatory", "Market", "Gallery", "Lighthouse"]


class World:
    """Seeded generator of invented names."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def surname(self) -> str:
        return self.rng.choice(ONSETS) + self.rng.choice(CODAS)

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.surname()}"

    def town(self) -> str:
        return self.rng.choice(ONSETS) + self.rng.choice(TOWN_ENDS)

    def org(self) -> str:
        return f"{self.surname()} {self.rng.choice(ORG_KINDS)}"

    def landmark(self) -> str:
        return f"the {self.rng.choice(ORDINALS)} {self.surname()} {self.rng.choice(PLACES)}"

    def year(self, low: int = 1820, high: int = 1995) -> int:
        return self.rng.randint(low, high)

    def pick(self, options):
        return self.rng.choice(list(options))


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Sunday"]


def landmark_facts(world: World) -> dict:
    """An invented landmark with a few facts, used by the passage-based offline sets."""
    return {"name": world.landmark(), "town": world.town(), "founder": world.person(),
            "year": world.year(), "day": world.pick(DAYS), "fee": world.pick([0, 4, 6, 9, 12])}


def landmark_passage(facts: dict) -> str:
    fee = "Entry is free." if facts["fee"] == 0 else f"Entry costs {facts['fee']} dollars."
    name = facts["name"][0].upper() + facts["name"][1:]
    return (f"{name} stands in {facts['town']}. It was founded by {facts['founder']} and opened in "
            f"{facts['year']}. It is closed every {facts['day']}. {fee}")
