"""A worked example: a whole benchmark task in one short file.

    data     -> a list of records (dicts) and the train/dev/test sizes
    program  -> a DSPy signature and module
    metric   -> a function (example, prediction) -> Score

Once this module is imported (benchmarks/conftest.py imports it), `pytest benchmarks`
runs it against every model and optimizer like the built-in tasks.
"""
import dspy

from pytest_arbitrage.metrics import label_score
from pytest_arbitrage.tasks import DataSpec, Score, Task, make_loader, register

LABELS = ("cold", "mild", "hot")
PHRASES = ["It is {t} degrees Celsius outside.", "The thermometer reads {t}°C.",
           "Forecast for today: {t} C.", "We measured {t} degrees (Celsius) at noon."]


def records() -> list[dict]:
    """Our own data, generated: a temperature and how it feels."""
    feel = lambda t: "cold" if t < 10 else "mild" if t <= 22 else "hot"  # noqa: E731
    return [{"report": p.format(t=t), "feel": feel(t)} for t in range(-10, 41) for p in PHRASES]


class WeatherFeel(dspy.Signature):
    """Does the weather report describe cold, mild or hot weather?"""

    report: str = dspy.InputField()
    feel: str = dspy.OutputField(desc="cold, mild or hot")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    # The first label word in the model's text; no label word at all is a parse error.
    return label_score(pred.feel, example.feel, LABELS)


register(
    Task(
        name="weather_feel",
        description="Is a temperature report cold, mild or hot? (worked example); accuracy.",
        signature=WeatherFeel,
        load=make_loader(DataSpec(task="weather_feel", inputs=("report",), offline=records,
                                  sizes=(40, 40, 124), stratify="feel")),
        score=score,
    )
)
