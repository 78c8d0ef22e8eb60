"""Which sample of a repeated request a call is, for engines that never see DSPy's `rollout_id`.

DSPy keeps `rollout_id` out of engine requests (it only splits the cache), so an in-process
model at temperature > 0 would draw the same "independent" sample M times from its fixed
seed. Modules that sample (self-consistency, multi-chain comparison) mark each call with
`sample(i)`; the llama.cpp engine seeds from it. Thread-local by construction (a context
variable set and read in the thread that makes the call).
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

_SAMPLE: contextvars.ContextVar[int | None] = contextvars.ContextVar("arbitrage_sample", default=None)


@contextmanager
def sample(index: int):
    token = _SAMPLE.set(index)
    try:
        yield
    finally:
        _SAMPLE.reset(token)


def current_sample() -> int | None:
    return _SAMPLE.get()
