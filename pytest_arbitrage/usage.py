"""Tokens and raw answers per example, cache hits included.

DSPy's usage tracker skips cached calls, so a re-run of a sweep would report
zero tokens and zero cost. Every call — fresh or cached — passes through the
LM's history, whose entry keeps the response and its usage (for a cache hit, the
usage of the original call, kept by `lm_cache.UsageKeepingCache`); `meter(lm)`
taps that, and `counting()` collects the calls made in the current thread (DSPy's
Evaluate runs each example in one thread).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

_local = threading.local()


def meter(lm) -> None:
    """Make `lm` report each call's tokens to the thread's active `counting()` block."""
    if getattr(lm, "_arbitrage_metered", False):
        return
    original = lm.update_history

    def update_history(entry):
        original(entry)
        sink = getattr(_local, "sink", None)
        if sink is not None:
            tokens_in, tokens_out = tokens_of(entry)
            sink.append({"input_tokens": tokens_in, "output_tokens": tokens_out, "text": output_text(entry)})

    lm.update_history = update_history
    lm._arbitrage_metered = True


@contextmanager
def counting() -> Iterator[list[dict]]:
    """Collect {input_tokens, output_tokens, text} of every metered call made inside the block."""
    previous = getattr(_local, "sink", None)
    _local.sink = sink = []
    try:
        yield sink
    finally:
        _local.sink = previous


def tokens_of(entry: dict) -> tuple[int, int]:
    """Tokens of one history entry: its usage dict, else the (cached) response's own usage."""
    usage = entry.get("usage") or {}
    if usage.get("prompt_tokens") is not None or usage.get("completion_tokens") is not None:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    response = entry.get("response")
    response_usage = getattr(response, "original_usage", None) or getattr(response, "usage", None)
    if not response_usage:
        return 0, 0
    tokens_in = _first(response_usage, "input_tokens", "prompt_tokens")
    tokens_out = _first(response_usage, "output_tokens", "completion_tokens")
    return tokens_in, tokens_out


def _first(usage, *names: str) -> int:
    for name in names:
        value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
        if value is not None:
            return int(value)
    return 0


def output_text(entry: dict) -> str | None:
    """The raw text the LM answered (the first output of the call)."""
    outputs = entry.get("outputs") or []
    if not outputs:
        return None
    first = outputs[0]
    return str(first.get("text", first) if isinstance(first, dict) else first)
