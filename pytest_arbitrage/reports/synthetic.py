"""Synthetic runs with known true scores, for tests, calibration and demos.

Every example has a latent difficulty shared by all cells (as real test examples
do), so paired cells are correlated; `noise` is the share of examples whose
outcome is redrawn independently per cell.
"""
from __future__ import annotations

import random
from typing import Callable

TrueScore = Callable[[str, str, str], float]  # (task, model, optimizer) -> true mean

DEFAULT_MODELS = {"llamacpp/smollm2-135m": "local", "openai/gpt-4o-mini": "api"}


def synthetic_run(
    true_score: TrueScore, *, run_id: str = "synthetic", seed: int = 0, n: int = 50,
    tasks: tuple[str, ...] = ("math", "qa"), models: dict[str, str] | None = None,
    optimizers: tuple[str, ...] = ("none", "bootstrap"), continuous: tuple[str, ...] = (),
    noise: float = 0.3, axes: dict | None = None,
) -> tuple[list[dict], list[dict]]:
    """(records, cell infos) of a run where cell (t, m, o) has true mean true_score(t, m, o)."""
    rng = random.Random(seed)
    latent = {t: [rng.random() for _ in range(n)] for t in tasks}
    records, cells = [], []
    for task in tasks:
        for model, tier in (models or DEFAULT_MODELS).items():
            for optimizer in optimizers:
                base = dict(run_id=run_id, task=task, model=model, tier=tier,
                            optimizer=optimizer, axes=dict(axes or {}))
                p = true_score(task, model, optimizer)
                scorer = _continuous if task in continuous else _binary
                records += [base | {"seed": seed, "example_id": f"{task}-{i}"}
                            | scorer(p, u, rng, noise) | _usage(rng)
                            for i, u in enumerate(latent[task])]
                cells.append(base | {"status": "passed", "reason": None, "noop": False})
    return records, cells


def _binary(p: float, u: float, rng: random.Random, noise: float) -> dict:
    draw = rng.random() if rng.random() < noise else u
    correct = draw < p
    return {"score": float(correct), "correct": correct}


def _continuous(p: float, u: float, rng: random.Random, noise: float) -> dict:
    spread = 0.25 * (rng.random() - 0.5 if rng.random() < noise else u - 0.5)
    return {"score": min(1.0, max(0.0, p + spread)), "correct": None}


def _usage(rng: random.Random) -> dict:
    return {"parse_error": False, "error": None, "latency_ms": round(rng.uniform(20, 200), 1),
            "input_tokens": 100, "output_tokens": 20}  # no cost_usd: priced from the tokens
