"""Token prices: a built-in table (USD per 1M tokens) that a user file extends.

A user file is JSON or TOML mapping model names to `{"input": X, "output": Y}`
(USD per 1M tokens), either at top level or under a `models` key. Names match a
spec exactly, then its last path segment (`openai/gpt-4o` -> `gpt-4o`), then the
longest built-in prefix (`gpt-4o-2024-08-06` -> `gpt-4o`). Local providers cost 0.
An unknown model has no price: `price_of` returns None and reports show the cost
as unknown, never as 0.
"""
from __future__ import annotations

import json
from pathlib import Path

LOCAL_PREFIXES = ("llamacpp/", "ollama/", "ollama_chat/", "local/")

# USD per 1M tokens (input, output), list prices as published in 2025.
BUILTIN_PRICES: dict[str, dict[str, float]] = {
    name: {"input": inp, "output": out}
    for name, (inp, out) in {
        "gpt-3.5-turbo": (0.50, 1.50),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-5": (1.25, 10.00),
        "gpt-5-mini": (0.25, 2.00),
        "gpt-5-nano": (0.05, 0.40),
        "o1": (15.00, 60.00),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-3-5-sonnet": (3.00, 15.00),
        "claude-3-7-sonnet": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-opus-4": (15.00, 75.00),
        "gemini-2.0-flash": (0.10, 0.40),
        "gemini-2.5-flash": (0.30, 2.50),
        "gemini-2.5-pro": (1.25, 10.00),
    }.items()
}


def load_prices(path: Path | None = None) -> dict[str, dict[str, float]]:
    """The built-in table, extended and overridden by a user JSON or TOML file."""
    prices = {name: dict(entry) for name, entry in BUILTIN_PRICES.items()}
    if path is not None:
        prices.update(_read_user_prices(Path(path)))
    return prices


def _read_user_prices(path: Path) -> dict[str, dict[str, float]]:
    if not path.is_file():
        raise ValueError(f"price file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        data = _parse(path, text)
    except ValueError as exc:
        raise ValueError(f"price file {path} is not valid {path.suffix or 'JSON'}: {exc}") from exc
    table = data.get("models", data) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ValueError(f"price file {path} must map model names to {{input, output}}")
    return {str(name): _entry(path, name, entry) for name, entry in table.items()}


def _parse(path: Path, text: str):
    if path.suffix.lower() == ".toml":
        import tomllib

        return tomllib.loads(text)
    return json.loads(text)


def _entry(path: Path, name, entry) -> dict[str, float]:
    try:
        values = {"input": float(entry["input"]), "output": float(entry["output"])}
    except (TypeError, KeyError, ValueError):
        raise ValueError(
            f"price file {path}: model {name!r} needs numeric 'input' and 'output' "
            "(USD per 1M tokens)"
        ) from None
    if values["input"] < 0 or values["output"] < 0:
        raise ValueError(f"price file {path}: model {name!r} has a negative price")
    return values


def is_local(model: str) -> bool:
    return model.startswith(LOCAL_PREFIXES)


def price_of(model: str, prices: dict) -> dict[str, float] | None:
    """The price entry for a model spec, or None when it is unknown."""
    if model in prices:
        return prices[model]
    if is_local(model):
        return {"input": 0.0, "output": 0.0}
    name = model.rsplit("/", 1)[-1]
    if name in prices:
        return prices[name]
    matches = [key for key in prices if name.startswith(key)]
    return prices[max(matches, key=len)] if matches else None


def cost_usd(model: str, input_tokens: int, output_tokens: int, prices: dict) -> float:
    """Cost in USD of one call; 0.0 for a model with no known price (see `price_of`)."""
    price = price_of(model, prices)
    if price is None:
        return 0.0
    return (input_tokens * price["input"] + output_tokens * price["output"]) / 1_000_000
