"""Token prices: a built-in table (USD per 1M tokens) that a user file extends.

User price file (`--arb-prices=FILE`, `python -m pytest_arbitrage ... --prices FILE`):

- JSON, or TOML when the name ends in `.toml`.
- A mapping from model name to an entry, either at the top level or under a single
  `models` key (then no other top-level key is allowed)::

      {"models": {"gpt-4o": {"input": 2.5, "output": 10}, "my-model": {"input": 0, "output": 0}}}

      ["together_ai/llama-70b"]      # TOML; or [models."together_ai/llama-70b"]
      input = 0.9
      output = 0.9

- An entry has exactly the keys `input` and `output`: USD per 1 million input (prompt)
  and output (completion) tokens. Each is a JSON/TOML number (integer or float), finite
  and >= 0; strings, booleans, NaN and infinities are rejected, as are other keys
  (a typo such as "inptu" would otherwise price the model at nothing) and duplicate
  model names in JSON.
- A user entry replaces the built-in entry of the same name.

Any problem raises ValueError naming the file (and the model). Names match a spec
exactly, then its last path segment (`openai/gpt-4o` -> `gpt-4o`), then the longest
built-in prefix (`gpt-4o-2024-08-06` -> `gpt-4o`). Local providers cost 0.
An unknown model has no price: `price_of` returns None and reports show the cost
as unknown, never as 0.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from pytest_arbitrage.providers.specs import LOCAL_PROVIDERS, PREFIX_ALIASES

# Specs of local providers (and their aliases) cost nothing; `local/` is a name converted runs use.
LOCAL_PREFIXES = tuple(sorted(f"{name}/" for name in LOCAL_PROVIDERS | {a for a, p in PREFIX_ALIASES.items()
                                                                        if p in LOCAL_PROVIDERS})) + ("local/",)

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


PRICE_KEYS = ("input", "output")


def _read_user_prices(path: Path) -> dict[str, dict[str, float]]:
    if not path.is_file():
        raise ValueError(f"price file {path} does not exist")
    try:
        data = _parse(path, path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"price file {path} is not valid {path.suffix or 'JSON'}: {exc}") from exc
    table = _model_table(path, data)
    return {str(name): _entry(path, name, entry) for name, entry in table.items()}


def _model_table(path: Path, data) -> dict:
    shape = "must map model names to {input, output} (USD per 1M tokens)"
    if not isinstance(data, dict):
        raise ValueError(f"price file {path} {shape}")
    if "models" not in data:
        return data
    others = sorted(set(data) - {"models"})
    if others:
        # Entries beside a `models` table would be silently ignored.
        raise ValueError(f"price file {path}: top-level keys {others} beside 'models'; put every model under 'models'")
    if not isinstance(data["models"], dict):
        raise ValueError(f"price file {path}: 'models' {shape}")
    return data["models"]


def _parse(path: Path, text: str):
    if path.suffix.lower() == ".toml":
        import tomllib

        return tomllib.loads(text)
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of two equal keys: a model priced twice would go unnoticed.
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"duplicate key {repeated[0]!r}")
    return dict(pairs)


def _entry(path: Path, name, entry) -> dict[str, float]:
    where = f"price file {path}: model {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} needs numeric 'input' and 'output' (USD per 1M tokens), got {entry!r}")
    unknown = sorted(set(entry) - set(PRICE_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: input, output)")
    missing = [key for key in PRICE_KEYS if key not in entry]
    if missing:
        raise ValueError(f"{where} needs numeric 'input' and 'output' (USD per 1M tokens); missing {missing[0]!r}")
    return {key: _price(where, key, entry[key]) for key in PRICE_KEYS}


def _price(where: str, key: str, value) -> float:
    # bool is an int subclass: `true` would silently become a price of 1.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {key!r} must be a number (USD per 1M tokens), got {value!r}")
    try:
        price = float(value)
    except OverflowError:
        price = math.inf
    if not math.isfinite(price):
        # A NaN cost is written as `NaN`, which is not JSON, and breaks every sum after it.
        raise ValueError(f"{where}: {key!r} must be finite, got {value!r}")
    if price < 0:
        raise ValueError(f"{where}: {key!r} is negative ({value!r})")
    return price


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
    cost = (input_tokens * price["input"] + output_tokens * price["output"]) / 1_000_000
    # A table built by hand (not by load_prices) may hold NaN; NaN is not JSON, so count it as unknown.
    return cost if math.isfinite(cost) else 0.0
