"""sentiment: 3-class sentiment of short reviews (seed 003), accuracy on the first label word.

Offline: reviews composed from hand-written subjects and phrases in six domains.
Hub: cardiffnlp/tweet_eval, config "sentiment".
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, label_scorer, make_loader, unique
from pytest_arbitrage.tasks.base import Task

LABELS = ("positive", "negative", "neutral")

# domain: (subjects, {label: predicates})
DOMAINS = {
    "food": (
        ["The pasta", "This cafe", "The soup", "Our dinner", "The dessert"],
        {
            "positive": ["was absolutely delicious", "tasted fresh and amazing", "was the best I have had in years",
                         "made my whole evening", "was worth every penny", "left us smiling"],
            "negative": ["was cold and bland", "made me feel sick", "was a total waste of money",
                         "tasted awful", "arrived burnt", "was a huge disappointment"],
            "neutral": ["was served at seven", "comes in two sizes", "is on the lunch menu",
                        "was ordered by my brother", "is made with rice", "costs the same as last year"],
        },
    ),
    "phone": (
        ["This phone", "The charger", "My new laptop", "The headset", "This tablet"],
        {
            "positive": ["works perfectly", "is fast and reliable", "exceeded my expectations",
                         "has a wonderful screen", "is a joy to use", "was a great purchase"],
            "negative": ["broke after one week", "keeps crashing", "is terrible and slow",
                         "stopped charging", "is the worst device I own", "overheats constantly"],
            "neutral": ["is black", "has a USB port", "was delivered on Tuesday",
                        "weighs about a kilogram", "came in a cardboard box", "runs the usual software"],
        },
    ),
    "hotel": (
        ["The hotel room", "The front desk", "Our suite", "The pool area", "The breakfast buffet"],
        {
            "positive": ["was spotless and cozy", "made us feel welcome", "was simply lovely",
                         "was a delight", "was better than we hoped", "had a fantastic view"],
            "negative": ["was dirty and noisy", "was rude to us", "smelled awful",
                         "ruined our trip", "was a nightmare", "was overpriced and shabby"],
            "neutral": ["is on the third floor", "opens at six", "is next to the lobby",
                        "has two windows", "was booked for three nights", "faces the street"],
        },
    ),
    "travel": (
        ["Our flight", "The train ride", "The bus driver", "The airport lounge", "The ferry crossing"],
        {
            "positive": ["was smooth and pleasant", "was wonderful", "got us there early",
                         "was comfortable and calm", "was a great experience", "was friendly and helpful"],
            "negative": ["was delayed for hours", "was awful", "lost my luggage",
                         "was cramped and miserable", "was a disaster", "was unbearably loud"],
            "neutral": ["left from gate twelve", "took about two hours", "stopped in one town",
                        "had forty seats", "departed on Monday", "was listed on the schedule"],
        },
    ),
    "software": (
        ["The new update", "This app", "The website", "The installer", "The editor"],
        {
            "positive": ["is brilliant", "saves me so much time", "is smooth and intuitive",
                         "works beautifully", "is a fantastic improvement", "is really helpful"],
            "negative": ["is buggy and frustrating", "deleted my files", "is painfully slow",
                         "is useless", "crashes all the time", "is a terrible mess"],
            "neutral": ["was released in March", "has a settings page", "uses a blue theme",
                        "is version four", "requires a login", "has a search box"],
        },
    ),
    "film": (
        ["The movie", "This series", "The concert", "The play", "The documentary"],
        {
            "positive": ["was moving and beautiful", "was a masterpiece", "kept me hooked",
                         "was hilarious", "was thrilling from start to end", "was superb"],
            "negative": ["was boring and too long", "was a mess", "put me to sleep",
                         "was painful to watch", "was dreadful", "was a letdown"],
            "neutral": ["lasts ninety minutes", "was shown on Friday", "is in English",
                        "has three parts", "was filmed in a city", "starts at eight"],
        },
    ),
}

FRAMES = {
    "positive": ["{s} {p}.", "{s} {p}!", "Honestly, {sl} {p}.", "{s} {p}, I would recommend it."],
    "negative": ["{s} {p}.", "{s} {p}!", "Honestly, {sl} {p}.", "{s} {p}, never again."],
    "neutral": ["{s} {p}.", "For the record, {sl} {p}.", "Note: {sl} {p}.", "{s} {p}, as listed."],
}


def generate() -> list[dict]:
    rng = random.Random(3)
    records = []
    for subjects, phrases in DOMAINS.values():
        for label, predicates in phrases.items():
            for subject in subjects:
                for predicate in predicates:
                    frame = rng.choice(FRAMES[label])
                    text = frame.format(s=subject, sl=subject[0].lower() + subject[1:], p=predicate)
                    records.append({"text": text, "sentiment": label})
    return unique(records, "text")


def _from_tweet_eval(row) -> dict:
    return {"text": row["text"], "sentiment": ("negative", "neutral", "positive")[int(row["label"])]}


class Sentiment(dspy.Signature):
    """Classify the sentiment of the text as positive, negative or neutral."""

    text: str = dspy.InputField()
    sentiment: str = dspy.OutputField(desc="positive, negative or neutral")


DATA = DataSpec(
    task="sentiment",
    inputs=("text",),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("cardiffnlp/tweet_eval", _from_tweet_eval, name="sentiment"),
    stratify="sentiment",
)

TASK = register(
    Task(
        name="sentiment",
        description="3-class sentiment (positive/negative/neutral) of short texts; accuracy.",
        signature=Sentiment,
        load=make_loader(DATA),
        score=label_scorer("sentiment", LABELS),
    )
)
