"""DSPy's LM cache, kept in a folder the harness controls.

Re-running the same sweep then answers every LM call from disk. The cache key is
DSPy's request hash; API keys are not part of a request's cached fields.

DSPy clears a cached response's usage on a hit ("no LM call was made"), which would
make a warm rerun of an API cell cost $0 while a cold one costs money. The cache here
keeps the original call's usage as `original_usage`, so tokens and cost are the same
on every run (`usage.tokens_of` reads it).
"""
from __future__ import annotations

from pathlib import Path

import copy

import dspy
from dspy.clients.cache import Cache

_configured: Path | None = None


def configure_lm_cache(directory: Path) -> None:
    """Point DSPy's disk cache at `directory` (once per process and folder)."""
    global _configured
    directory = Path(directory).resolve()
    if _configured == directory:
        return
    directory.mkdir(parents=True, exist_ok=True)
    cache = UsageKeepingCache(True, True, str(directory), DISK_CACHE_LIMIT)
    with dspy._cache_lock:  # as dspy.configure_cache does: a concurrent first read must not win
        dspy.cache = cache
    _configured = directory


DISK_CACHE_LIMIT = 30 * 1024**3  # DSPy's own default


class UsageKeepingCache(Cache):
    """DSPy's cache, except that a hit remembers the usage the original call reported."""

    def _prepare_cached_response(self, response):
        usage = copy.deepcopy(getattr(response, "usage", None))
        prepared = super()._prepare_cached_response(response)
        if usage:
            object.__setattr__(prepared, "original_usage", usage)
        return prepared
