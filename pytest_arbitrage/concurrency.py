"""How many LM calls run at once: examples per cell, and one shared limit per API endpoint.

A cell of an api model scores `API_THREADS` examples at a time, a cell of an in-process
model one (its provider row says `in_process`); `--arb-threads` overrides both. Every call
an api LM makes first takes one of its endpoint's slots — an endpoint is a provider at a
base URL, whatever the model — so cells, compiles and evaluations running at once in one
process never hold more calls in flight there than the limit. The slot is held for the
call only, not for a retry's backoff. Under xdist each worker process has its own slots.
"""
from __future__ import annotations

import threading

from dspy.utils.callback import BaseCallback

from pytest_arbitrage.providers.specs import PROVIDERS

API_THREADS = 8  # examples in flight per cell of an api model, and calls per endpoint

_slots: dict[tuple[str, str | None, int], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def threads_for(provider: str, override: int | None = None) -> int:
    """Examples scored at once in a cell of `provider`'s model (`override`: `--arb-threads`)."""
    if override:
        return override
    return 1 if PROVIDERS[provider].in_process else API_THREADS


def endpoint_of(lm) -> tuple[str, str | None]:
    """(LiteLLM provider prefix, base URL): the server an LM's calls go to."""
    return lm.model.partition("/")[0], lm.kwargs.get("api_base") or lm.kwargs.get("base_url")


def endpoint_slots(endpoint: tuple[str, str | None], limit: int) -> threading.BoundedSemaphore:
    """The process's `limit` slots for `endpoint` (a run has one limit per provider; a later run
    in the same process, e.g. under pytester, with another `--arb-threads` gets its own)."""
    with _slots_lock:
        return _slots.setdefault((*endpoint, limit), threading.BoundedSemaphore(limit))


class EndpointLimit(BaseCallback):
    """A DSPy LM callback: each call waits for a slot of its endpoint and frees it when done."""

    def __init__(self, slots: threading.BoundedSemaphore):
        self.slots = slots

    def on_lm_start(self, call_id, instance, inputs):
        self.slots.acquire()

    def on_lm_end(self, call_id, outputs, exception):
        self.slots.release()


def limit_calls(lm, limit: int) -> None:
    """Make every call of `lm` (and of its copies, which share its callbacks) take an endpoint slot."""
    if any(isinstance(callback, EndpointLimit) for callback in lm.callbacks):
        return
    lm.callbacks.append(EndpointLimit(endpoint_slots(endpoint_of(lm), limit)))
