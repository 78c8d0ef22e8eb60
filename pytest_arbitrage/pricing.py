"""Token prices: a built-in table (USD per 1M tokens) that a user file extends; record costs.

User price file (`--arb-prices=FILE`, `python -m pytest_arbitrage ... --prices FILE`):

- JSON, or TOML when the name ends in `.toml`.
- A mapping from model name to an entry, either at the top level or under a single
  `models` key (then no other top-level key is allowed)::

      {"models": {"gpt-4o": {"input": 2.5, "output": 10}, "my-model": {"input": 0, "output": 0}}}

      ["together_ai/llama-70b"]      # TOML; or [models."together_ai/llama-70b"]
      input = 0.9
      output = 0.9
      match = "prefix"               # optional

- An entry has the keys `input` and `output`: USD per 1 million input (prompt) and output
  (completion) tokens. Each is a JSON/TOML number (integer or float), finite and >= 0;
  strings, booleans, NaN and infinities are rejected, as are other keys (a typo such as
  "inptu" would otherwise price the model at nothing) and duplicate model names in JSON.
- An optional `match` says which model names the entry prices (`MATCHES`):
  `"exact"` (the default for a user entry) the name itself; `"snapshot"` (every built-in
  entry) the name or a dated snapshot of it (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`,
  `-latest`); `"prefix"` every name that starts with it. A spec matches on its whole text or
  its last path segment (`openai/gpt-4o` -> `gpt-4o`); the longest matching entry wins. So
  `gpt-5.2` is not priced as `gpt-5` unless an entry `gpt-5` says `"match": "prefix"`.
- A user entry replaces the built-in entry of the same name.

Any problem raises ValueError naming the file (and the model). Local providers cost 0.
An unknown model has no price: `price_of` returns None, `cost_usd` None, and reports
show the cost as unknown, never as 0. A record's own `cost_usd` wins over every table
(`record_cost`); `price_source` names the table an entry came from.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from pytest_arbitrage.providers.specs import PROVIDERS

# Specs of local providers (and their aliases) cost nothing; `local/` is a name converted runs use.
LOCAL_PREFIXES = tuple(sorted(f"{name}/" for p in PROVIDERS.values() if p.local
                              for name in (p.name, *p.aliases))) + ("local/",)

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


BUILTIN_SOURCE = "built-in table (2025 list prices)"
MATCHES = ("exact", "snapshot", "prefix")
_SNAPSHOT = r"(-\d{4}-?\d{2}-?\d{2}|-latest)?"  # gpt-4o-2024-08-06, claude-sonnet-4-20250514


class PriceTable(dict):
    """Model name -> {"input", "output"} (USD per 1M tokens), plus how each entry matches and
    where it came from. A plain dict works as a table too: its entries match exactly."""

    def __init__(self, entries=(), *, match: dict | None = None, sources: dict | None = None):
        super().__init__(entries)
        self.match = dict(match or {})  # name -> one of MATCHES
        self.sources = dict(sources or {})  # name -> BUILTIN_SOURCE or "price file <path>"


def load_prices(path: Path | None = None) -> PriceTable:
    """The built-in table, extended and overridden by a user JSON or TOML file."""
    table = PriceTable({name: dict(entry) for name, entry in BUILTIN_PRICES.items()},
                       match=dict.fromkeys(BUILTIN_PRICES, "snapshot"),
                       sources=dict.fromkeys(BUILTIN_PRICES, BUILTIN_SOURCE))
    if path is not None:
        for name, (entry, match) in _read_user_prices(Path(path)).items():
            table[name] = entry
            table.match[name] = match
            table.sources[name] = f"price file {path}"
    return table


PRICE_KEYS = ("input", "output")


def _read_user_prices(path: Path) -> dict[str, tuple[dict[str, float], str]]:
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


def _entry(path: Path, name, entry) -> tuple[dict[str, float], str]:
    where = f"price file {path}: model {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} needs numeric 'input' and 'output' (USD per 1M tokens), got {entry!r}")
    unknown = sorted(set(entry) - {*PRICE_KEYS, "match"})
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: input, output, match)")
    missing = [key for key in PRICE_KEYS if key not in entry]
    if missing:
        raise ValueError(f"{where} needs numeric 'input' and 'output' (USD per 1M tokens); missing {missing[0]!r}")
    match = entry.get("match", "exact")
    if match not in MATCHES:
        raise ValueError(f"{where}: invalid 'match' {match!r}; valid choices: {', '.join(MATCHES)}")
    return {key: _price(where, key, entry[key]) for key in PRICE_KEYS}, match


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


def price_match(model: str, prices: dict) -> str | None:
    """The name of the table entry that prices a model spec, or None (see the module doc)."""
    match = getattr(prices, "match", {})
    names = (model, model.rsplit("/", 1)[-1])
    found = [key for key in prices for name in names if _matches(key, name, match.get(key, "exact"))]
    return max(found, key=len, default=None)


def _matches(key: str, name: str, how: str) -> bool:
    if how == "prefix":
        return name.startswith(key)
    if how == "snapshot":
        return re.fullmatch(re.escape(key) + _SNAPSHOT, name) is not None
    return name == key


def price_of(model: str, prices: dict) -> dict[str, float] | None:
    """The price entry for a model spec, or None when it is unknown."""
    if model in prices:
        return prices[model]
    if is_local(model):
        return {"input": 0.0, "output": 0.0}
    name = price_match(model, prices)
    return prices[name] if name is not None else None


def price_source(model: str, prices: dict) -> str | None:
    """Where the price of a model spec comes from: "<table>: <entry>", or None when unknown."""
    name = price_match(model, prices)
    if name is None:
        return None
    return f"{getattr(prices, 'sources', {}).get(name, 'price table')}: {name}"


def cost_usd(model: str, input_tokens: int, output_tokens: int, prices: dict) -> float | None:
    """Cost in USD of one call; None for a model with no known price (see `price_of`)."""
    price = price_of(model, prices)
    if price is None:
        return None
    cost = (input_tokens * price["input"] + output_tokens * price["output"]) / 1_000_000
    # A table built by hand (not by load_prices) may hold NaN; NaN is not JSON, so count it as unknown.
    return cost if math.isfinite(cost) else None


RECORDED, LOCAL, UNKNOWN = "recorded cost_usd", "local model (free)", "unknown"


def record_cost(record: dict, *, model: str, local: bool, prices: dict) -> tuple[float | None, str]:
    """(USD, source) of one record: its recorded cost_usd, else local 0, else tokens x price.

    An api record with no cost_usd, no token counts or no price costs None ("unknown"), never 0.
    """
    if record.get("cost_usd") is not None:
        return float(record["cost_usd"]), RECORDED
    if local:
        return 0.0, LOCAL
    tokens = record.get("input_tokens"), record.get("output_tokens")
    if tokens == (None, None):
        return None, UNKNOWN
    cost = cost_usd(model, int(tokens[0] or 0), int(tokens[1] or 0), prices)
    return (None, UNKNOWN) if cost is None else (cost, price_source(model, prices) or "price table")


def cell_cost(rows: list[dict], *, model: str, local: bool, prices: dict) -> tuple[float | None, list[str]]:
    """(USD, sorted sources) of a cell's records; unknown (None) when any record's cost is."""
    costs = [record_cost(r, model=model, local=local, prices=prices) for r in rows]
    missing = sum(cost is None for cost, _ in costs)
    if missing:
        return None, [f"{UNKNOWN} for {model}: {missing} of {len(costs)} records have no cost_usd "
                      "and no priced token counts"]
    return (sum(cost for cost, _ in costs) if costs else None), sorted({source for _, source in costs})
