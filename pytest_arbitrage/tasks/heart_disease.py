"""heart_disease: does a patient record indicate heart disease? yes/no accuracy (seed 004).

Hub: nezahatkorkmaz/heart-disease-dataset (UCI Cleveland columns, one split).
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


def patient_text(p: dict) -> str:
    yn = lambda flag: "yes" if flag else "no"  # noqa: E731
    return (f"Age {p['age']}, {'male' if p['male'] else 'female'}. Chest pain: {p['pain']}. "
            f"Resting blood pressure {p['bp']}, cholesterol {p['chol']}, high fasting sugar: {yn(p['fbs'])}. "
            f"Max heart rate {p['hr']}. Exercise angina: {yn(p['exang'])}. ST depression {p['st']:.1f}. "
            f"Blocked vessels: {p['ca']}.")


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
    target = next((row[k] for k in ("target", "num", "condition") if k in row), None)
    if target is None:
        return None
    pain = int(row.get("cp", 0))
    patient = {"age": int(row["age"]), "male": int(row["sex"]) == 1, "pain": CHEST_PAIN[min(max(pain, 0), 3)],
               "bp": row["trestbps"], "chol": row["chol"], "fbs": int(row["fbs"]) == 1, "hr": row["thalach"],
               "exang": int(row["exang"]) == 1, "st": float(row["oldpeak"]), "ca": row.get("ca", 0)}
    return {"patient": patient_text(patient), "diagnosis": "yes" if int(target) > 0 else "no"}


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
        make_program=lambda: dspy.Predict(Diagnose),
        load=make_loader(DATA),
        score=yes_no_scorer("diagnosis"),
    )
)
