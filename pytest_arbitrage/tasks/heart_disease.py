"""heart_disease: does a patient record indicate heart disease? yes/no accuracy (seed 004).

Hub: nezahatkorkmaz/heart-disease-dataset (UCI Cleveland columns and codes, one split).
Offline: patients drawn from seeded ranges; the label comes from our own fixed risk
score (older, male, asymptomatic chest pain, exercise angina, ST depression, blocked
vessels, low peak heart rate raise it), thresholded at its median so classes balance.
"""
from __future__ import annotations

import random
import statistics

import dspy

from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, make_loader, yes_no_scorer
from pytest_arbitrage.tasks.base import Task

CHEST_PAIN = ("typical angina", "atypical angina", "non-anginal pain", "no chest pain")
PAIN_RISK = {"typical angina": -0.3, "atypical angina": -0.6, "non-anginal pain": -0.4, "no chest pain": 1.2}
# The UCI coding of `cp`: 1-4, not 0-3.
UCI_CHEST_PAIN = {1: "typical angina", 2: "atypical angina", 3: "non-anginal pain", 4: "asymptomatic"}


def patient_text(p: dict) -> str:
    return (f"Age {p['age']}, {'male' if p['male'] else 'female'}. Chest pain: {p['pain']}. "
            f"Resting blood pressure {_number(p['bp'])}, cholesterol {_number(p['chol'])}, "
            f"high fasting sugar: {_yes_no(p['fbs'])}. Max heart rate {_number(p['hr'])}. "
            f"Exercise angina: {_yes_no(p['exang'])}. ST depression {_number(p['st'], '.1f')}. "
            f"Blocked vessels: {_number(p['ca'])}.")


def _missing(value) -> bool:
    # The UCI files mark a missing value "?"; parquet and CSV loaders give None or NaN.
    return value is None or value == "?" or (isinstance(value, float) and value != value)


def _number(value, spec: str = "") -> str:
    """A measurement as text: "145" for 145.0, "unknown" when missing."""
    if _missing(value):
        return "unknown"
    value = float(value)
    return format(value, spec) if spec else str(int(value)) if value.is_integer() else str(value)


def _yes_no(flag) -> str:
    return "unknown" if _missing(flag) else "yes" if int(flag) else "no"


def risk(p: dict) -> float:
    return (0.04 * (p["age"] - 55) + 0.8 * p["male"] + PAIN_RISK[p["pain"]] + 0.015 * (p["bp"] - 130)
            + 0.004 * (p["chol"] - 240) + 0.9 * p["exang"] + 0.6 * p["st"] + 0.8 * p["ca"] - 0.025 * (p["hr"] - 150))


def _patient(rng: random.Random) -> dict:
    return {"age": rng.randint(32, 77), "male": rng.random() < 0.6, "pain": rng.choice(CHEST_PAIN),
            "bp": rng.randrange(100, 182, 2), "chol": rng.randint(150, 360), "fbs": rng.random() < 0.15,
            "hr": rng.randint(90, 200), "exang": rng.random() < 0.35, "st": round(rng.uniform(0, 4), 1),
            "ca": rng.choice([0, 0, 0, 1, 1, 2, 3])}


def generate() -> list[dict]:
    rng = random.Random(2004)
    patients = [_patient(rng) for _ in range(600)]
    cut = statistics.median(risk(p) for p in patients)
    return [{"patient": patient_text(p), "diagnosis": "yes" if risk(p) > cut else "no"} for p in patients]


def _from_uci(row) -> dict | None:
    """A UCI record: `cp` 1-4, target `num` 0-4 (> 0: disease); `ca` and `thal` may be missing."""
    if any(_missing(row.get(k)) for k in ("age", "sex", "cp", "num")):
        return None
    patient = {"age": int(row["age"]), "male": int(row["sex"]) == 1, "pain": UCI_CHEST_PAIN[int(row["cp"])],
               "bp": row["trestbps"], "chol": row["chol"], "fbs": row["fbs"], "hr": row["thalach"],
               "exang": row["exang"], "st": row["oldpeak"], "ca": row["ca"]}
    return {"patient": patient_text(patient), "diagnosis": "yes" if int(row["num"]) > 0 else "no"}


class Diagnose(dspy.Signature):
    """Does the patient have heart disease? Answer yes or no."""

    patient: str = dspy.InputField()
    diagnosis: str = dspy.OutputField(desc="yes or no")


DATA = DataSpec(
    task="heart_disease",
    inputs=("patient",),
    offline=generate,
    sizes=(100, 100, 300),
    hub=HubSpec("nezahatkorkmaz/heart-disease-dataset", _from_uci, test_split=None),
    stratify="diagnosis",
)

TASK = register(
    Task(
        name="heart_disease",
        description="Heart disease yes/no from a patient record (UCI HeartDisease); accuracy.",
        signature=Diagnose, pipeline=True,
        load=make_loader(DATA),
        score=yes_no_scorer("diagnosis"),
    )
)
